"""create_missing creates related rows only for rows that are written (issue 9.15).

A row rejected for any reason (here: an unknown author) leaves no new tag behind,
in atomic and --no-atomic runs, and the dry run's count equals the real run's.
"""

from __future__ import annotations

import csv

import pytest

from mysite.blog.models import Post, Tag

from .conftest import run

pytestmark = pytest.mark.django_db


def posts_file(path, author):
    rows = [
        ("ok-1", author, "fresh-a;fresh-b"),
        ("bad-1", "nobody-at-all", "orphan-a;fresh-a"),
        ("ok-2", author, "fresh-b"),
        ("bad-2", "nobody-at-all", "orphan-b"),
    ]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["slug", "title", "body", "author", "tags"])
        for slug, who, tags in rows:
            writer.writerow([slug, "T", "b", who, tags])
    return path


@pytest.mark.parametrize("atomic", [[], ["--no-atomic"]])
@pytest.mark.parametrize("batch", ["1", "1000"])
def test_rejected_rows_leave_no_related_rows(tmp_path, blog, atomic, batch):
    author = Post.objects.first().author.username
    path = posts_file(tmp_path / "posts.csv", author)
    tags_before = set(Tag.objects.values_list("name", flat=True))
    args = ["--on-error", "skip", "--batch-size", batch, *atomic]
    dry = run("load_data", str(path), "--dry-run", *args)
    assert dry.returncode == 1
    real = run("load_data", str(path), *args)
    assert real.returncode == 1
    new_tags = set(Tag.objects.values_list("name", flat=True)) - tags_before
    assert new_tags == {"fresh-a", "fresh-b"}
    assert "would create related rows: tags 2" in dry.stdout, dry
    assert "created related rows: tags 2" in real.stdout, real
    assert sorted(
        Post.objects.get(slug="ok-1").tags.values_list("name", flat=True)
    ) == ["fresh-a", "fresh-b"]
