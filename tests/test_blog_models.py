"""The blog's models: natural keys, factories and the dumpdata/loaddata round-trip."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from mysite.blog.factories import (
    AuthorFactory,
    CategoryFactory,
    PostFactory,
    TagFactory,
    reseed,
)
from mysite.blog.models import Author, Category, Post, Tag

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory_class", "model", "field"),
    [
        (AuthorFactory, Author, "username"),
        (CategoryFactory, Category, "slug"),
        (TagFactory, Tag, "name"),
        (PostFactory, Post, "slug"),
    ],
)
def test_natural_key_round_trips_through_manager(factory_class, model, field):
    obj = factory_class()
    assert obj.natural_key() == (getattr(obj, field),)
    assert model.objects.get_by_natural_key(*obj.natural_key()) == obj


def test_get_by_natural_key_raises_does_not_exist():
    with pytest.raises(Author.DoesNotExist):
        Author.objects.get_by_natural_key("nobody")


def test_str_is_human_readable():
    post = PostFactory(
        title="Hello", author__name="Ada Lovelace", category__name="News"
    )
    assert str(post) == "Hello"
    assert str(post.author) == "Ada Lovelace"
    assert str(post.category) == "News"
    assert str(TagFactory(name="python")) == "python"


def test_factories_are_deterministic_for_a_seed():
    def snapshot():
        reseed(99)
        posts = PostFactory.build_batch(5)
        return [
            (p.slug, p.title, p.status, p.published_at, p.rating, p.author.name)
            for p in posts
        ]

    assert snapshot() == snapshot()


def test_factory_posts_are_valid_models():
    tags = TagFactory.create_batch(2)
    for post in PostFactory.create_batch(10, tags=tags):
        post.full_clean()
        assert (post.published_at is not None) == (post.status == "published")
    assert Post.objects.count() == 10
    assert set(Post.objects.first().tags.all()) == set(tags)


def test_dumpdata_loaddata_round_trip_with_natural_keys(tmp_path):
    tags = TagFactory.create_batch(3)
    PostFactory.create_batch(4, tags=tags[:2])
    PostFactory(category=None, rating=None, published_at=None, status="draft")
    before = {
        p.slug: (
            p.title,
            p.author.username,
            p.category_id and p.category.slug,
            p.status,
            p.published_at,
            p.views,
            p.rating,
            p.body,
            sorted(t.name for t in p.tags.all()),
        )
        for p in Post.objects.all()
    }
    out = StringIO()
    call_command(
        "dumpdata",
        "blog",
        natural_foreign=True,
        natural_primary=True,
        stdout=out,
    )
    dumped = json.loads(out.getvalue())
    assert all("pk" not in obj for obj in dumped)
    post_fields = next(o["fields"] for o in dumped if o["model"] == "blog.post")
    assert isinstance(post_fields["author"], list)  # by username, not by id

    fixture = tmp_path / "blog.json"
    fixture.write_text(out.getvalue())
    for model in (Post, Tag, Author, Category):
        model.objects.all().delete()

    call_command("loaddata", str(fixture), stdout=StringIO())
    after = {
        p.slug: (
            p.title,
            p.author.username,
            p.category_id and p.category.slug,
            p.status,
            p.published_at,
            p.views,
            p.rating,
            p.body,
            sorted(t.name for t in p.tags.all()),
        )
        for p in Post.objects.all()
    }
    assert after == before
