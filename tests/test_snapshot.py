"""Snapshot a database into fixtures, seed from them: `seed_posts --snapshot`.

The files `export_data` writes are the files `seed_posts` and `load_data` read:
loaded into the same database they change nothing, and into an empty one they
recreate the same blog.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mysite.blog.management.commands.seed_posts import SAMPLE_FILES
from mysite.blog.models import Author, Category, Post, Tag

from .conftest import run
from .test_export_roundtrip import content
from .test_seed_posts import SAMPLE_ROWS, counts

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple]]:
    """The whole blog, comparable across databases: related rows by natural key."""
    return {m._meta.label: content(m) for m in (Author, Category, Tag, Post)}


def snapshot_files(directory: Path) -> list[str]:
    return [str(directory / Path(sample).name) for sample in SAMPLE_FILES]


def seeded(*args: str) -> dict:
    result = run("seed_posts", *args, "--report", "json", "--noinput")
    assert result.error is None, result.error
    return json.loads(result.stdout)["totals"]


def test_snapshot_then_seed_changes_nothing(tmp_path):
    seeded("--count", "120", "--seed", "5")
    Post.objects.filter(pk=Post.objects.order_by("pk")[0].pk).update(rating=None)
    before, sizes = snapshot(), counts()
    result = run("seed_posts", "--snapshot", str(tmp_path / "fixtures"))
    assert result.error is None, result.error
    files = snapshot_files(tmp_path / "fixtures")
    assert all(Path(f).exists() for f in files)
    totals = seeded(*files)
    assert totals["unchanged"] == totals["rows"] == sum(sizes.values())
    assert load_data_unchanged(files) == sum(sizes.values())
    assert snapshot() == before


def load_data_unchanged(files: list[str]) -> int:
    result = run("load_data", *files, "--report", "json")
    assert result.error is None, result.error
    return json.loads(result.stdout)["totals"]["unchanged"]


def test_seed_an_empty_database_from_a_snapshot(tmp_path):
    seeded()  # the sample blog of fixtures/
    before, sizes = snapshot(), counts()
    run("seed_posts", "--snapshot", str(tmp_path))
    files = snapshot_files(tmp_path)
    totals = seeded("--clear", *files)
    assert totals["created"] == SAMPLE_ROWS and totals["rejected"] == 0
    assert counts() == sizes
    assert snapshot() == before


def test_snapshot_usage_error(tmp_path):
    result = run("seed_posts", "--snapshot", str(tmp_path), "--count", "3")
    assert result.returncode == 2
