"""Concurrency: several `load_data` upserts of overlapping files at the same moment.

Three real `manage.py load_data` processes start together, on files whose keys
overlap (in the same order, or in opposite orders), each file giving its own values
and tags. PostgreSQL only: SQLite takes one writer at a time, so runs there never
interleave. Afterwards:

- no run printed a traceback; a run that failed says so in one line naming the
  file and the lines of the batch, and, atomic, wrote nothing. Runs do fail today:
  PostgreSQL picks one as the victim of a deadlock when the files' orders differ
  (nothing retries it: run it again, an upsert is idempotent), and a run whose
  "new" post was created meanwhile by another run collides on the tag links (the
  known bug below);
- every key exists exactly once;
- each row's values, tags included, are all those of one run that wrote it.

The race behind the tag-link collision is reproduced deterministically, on both
databases, by creating the post between the planning and the writing of a batch.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from importers.planning import Planner
from mysite.blog.models import Author, Post, Tag

from .conftest import run
from .reliability import is_postgresql, start_manage

HEADER = ["slug", "title", "author", "status", "views", "body", "tags"]
SIZE = 3000


def write_run(path: Path, number: int, keys: list[int]) -> Path:
    """A posts file whose every value says which run wrote it."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for key in keys:
            tags = f"shared-{key % 7};run{number}-{key % 3}"
            writer.writerow(
                [
                    f"post-{key:05d}",
                    f"run {number}",
                    "ada",
                    "draft",
                    number,
                    f"b{number}",
                    tags,
                ]
            )
    return path


def expected_tags(number: int, slug: str) -> list[str]:
    key = int(slug.split("-")[1])
    return sorted([f"shared-{key % 7}", f"run{number}-{key % 3}"])


ORDERS = {
    "same order": [range(0, SIZE), range(SIZE // 2, SIZE + SIZE // 2), range(0, SIZE)],
    "opposite orders": [
        range(0, SIZE),
        range(SIZE + SIZE // 2 - 1, SIZE // 2 - 1, -1),
        range(SIZE - 1, -1, -1),
    ],
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not is_postgresql(),
    reason="PostgreSQL only: SQLite serialises writers, runs never interleave",
)
@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "no-atomic"])
@pytest.mark.parametrize("order", ORDERS)
def test_overlapping_upserts_leave_each_key_once_with_one_runs_values(
    tmp_path, order, atomic
):
    Author.objects.create(username="ada", name="Ada")
    files = [
        write_run(tmp_path / f"posts{number}.csv", number, list(keys))
        for number, keys in enumerate(ORDERS[order], start=1)
    ]
    options = ["--importer", "posts", "--no-progress", "--batch-size", "500"]
    if not atomic:
        options.append("--no-atomic")
    processes = [start_manage("load_data", str(path), *options) for path in files]
    outcomes = []
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        outcomes.append((process.returncode, stderr.decode()))

    succeeded = set()
    for number, (status, stderr) in enumerate(outcomes, start=1):
        assert "Traceback" not in stderr, stderr
        assert status in (0, 1), stderr
        if status == 0:
            succeeded.add(number)
        else:
            last = stderr.strip().splitlines()[-1]
            assert last.startswith(f"CommandError: {files[number - 1]} lines "), last
            assert "the database failed: " in last
    assert succeeded, outcomes

    posts = {
        post.slug: (
            post.title,
            post.views,
            post.body,
            sorted(t.name for t in post.tags.all()),
        )
        for post in Post.objects.prefetch_related("tags")
    }
    assert Post.objects.count() == len(posts)  # each key once
    keys_of = {
        number: {f"post-{k:05d}" for k in keys}
        for number, keys in enumerate(ORDERS[order], 1)
    }
    must_exist = set().union(*(keys_of[number] for number in succeeded))
    may_exist = set().union(*keys_of.values())
    assert must_exist <= set(posts) <= may_exist
    for slug, (title, views, body, tags) in posts.items():
        number = views
        assert slug in keys_of[number]
        assert (title, body, tags) == (
            f"run {number}",
            f"b{number}",
            expected_tags(number, slug),
        )
        if atomic:
            assert number in succeeded  # a failed atomic number wrote nothing


@pytest.fixture
def created_meanwhile(monkeypatch):
    """Make another run create post p1, with tags, between planning and writing."""
    ada = Author.objects.create(username="ada", name="Ada")
    plan = Planner.plan
    tags: list[str] = []

    def racing_plan(self, records):
        result = plan(self, records)
        if self.model is Post and not Post.objects.filter(slug="p1").exists():
            theirs = Post.objects.create(
                slug="p1", title="Theirs", author=ada, body="theirs"
            )
            theirs.tags.set([Tag.objects.get_or_create(name=n)[0] for n in tags])
        return result

    monkeypatch.setattr(Planner, "plan", racing_plan)
    return tags


@pytest.mark.django_db
@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "no-atomic"])
def test_a_row_created_meanwhile_is_upserted(tmp_path, created_meanwhile, atomic):
    path = tmp_path / "posts.csv"
    path.write_text("slug,title,author,body\np1,Mine,ada,mine\np2,Two,ada,two\n")
    options = [] if atomic else ["--no-atomic"]
    result = run("load_data", str(path), *options)
    assert result.error is None, result
    assert dict(Post.objects.values_list("slug", "title")) == {
        "p1": "Mine",
        "p2": "Two",
    }


@pytest.mark.django_db
def test_a_row_created_meanwhile_ends_with_this_runs_tags_only(
    tmp_path, created_meanwhile
):
    created_meanwhile.append("theirs")
    path = tmp_path / "posts.csv"
    path.write_text("slug,title,author,body,tags\np1,Mine,ada,mine,mine\n")
    result = run("load_data", str(path))
    assert result.error is None, result
    post = Post.objects.get(slug="p1")
    assert (post.title, [t.name for t in post.tags.all()]) == ("Mine", ["mine"])


@pytest.mark.django_db
def test_a_row_created_meanwhile_with_the_same_tags_is_written(
    tmp_path, created_meanwhile
):
    created_meanwhile.append("mine")
    path = tmp_path / "posts.csv"
    path.write_text("slug,title,author,body,tags\np1,Mine,ada,mine,mine\n")
    result = run("load_data", str(path), "--on-error", "skip")
    assert result.error is None, result
    post = Post.objects.get(slug="p1")
    assert (post.title, [t.name for t in post.tags.all()]) == ("Mine", ["mine"])
