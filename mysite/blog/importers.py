"""The blog's importers, found by `load_data` under their names (posts, authors...)."""

import importers

from .models import Author, Category, Post, Tag


@importers.register
class AuthorImporter(importers.Importer):
    model = Author


@importers.register
class CategoryImporter(importers.Importer):
    model = Category


@importers.register
class TagImporter(importers.Importer):
    model = Tag


@importers.register
class PostImporter(importers.Importer):
    model = Post
    lookups = {"author": "username", "category": "slug", "tags": "name"}
    create_missing = ["tags"]
