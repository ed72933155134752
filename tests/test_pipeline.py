"""The engine as a library: hooks, lookups and keys through `run_import`."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from importers.errors import SourceError
from importers.importer import Importer
from importers.options import ImportOptions
from importers.pipeline import Records, run_import
from mysite.blog.factories import AuthorFactory, CategoryFactory
from mysite.blog.models import Author, Post, Tag

pytestmark = pytest.mark.django_db


class ShoutingAuthorImporter(Importer):
    model = Author
    columns = {"login": "username"}

    def transform(self, values):
        values["username"] = (values.get("username") or "").strip().lower()
        return values

    def clean_name(self, value):
        if value.isupper():
            raise ValidationError("do not shout", code="shouting")
        return value.title()

    def clean(self, record):
        if record["username"] == "root":
            raise ValidationError(
                {"username": ValidationError("reserved name", code="reserved")}
            )
        return record


def test_transform_then_clean_field_then_clean():
    rows = [
        {"login": "  Ada ", "name": "ada lovelace"},
        {"login": "bob", "name": "BOB"},
        {"login": "root", "name": "admin"},
    ]
    report = run_import(
        [(ShoutingAuthorImporter, Records("people", rows))],
        ImportOptions(on_error="skip"),
    )
    assert [(a.username, a.name) for a in Author.objects.all()] == [
        ("ada", "Ada Lovelace")
    ]
    errors = {(e.line, e.column, e.code, e.message) for e in report.files[0].errors}
    assert errors == {
        (2, "name", "shouting", "do not shout"),
        (3, "login", "reserved", "reserved name"),
    }


def test_lookup_override_and_key_option():
    AuthorFactory(username="ada", email="ada@example.com")
    CategoryFactory(slug="news", name="News")
    rows = [
        {
            "slug": "p",
            "title": "T",
            "author": "ada@example.com",
            "body": "b",
            "category": "news",
        },
    ]

    class ByEmail(Importer):
        model = Post

    # Author.email is not unique, so it cannot be declared as a lookup ...
    with pytest.raises(Exception, match="not unique"):
        Importer.for_model(Post, lookups={"author": "email"})
    # ... but the default lookup (username) rejects the e-mail with a clear error.
    report = run_import(
        [(ByEmail, Records("posts", rows))], ImportOptions(on_error="skip")
    )
    assert "Author with username 'ada@example.com' does not exist" in str(
        report.files[0].errors[0]
    )


def test_create_missing_related_rows_and_count_them():
    AuthorFactory(username="ada")
    rows = [
        {
            "slug": "p",
            "title": "T",
            "author": "ada",
            "body": "b",
            "tags": ["new-one", "new-two"],
        }
    ]

    class Posts(Importer):
        model = Post
        create_missing = ["tags"]

    report = run_import([(Posts, Records("posts", rows))])
    assert report.files[0].related_created == {"tags": 2}
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["new-one", "new-two"]


def test_upsert_of_changed_tags_replaces_links():
    AuthorFactory(username="ada")

    class Posts(Importer):
        model = Post
        create_missing = ["tags"]

    def load(tags):
        rows = [{"slug": "p", "title": "T", "author": "ada", "body": "b", "tags": tags}]
        return run_import([(Posts, Records("posts", rows))]).as_dict()["totals"]

    assert load(["a", "b"])["created"] == 1
    assert load(["b", "a"])["unchanged"] == 1
    assert load(["b", "c"])["updated"] == 1
    assert sorted(Post.objects.get().tags.values_list("name", flat=True)) == ["b", "c"]


def test_importer_defaults_fill_absent_columns_of_new_rows_only():
    AuthorFactory(username="ada")

    class Posts(Importer):
        model = Post
        defaults = {"status": "published", "views": 7}

    rows = [{"slug": "p", "title": "T", "author": "ada", "body": "b"}]
    run_import([(Posts, Records("posts", rows))])
    post = Post.objects.get()
    assert (post.status, post.views) == ("published", 7)
    Post.objects.update(views=9)
    run_import([(Posts, Records("posts", rows))])
    assert Post.objects.get().views == 9


def test_an_unknown_key_stops_the_file_once_unless_ignored():
    # As an unknown CSV column: named once, with its line, however many rows have it.
    rows = [{"username": "a", "name": "A"}, {"username": "b", "name": "B", "age": 3}]
    with pytest.raises(SourceError, match="people:2: column 'age' matches no field"):
        run_import(
            [(Importer.for_model(Author), Records("people", rows))],
            ImportOptions(on_error="skip"),
        )
    report = run_import(
        [(Importer.for_model(Author), Records("people", rows))],
        ImportOptions(ignore_nonexistent=True),
    )
    assert report.ok and Author.objects.count() == 2


def test_unique_fields_besides_the_key_are_checked_before_writing():
    Tag.objects.create(name="taken")
    rows = [{"name": "fresh"}, {"name": "taken"}, {"name": "fresh"}, {"name": "other"}]
    # No key: every row is new, so Tag.name is checked as a unique field.
    report = run_import(
        [(Importer.for_model(Tag), Records("tags", rows))],
        ImportOptions(key=(), on_error="skip"),
    )
    errors = [(e.line, e.column, e.code, e.message) for e in report.files[0].errors]
    assert errors == [
        (
            2,
            "name",
            "unique",
            "name must be unique; an existing row has the same value",
        ),
        (3, "name", "unique", "name must be unique; line 1 has the same value"),
    ]
    assert sorted(Tag.objects.values_list("name", flat=True)) == [
        "fresh",
        "other",
        "taken",
    ]
