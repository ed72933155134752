"""JSON objects are read by their own keys (issue 9 items 4-5, issue 10 item 5).

- A key the first object lacks still fills its field in every later object.
- An unknown key stops the file once, naming the key (as an unknown CSV column
  does), however many objects carry it: no flood of errors, bounded memory.
- On update, a field an object omits keeps its stored value (a missing key is not
  a value; an explicit null is). On create, the model's default applies. An empty
  CSV cell is still a value.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from mysite.blog.models import Category, Post

from .conftest import run

pytestmark = pytest.mark.django_db


def jsonl(path, objects):
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


@pytest.fixture
def people(blog):
    post = Post.objects.order_by("pk").first()
    return post


def test_a_key_the_first_object_lacks_is_read(tmp_path, people):
    author = people.author.username
    category = Category.objects.order_by("pk").first()
    objects = [
        {"slug": "a1", "title": "A", "body": "b", "author": author},
        {
            "slug": "a2",
            "title": "B",
            "body": "b",
            "author": author,
            "category": category.slug,
            "views": 5,
        },
    ]
    for extra in ([], ["-i"]):
        Post.objects.filter(slug__in=["a1", "a2"]).delete()
        result = run("load_data", str(jsonl(tmp_path / "posts.jsonl", objects)), *extra)
        assert result.error is None, result
        second = Post.objects.get(slug="a2")
        assert (second.category, second.views) == (category, 5)
        assert Post.objects.get(slug="a1").category is None


def test_an_unknown_key_is_reported_once(tmp_path, people):
    author = people.author.username
    objects = [
        {"slug": f"u{i}", "title": "T", "body": "b", "author": author, "colour": i}
        for i in range(50)
    ]
    errors = tmp_path / "errors.csv"
    result = run(
        "load_data",
        str(jsonl(tmp_path / "posts.jsonl", objects)),
        "--on-error",
        "skip",
        "--errors-file",
        str(errors),
    )
    assert result.returncode == 1
    assert result.error.count("'colour'") == 1
    assert "posts.jsonl:1: column 'colour' matches no field" in result.error
    assert result.stderr.count("colour") == 0
    assert not Post.objects.filter(slug__startswith="u").exists()
    result = run("load_data", str(tmp_path / "posts.jsonl"), "-i")
    assert result.error is None
    assert Post.objects.filter(slug__startswith="u").count() == 50


def test_an_omitted_key_keeps_the_stored_value_on_update(tmp_path, people):
    category = Category.objects.order_by("pk").first()
    Post.objects.filter(pk=people.pk).update(
        views=99, category=category, rating=Decimal("4.50")
    )
    obj = {"slug": people.slug, "title": "New title"}
    result = run("load_data", str(jsonl(tmp_path / "posts.jsonl", [obj])))
    assert result.error is None, result
    post = Post.objects.get(pk=people.pk)
    assert (post.title, post.views, post.category, post.rating) == (
        "New title",
        99,
        category,
        Decimal("4.50"),
    )
    assert post.body == people.body and post.author == people.author
    # An explicit null is a value.
    obj = {"slug": people.slug, "category": None}
    result = run("load_data", str(jsonl(tmp_path / "posts.jsonl", [obj])))
    assert result.error is None, result
    post = Post.objects.get(pk=people.pk)
    assert post.category is None and post.views == 99


def test_an_omitted_key_takes_the_default_on_create_like_save(tmp_path, people):
    author = people.author.username
    obj = {"slug": "fresh", "title": "T", "body": "b", "author": author}
    result = run("load_data", str(jsonl(tmp_path / "posts.jsonl", [obj])))
    assert result.error is None, result
    stored = Post.objects.filter(slug="fresh").values().get()
    oracle = Post(slug="fresh2", title="T", body="b", author=people.author)
    oracle.save()
    expected = Post.objects.filter(slug="fresh2").values().get()
    for name in ("id", "slug", "created_at", "updated_at", "published_at"):
        stored.pop(name, None)
        expected.pop(name, None)
    assert stored == expected


def test_an_empty_csv_cell_is_still_a_value(tmp_path, people):
    category = Category.objects.order_by("pk").first()
    Post.objects.filter(pk=people.pk).update(category=category)
    path = tmp_path / "posts.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["slug", "title", "body", "author", "category"])
        writer.writerow(
            [people.slug, people.title, people.body, people.author.username, ""]
        )
    result = run("load_data", str(path))
    assert result.error is None, result
    assert Post.objects.get(pk=people.pk).category is None
