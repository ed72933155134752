"""factory-boy factories for the blog; `reseed(seed)` makes their output repeatable."""

import datetime as dt
from decimal import Decimal

import factory
import factory.random
from factory.django import DjangoModelFactory

from .models import Author, Category, Post, Tag

WORDS = (  # noqa: SIM905 (one line of prose reads better)
    "django import batch model field query schema index migrate shell admin view "
    "template static cache signal form widget router slug author draft publish "
    "review tag category session token queue worker python data row"
).split()

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
YEARS_5 = 5 * 365 * 86400


def reseed(seed: int) -> None:
    """Make every factory (and Faker behind it) produce the same sequence for `seed`."""
    factory.random.reseed_random(seed)
    for factory_class in (AuthorFactory, CategoryFactory, TagFactory, PostFactory):
        factory_class.reset_sequence(0)


class AuthorFactory(DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"author{n:05d}")
    name = factory.Faker("name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n:03d}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n:03d}")


class PostFactory(DjangoModelFactory):
    class Meta:
        model = Post
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"post-{n:08d}")
    title = factory.Faker("sentence", nb_words=6, ext_word_list=WORDS)
    author = factory.SubFactory(AuthorFactory)
    category = factory.SubFactory(CategoryFactory)
    status = factory.Faker(
        "random_element", elements=[s for s, _ in Post.Status.choices]
    )
    published_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == Post.Status.PUBLISHED),
        yes_declaration=factory.LazyFunction(
            lambda: (
                EPOCH + dt.timedelta(seconds=factory.random.randgen.randrange(YEARS_5))
            )
        ),
        no_declaration=None,
    )
    views = factory.Faker("random_int", min=0, max=100_000)
    rating = factory.Faker(
        "pydecimal",
        left_digits=1,
        right_digits=2,
        min_value=Decimal("0"),
        max_value=Decimal("5"),
    )
    body = factory.Faker("paragraph", nb_sentences=5, ext_word_list=WORDS)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)
