"""`seed_posts` as users call it: the sample blog, --count, idempotence, --clear."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from mysite.blog.management.commands.seed_posts import SAMPLE_FILES
from mysite.blog.models import Author, Category, Post, Tag
from tests.zoo.models import Fan, Patron

from .conftest import run

pytestmark = pytest.mark.django_db

SAMPLE = {"authors": 24, "categories": 8, "tags": 30, "posts": 300}
SAMPLE_ROWS = sum(SAMPLE.values())


def counts() -> dict[str, int]:
    return {
        "authors": Author.objects.count(),
        "categories": Category.objects.count(),
        "tags": Tag.objects.count(),
        "posts": Post.objects.count(),
    }


def seed(*args: str) -> dict:
    """Run seed_posts with a JSON report; fail the test if the command failed."""
    result = run("seed_posts", *args, "--report", "json")
    assert result.error is None, result.error + result.stderr
    return json.loads(result.stdout)


def snapshot() -> list[tuple]:
    """Every post with its author, category and tags, comparable across runs."""
    posts = Post.objects.select_related("author", "category").prefetch_related("tags")
    return [
        (
            p.slug,
            p.title,
            p.author.username,
            p.author.name,
            p.category.slug,
            p.status,
            p.published_at,
            p.views,
            p.rating,
            p.body,
            sorted(t.name for t in p.tags.all()),
        )
        for p in posts
    ]


def test_plain_run_loads_the_sample_files():
    result = run("seed_posts")
    assert result.error is None, result.stderr
    assert counts() == SAMPLE
    assert "fixtures/posts.json: 300 rows read, 300 created" in result.stdout
    with open(SAMPLE_FILES[-1], encoding="utf-8") as f:
        expected = {row["slug"]: row for row in json.load(f)}
    post = Post.objects.get(slug=next(iter(expected)))
    row = expected[post.slug]
    assert post.author.username == row["author"]
    assert sorted(t.name for t in post.tags.all()) == row["tags"]
    assert Post.tags.through.objects.count() == sum(
        len(r["tags"]) for r in expected.values()
    )


def test_second_run_reports_every_row_unchanged():
    first = seed()
    second = seed()
    assert first["totals"]["created"] == SAMPLE_ROWS
    assert second["totals"] == {
        "rows": SAMPLE_ROWS,
        "created": 0,
        "updated": 0,
        "unchanged": SAMPLE_ROWS,
        "skipped": 0,
        "rejected": 0,
    }
    assert counts() == SAMPLE


def test_count_generates_posts_and_what_they_name():
    report = seed("--count", "120", "--seed", "7")
    assert counts() == {"authors": 2, "categories": 3, "tags": 12, "posts": 120}
    assert [f["file"] for f in report["files"]] == [
        "generated authors",
        "generated categories",
        "generated tags",
        "generated posts",
    ]
    assert (
        Post.objects.filter(published_at__isnull=False)
        .exclude(status="published")
        .count()
        == 0
    )
    assert Post.tags.through.objects.exists()


def test_count_twice_with_the_same_seed_changes_nothing():
    seed("--count", "50", "--seed", "3")
    again = seed("--count", "50", "--seed", "3")
    assert again["totals"]["unchanged"] == again["totals"]["rows"]
    assert again["totals"]["created"] == again["totals"]["updated"] == 0


def test_same_seed_same_rows_other_seed_other_rows():
    seed("--count", "40", "--seed", "11")
    first = snapshot()
    seed("--clear", "--noinput", "--count", "40", "--seed", "11")
    assert snapshot() == first
    other = seed("--count", "40", "--seed", "12")
    assert other["files"][-1]["updated"] > 0
    assert snapshot() != first


def test_count_builds_with_factories_and_writes_in_batches(
    monkeypatch, django_assert_max_num_queries
):
    def no_save(self, *args, **kwargs):
        raise AssertionError(f"{type(self).__name__}.save() called: rows must be built")

    monkeypatch.setattr(models.Model, "save", no_save)
    # 3,000 posts in 3 batches: ~35 queries on SQLite, ~42 on PostgreSQL (savepoints)
    # in all; one per row would be thousands.
    with django_assert_max_num_queries(60):
        report = seed("--count", "3000", "--batch-size", "1000")
    assert report["files"][-1]["created"] == 3000
    assert Post.objects.count() == 3000


def test_dry_run_writes_nothing_and_previews_everything():
    result = run("seed_posts", "--dry-run", "--report", "json")
    assert result.error is None, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert report["totals"]["created"] == SAMPLE_ROWS
    assert counts() == dict.fromkeys(SAMPLE, 0)


def test_common_options_pass_through():
    result = run(
        "seed_posts",
        "--database",
        "default",
        "--batch-size",
        "7",
        "--no-progress",
        verbosity=2,
    )
    assert result.error is None, result.stderr
    assert counts() == SAMPLE


def test_unknown_database_is_a_usage_error():
    result = run("seed_posts", "--database", "nowhere")
    assert "argument --database: invalid choice: 'nowhere'" in result.error


@pytest.mark.parametrize(
    "args, message",
    [
        (["--count", "0"], "--count must be positive"),
        (["--count", "5", SAMPLE_FILES[0]], "not both"),
    ],
)
def test_usage_errors(args, message):
    result = run("seed_posts", *args)
    assert result.returncode == 2 and message in result.error


# -- --clear -------------------------------------------------------------------------


def add_stray_rows() -> None:
    """Rows that are not in the sample blog, for --clear to delete."""
    author = Author.objects.create(username="stray", name="Stray")
    Post.objects.create(slug="stray-post", title="Stray", author=author, body="x")


def answer(monkeypatch, reply: str) -> list[str]:
    """Make input() reply `reply`; return the prompts it was shown."""
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return reply

    monkeypatch.setattr(builtins, "input", fake_input)
    return prompts


def test_clear_confirmed_replaces_the_blog(monkeypatch, blog):
    add_stray_rows()
    prompts = answer(monkeypatch, "yes")
    result = run("seed_posts", "--clear")
    assert result.error is None, result.stderr
    assert "Type 'yes' to continue" in prompts[0]
    assert "Cleared the blog: 301 posts, 30 tags, 8 categories, 25 authors" in (
        result.stdout
    )
    assert not Author.objects.filter(username="stray").exists()
    assert counts() == SAMPLE
    # What was listed before asking is what was deleted.
    listed = prompts[0].splitlines()[1].strip()
    assert f"Cleared the blog: {listed}" in result.stdout


def test_clear_refused_deletes_nothing(monkeypatch, blog):
    add_stray_rows()
    answer(monkeypatch, "no")
    result = run("seed_posts", "--clear")
    assert result.error is None
    assert "Seed cancelled." in result.stdout
    assert Post.objects.filter(slug="stray-post").exists()
    assert counts()["posts"] == SAMPLE["posts"] + 1


def test_clear_noinput_does_not_ask(monkeypatch):
    add_stray_rows()

    def no_input(prompt: str = "") -> str:
        raise AssertionError("input() called despite --noinput")

    monkeypatch.setattr(builtins, "input", no_input)
    result = run("seed_posts", "--clear", "--noinput")
    assert result.error is None, result.stderr
    assert counts() == SAMPLE


def test_clear_without_input_asks_for_noinput(monkeypatch):
    def closed(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", closed)
    add_stray_rows()
    result = run("seed_posts", "--clear")
    assert result.returncode == 2 and "--noinput" in result.error
    assert Author.objects.filter(username="stray").exists()


def test_failed_seed_restores_what_clear_deleted(tmp_path: Path, blog):
    add_stray_rows()
    before = counts()
    bad = tmp_path / "posts.json"
    bad.write_text(
        json.dumps([{"slug": "x", "title": "X", "author": "nobody", "body": "."}])
    )
    result = run("seed_posts", "--clear", "--noinput", str(bad))
    assert result.returncode == 1
    assert "nobody" in result.error and "the cleared rows are back" in result.error
    assert counts() == before
    assert Author.objects.filter(username="stray").exists()


def test_clear_in_a_dry_run_only_counts_with_selects(monkeypatch, blog):
    add_stray_rows()
    answer(monkeypatch, "no")  # a dry run does not ask: nothing will be deleted
    with CaptureQueriesContext(connection) as queries:
        result = run("seed_posts", "--clear", "--dry-run")
    assert result.error is None, result.stderr
    assert "[dry run] --clear would delete: 301 posts, 30 tags, 8 categories, " in (
        result.stdout
    )
    statements = {q["sql"].split()[0].upper() for q in queries.captured_queries}
    assert statements == {"SELECT"}, statements  # no BEGIN, DELETE, SAVEPOINT
    assert Author.objects.filter(username="stray").exists()
    assert counts()["posts"] == SAMPLE["posts"] + 1


def test_clear_lists_what_cascades_into_other_apps_before_asking(monkeypatch, blog):
    Fan.objects.create(author=Author.objects.first())
    prompts = answer(monkeypatch, "no")
    result = run("seed_posts", "--clear")
    assert result.error is None, result.stderr
    assert "1 zoo.Fan rows" in prompts[0]
    assert Fan.objects.count() == 1


def test_clear_refuses_when_another_app_protects_a_row(monkeypatch, blog):
    Patron.objects.create(author=Author.objects.first())
    answer(monkeypatch, "yes")
    result = run("seed_posts", "--clear")
    assert result.returncode == 1
    assert result.error == (
        "--clear cannot delete the blog: 1 row(s) of zoo.Patron protect rows it "
        "would delete"
    )
    assert counts() == SAMPLE


def test_seed_for_ci_as_a_real_process(manage):
    done = manage("seed_posts", "--report", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["totals"]["rows"] == SAMPLE_ROWS
    posts = next(f for f in report["files"] if f["importer"] == "posts")
    assert posts["rows"] == SAMPLE["posts"]
    assert counts() == SAMPLE
