"""Declaring importers: defaults drawn from the model, checks at class creation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

import importers
from importers.importer import Importer, default_key, default_lookup
from importers.registry import get_importer, importer_for_model, registered
from mysite.blog.importers import PostImporter
from mysite.blog.models import Author, Category, Post, Tag


def test_blog_importers_are_discovered_under_their_plural_names():
    assert {"authors", "categories", "tags", "posts"} <= set(registered())
    assert get_importer("posts") is PostImporter


def test_defaults_come_from_the_model():
    assert PostImporter.get_key() == ("slug",)
    names = [f.name for f in PostImporter.get_fields()]
    assert names == [
        "slug",
        "title",
        "author",
        "category",
        "status",
        "published_at",
        "views",
        "rating",
        "body",
        "tags",
    ]
    assert default_key(Author) == ("username",)
    assert default_lookup(Category) == "slug"
    assert default_lookup(Tag) == "name"


def test_for_model_builds_an_importer_with_overrides():
    cls = Importer.for_model(Author, key="username", columns={"login": "username"})
    assert issubclass(cls, Importer) and cls.model is Author
    assert cls.columns == {"login": "username"}
    assert cls.get_name() == "authors"
    assert importer_for_model(Post) is PostImporter


def test_for_model_rejects_unknown_options():
    with pytest.raises(TypeError, match="unknown options"):
        Importer.for_model(Author, colums={})


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"fields": ["slug", "titel"]}, "PostBad.fields names 'titel'"),
        ({"key": "title"}, "PostBad.key: title is not unique"),
        ({"key": "tags"}, "PostBad.key cannot be a many-to-many"),
        ({"columns": {"Heading": "headline"}}, "columns['Heading'] names 'headline'"),
        ({"lookups": {"author": "nick"}}, "'nick' is not a field of blog.Author"),
        ({"lookups": {"author": "name"}}, "Author.name is not unique"),
        ({"lookups": {"title": "x"}}, "'title' is not a relation of blog.Post"),
        ({"lookups": {"author": "posts"}}, "blog.Author.posts is not a column"),
        ({"create_missing": ["body"]}, "create_missing names 'body'"),
        ({"defaults": {"nope": 1}}, "defaults names 'nope'"),
    ],
)
def test_declaration_errors_name_class_attribute_and_field(attrs, message):
    with pytest.raises(
        ImproperlyConfigured,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        type("PostBad", (Importer,), {"model": Post, "__module__": __name__, **attrs})


def test_public_names_load_lazily():
    assert importers.Importer is Importer
    with pytest.raises(AttributeError):
        importers.nothing  # noqa: B018
