"""The native write path (executemany / COPY) writes exactly what the ORM writes."""

from __future__ import annotations

import pytest
from django.db import connection

from importers.options import ImportOptions
from importers.pipeline import run_import
from mysite.blog.importers import AuthorImporter, CategoryImporter, PostImporter
from mysite.blog.models import Post

pytestmark = pytest.mark.django_db


def table(name: str, order: str) -> list[tuple]:
    """Return a table's rows as the database holds them, without ids."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name} ORDER BY {order}")  # names from tests
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    keep = [i for i, c in enumerate(columns) if c != "id"]
    return [tuple(row[i] for i in keep) for row in rows]


def snapshot() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.slug, t.name FROM blog_post_tags l "
            "JOIN blog_post p ON p.id = l.post_id JOIN blog_tag t ON t.id = l.tag_id "
            "ORDER BY p.slug, t.name"
        )
        links = cursor.fetchall()
    return table("blog_post", "slug"), links


@pytest.mark.parametrize("mode", ["create", "upsert", "skip"])
def test_native_and_orm_paths_write_the_same_rows(reference_data, mode):
    people = [
        (AuthorImporter, str(reference_data / "authors.csv")),
        (CategoryImporter, str(reference_data / "categories.csv")),
    ]
    posts = [(PostImporter, str(reference_data / "posts.json"))]
    assert run_import(people).ok
    results = []
    for native in (True, False):
        Post.objects.all().delete()
        options = ImportOptions(mode=mode, native=native, batch_size=700)
        assert run_import(posts, options).ok
        results.append(snapshot())
    assert results[0] == results[1]
    assert len(results[0][0]) > 1000


def test_native_and_orm_paths_update_the_same_way(reference_data):
    people = [
        (AuthorImporter, str(reference_data / "authors.csv")),
        (CategoryImporter, str(reference_data / "categories.csv")),
    ]
    assert run_import(people).ok
    results = []
    for native in (True, False):
        Post.objects.all().delete()
        run_import([(PostImporter, str(reference_data / "posts.csv"))])
        Post.objects.filter(views__lt=50000).update(views=1, title="stale")
        options = ImportOptions(native=native, mode="update")
        report = run_import(
            [(PostImporter, str(reference_data / "posts.jsonl"))], options
        )
        assert report.ok and report.total("update") > 0
        results.append(snapshot())
    assert results[0] == results[1]
