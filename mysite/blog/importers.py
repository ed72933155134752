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


class CRMAuthorImporter(importers.Importer):
    """Authors from the CRM's CSV export: its own headers, its own spelling.

    Used by the `import_authors` command; not registered, so `load_data` keeps
    reading `authors.csv` files with AuthorImporter.
    """

    model = Author
    columns = {"Login": "username", "Full name": "name", "E-mail address": "email"}
    null_values = ["N/A"]

    def clean_username(self, value: str) -> str:
        """Log-ins are case-insensitive in the CRM: store them lower-cased."""
        return value.strip().lower()

    def clean_email(self, value: str) -> str:
        """Store addresses lower-cased, so the same address is the same row."""
        return value.strip().lower()
