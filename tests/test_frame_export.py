"""DataFrames out: read_frame() gives rows as a file has them; they round-trip."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.db.models.signals import post_init

from importers import read_frame, run_import
from importers.importer import Importer
from mysite.blog.importers import (
    AuthorImporter,
    CategoryImporter,
    PostImporter,
    TagImporter,
)
from mysite.blog.models import Author, Category, Post, Tag
from tests.zoo.models import Typed

pytestmark = pytest.mark.django_db
TypedImporter = Importer.for_model(Typed)


@pytest.mark.parametrize(
    "model, importer",
    [
        (Author, AuthorImporter),
        (Category, CategoryImporter),
        (Tag, TagImporter),
        (Post, PostImporter),
    ],
    ids=["authors", "categories", "tags", "posts"],
)
def test_a_frame_read_from_the_blog_imports_back_unchanged(blog, model, importer):
    frame = read_frame(model)
    assert len(frame) == model.objects.count() > 0
    report = run_import([(importer, frame)])
    assert report.ok, report.files[0].errors
    assert report.total("unchanged") == len(frame)


def test_posts_come_as_a_file_has_them_in_dtypes_that_hold_them(blog):
    frame = read_frame(Post.objects.filter(tags__isnull=False).distinct())
    assert dict(frame.dtypes.astype(str)) == {
        "slug": "string",
        "title": "string",
        "author": "string",
        "category": "string",
        "status": "string",
        "published_at": "datetime64[us, UTC]",
        "views": "int64",
        "rating": "object",
        "body": "string",
        "tags": "object",
    }
    row = frame.set_index("slug").loc[Post.objects.filter(tags__isnull=False)[0].slug]
    post = Post.objects.get(slug=row.name)
    assert row["author"] == post.author.username
    assert sorted(row["tags"]) == sorted(t.name for t in post.tags.all())
    assert row["rating"] == post.rating
    assert isinstance(row["rating"], (Decimal, type(None)))


def test_every_field_kind_round_trips_with_nulls():
    key = uuid.uuid4()
    Typed.objects.create(
        key="full",
        label="x",
        flag=False,
        count=-3,
        amount=Decimal("12.30"),
        ratio=0.1,
        day=date(2024, 3, 1),
        at=datetime(2024, 3, 1, 10, 30, 0, 123456, tzinfo=UTC),
        span=timedelta(days=2, microseconds=5),
        uid=key,
    )
    Typed.objects.create(key="empty")
    frame = read_frame(Typed.objects.order_by("key"))
    assert dict(frame.dtypes.astype(str)) == {
        "key": "string",
        "label": "string",
        "flag": "boolean",
        "count": "Int64",
        "amount": "object",
        "ratio": "float64",
        "day": "object",
        "at": "datetime64[us, UTC]",
        "span": "timedelta64[us]",
        "uid": "string",
    }
    empty, full = frame.to_dict("records")
    assert full["amount"] == Decimal("12.30") and full["uid"] == str(key)
    assert empty["label"] == "" and pd.isna(empty["count"]) and empty["day"] is None
    report = run_import([(TypedImporter, frame)])
    assert report.ok, report.files[0].errors
    assert report.total("unchanged") == 2


def test_columns_pick_and_order_fields(blog):
    frame = read_frame(Post, columns=["tags", "slug"])
    assert list(frame.columns) == ["tags", "slug"]
    with pytest.raises(ValueError, match="no importable field 'nope'"):
        read_frame(Post, columns=["slug", "nope"])


def test_a_queryset_picks_the_rows_and_an_importer_must_match(blog):
    drafts = read_frame(Post.objects.filter(status="draft"))
    assert set(drafts["status"]) == {"draft"}
    assert len(drafts) == Post.objects.filter(status="draft").count()
    with pytest.raises(ValueError, match=r"imports blog\.Author, not blog\.Post"):
        read_frame(Post, AuthorImporter)


def test_an_empty_table_gives_an_empty_frame_with_its_columns_and_dtypes():
    frame = read_frame(Post)
    assert len(frame) == 0
    assert str(frame.dtypes["views"]) == "int64"
    assert list(frame.columns)[:2] == ["slug", "title"]


def test_rows_are_streamed_in_chunks_without_model_instances(
    blog, django_assert_num_queries
):
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    post_init.connect(count)
    try:
        # One query for the rows, one per chunk of 50 for the posts' tags.
        chunks = -(-Post.objects.count() // 50)
        with django_assert_num_queries(1 + chunks):
            frame = read_frame(Post, chunk_size=50)
    finally:
        post_init.disconnect(count)
    assert built == []
    assert len(frame) == Post.objects.count()
    assert frame.index.equals(pd.RangeIndex(len(frame)))


def test_the_readme_example_updates_just_the_changed_rows(blog):
    frame = read_frame(Post.objects.filter(status="published"))
    busy = frame["views"] > 1000
    frame.loc[busy, "status"] = "draft"
    report = run_import([(PostImporter, frame)])
    assert report.ok, report.files[0].errors
    assert report.total("update") == busy.sum() > 0
    assert report.total("unchanged") == len(frame) - busy.sum()
    assert set(
        Post.objects.filter(views__gt=1000).values_list("status", flat=True)
    ) == {"draft"}
