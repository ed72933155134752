"""`load_data` end to end, as users call it: the reference data, modes, dry runs."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from mysite.blog.factories import AuthorFactory, CategoryFactory, PostFactory
from mysite.blog.models import Author, Category, Post, Tag

from .conftest import REFERENCE_ROWS, run

pytestmark = pytest.mark.django_db


def load_people(data: Path) -> None:
    result = run("load_data", str(data / "authors.csv"), str(data / "categories.csv"))
    assert result.error is None, result.stderr


def expected_posts(data: Path) -> dict[str, dict]:
    with open(data / "posts.csv", newline="", encoding="utf-8") as f:
        return {row["slug"]: row for row in csv.DictReader(f)}


def assert_posts_match(data: Path) -> None:
    """Every post in the database equals its row in posts.csv, value by value."""
    expected = expected_posts(data)
    posts = Post.objects.select_related("author", "category").prefetch_related("tags")
    assert posts.count() == len(expected)
    for post in posts:
        row = expected[post.slug]
        assert post.title == row["title"]
        assert post.author.username == row["author"]
        assert (post.category.slug if post.category else "") == row["category"]
        assert post.status == row["status"]
        if row["published_at"]:
            assert post.published_at == parse_datetime(row["published_at"])
        else:
            assert post.published_at is None
        assert post.views == int(row["views"])
        assert post.rating == (Decimal(row["rating"]) if row["rating"] else None)
        assert post.body == row["body"]
        assert sorted(t.name for t in post.tags.all()) == sorted(
            filter(None, row["tags"].split(";"))
        )


@pytest.mark.parametrize("name", ["posts.csv", "posts.json", "posts.jsonl"])
def test_reference_data_loads_with_every_value_right(reference_data, name):
    load_people(reference_data)
    result = run("load_data", str(reference_data / name))
    assert result.error is None, result.stderr
    assert f"{REFERENCE_ROWS} rows read, {REFERENCE_ROWS} created" in result.stdout
    assert_posts_match(reference_data)
    assert Author.objects.count() == 1000
    assert Category.objects.count() == 20
    assert Tag.objects.count() == 50


def test_gzipped_file_loads_the_same(reference_data, tmp_path):
    load_people(reference_data)
    packed = tmp_path / "posts.csv.gz"
    with (
        open(reference_data / "posts.csv", "rb") as src,
        gzip.open(packed, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst)
    result = run("load_data", str(packed))
    assert result.error is None, result.stderr
    assert_posts_match(reference_data)


def test_second_run_reports_everything_unchanged(reference_data):
    load_people(reference_data)
    run("load_data", str(reference_data / "posts.csv"))
    again = run("load_data", str(reference_data / "posts.json"), "--report", "json")
    assert again.error is None, again.stderr
    totals = json.loads(again.stdout)["totals"]
    assert totals == {
        "rows": REFERENCE_ROWS,
        "created": 0,
        "updated": 0,
        "unchanged": REFERENCE_ROWS,
        "skipped": 0,
        "rejected": 0,
    }


def test_dry_run_writes_nothing_and_counts_what_the_real_run_does(reference_data):
    load_people(reference_data)
    with CaptureQueriesContext(connection) as queries:
        dry = run(
            "load_data",
            str(reference_data / "posts.csv"),
            "--dry-run",
            "--report",
            "json",
        )
    assert dry.error is None, dry.stderr
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert set(statements) <= {"SELECT"}, statements
    assert Post.objects.count() == 0 and Tag.objects.count() == 0
    real = run("load_data", str(reference_data / "posts.csv"), "--report", "json")
    dry_report, real_report = json.loads(dry.stdout), json.loads(real.stdout)
    assert dry_report["totals"] == real_report["totals"]
    assert (
        dry_report["files"][0]["related_created"]
        == real_report["files"][0]["related_created"]
        == {"tags": 50}
    )


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


POST_HEADER = [
    "slug",
    "title",
    "author",
    "category",
    "status",
    "published_at",
    "views",
    "rating",
    "body",
]


def post_row(slug: str, **changes: str) -> list[str]:
    row = {
        "slug": slug,
        "title": f"Title {slug}",
        "author": "ada",
        "category": "news",
        "status": "published",
        "published_at": "2024-05-01T10:00:00+02:00",
        "views": "3",
        "rating": "4.50",
        "body": "text",
    }
    row.update(changes)
    return [row[c] for c in POST_HEADER]


@pytest.fixture
def people():
    AuthorFactory(username="ada")
    CategoryFactory(slug="news")


def test_bad_cell_aborts_naming_line_column_value_and_leaves_database_untouched(
    tmp_path, people
):
    PostFactory(slug="kept", author=Author.objects.get(username="ada"))
    before = list(Post.objects.values_list("slug", "title", "views"))
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("a"),
            post_row("b"),
            post_row("c", rating="12.5"),
            post_row("d"),
        ],
    )
    result = run("load_data", str(path))
    assert result.returncode == 1
    assert "posts.csv:4" in result.error
    assert "'rating'" in result.error and "'12.5'" in result.error
    assert "nothing was written" in result.error
    assert list(Post.objects.values_list("slug", "title", "views")) == before


def test_on_error_skip_writes_good_rows_and_lists_bad_ones(tmp_path, people):
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("a"),
            post_row("b", author="nobody"),
            post_row("c", views="-1"),
            post_row("a", title="again"),
            post_row("e", status="gone"),
            post_row("f"),
        ],
    )
    errors = tmp_path / "errors.csv"
    result = run(
        "load_data", str(path), "--on-error", "skip", "--errors-file", str(errors)
    )
    assert result.returncode == 1
    assert result.error == "4 rows rejected"
    assert sorted(Post.objects.values_list("slug", flat=True)) == ["a", "f"]
    with open(errors, newline="", encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [r["line"] for r in rejected] == ["3", "4", "5", "6"]
    assert [r["slug"] for r in rejected] == ["b", "c", "a", "e"]
    assert "Author with username 'nobody' does not exist" in rejected[0]["error"]
    assert "greater than or equal to 0" in rejected[1]["error"]
    assert "duplicate key" in rejected[2]["error"] and "line 2" in rejected[2]["error"]
    assert "not a valid choice" in rejected[3]["error"]
    assert "posts.csv:3: column 'author', value 'nobody'" in result.stderr


def test_max_errors_aborts_and_writes_nothing(tmp_path, people):
    rows = [post_row(f"p{i}", views="x" if i % 2 else "1") for i in range(10)]
    path = write_csv(tmp_path / "posts.csv", POST_HEADER, rows)
    result = run("load_data", str(path), "--on-error", "skip", "--max-errors", "2")
    assert result.returncode == 1
    assert "more than 2 rows were rejected" in result.error
    assert Post.objects.count() == 0


def test_dry_run_reports_every_bad_row_and_matches_skip_run(tmp_path, people):
    PostFactory(slug="old", title="Old", author=Author.objects.get(username="ada"))
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("new"),
            post_row("old", title="Changed"),
            post_row("bad1", views="many"),
            post_row("bad2", author="ghost"),
            post_row("new", title="dup"),
        ],
    )
    dry = run("load_data", str(path), "--dry-run", "--report", "json")
    dry_totals = json.loads(dry.stdout)["totals"]
    assert [e["line"] for e in json.loads(dry.stdout)["files"][0]["errors"]] == [
        4,
        5,
        6,
    ]
    assert Post.objects.get(slug="old").title == "Old"
    assert not Post.objects.filter(slug="new").exists()
    real = run("load_data", str(path), "--on-error", "skip", "--report", "json")
    assert json.loads(real.stdout)["totals"] == dry_totals
    assert dry_totals["created"] == 1 and dry_totals["updated"] == 1
    assert dry_totals["rejected"] == 3


def test_dry_run_previews_changes_old_to_new(tmp_path, people):
    PostFactory(
        slug="old", title="Old", views=1, author=Author.objects.get(username="ada")
    )
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("old", title="New", views="1"),
        ],
    )
    result = run("load_data", str(path), "--dry-run")
    assert "update" in result.stdout and "title: Old -> New" in result.stdout
    assert "Dry run: nothing was written." in result.stdout


@pytest.mark.parametrize(
    ("mode", "created", "updated", "skipped", "rejected", "titles"),
    [
        ("create", 1, 0, 0, 1, {"old": "Old", "new": "Title new"}),
        ("upsert", 1, 1, 0, 0, {"old": "Changed", "new": "Title new"}),
        ("update", 0, 1, 0, 1, None),
        ("skip", 1, 0, 1, 0, {"old": "Old", "new": "Title new"}),
    ],
)
def test_modes(tmp_path, people, mode, created, updated, skipped, rejected, titles):
    PostFactory(slug="old", title="Old", author=Author.objects.get(username="ada"))
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("old", title="Changed"),
            post_row("new"),
        ],
    )
    result = run(
        "load_data", str(path), "--mode", mode, "--on-error", "skip", "--report", "json"
    )
    totals = json.loads(result.stdout)["totals"]
    assert (
        totals["created"],
        totals["updated"],
        totals["skipped"],
        totals["rejected"],
    ) == (created, updated, skipped, rejected)
    if titles:
        assert dict(Post.objects.values_list("slug", "title")) == titles


def test_no_atomic_commits_batches_and_says_which_lines(tmp_path, people):
    rows = [post_row(f"p{i:02d}") for i in range(10)]
    rows[7] = post_row("p07", views="bad")
    path = write_csv(tmp_path / "posts.csv", POST_HEADER, rows)
    result = run("load_data", str(path), "--no-atomic", "--batch-size", "3")
    assert result.returncode == 1
    assert "committed: " in result.error and "lines 2-7" in result.error
    assert Post.objects.count() == 6


def test_unknown_column_suggests_the_closest_field(tmp_path, people):
    path = write_csv(
        tmp_path / "posts.csv",
        [*POST_HEADER, "ratings"],
        [
            [*post_row("a"), "1"],
        ],
    )
    result = run("load_data", str(path))
    assert result.returncode == 1
    assert (
        "column 'ratings'" in result.error and "did you mean 'rating'" in result.error
    )
    assert run("load_data", str(path), "-i").error is None
    assert Post.objects.count() == 1


def test_missing_required_column_is_reported_before_reading(tmp_path, people):
    header = [c for c in POST_HEADER if c != "body"]
    path = write_csv(tmp_path / "posts.csv", header, [post_row("a")[:-1]])
    result = run("load_data", str(path))
    assert "missing required column: body" in result.error


def test_headers_match_case_and_spaces_verbose_names_and_map(tmp_path, people):
    header = [
        " SLUG ",
        "Title",
        "author",
        "category",
        "status",
        "Published At",
        "views",
        "rating",
        "Text",
    ]
    path = write_csv(tmp_path / "posts.csv", header, [post_row("a")])
    result = run("load_data", str(path), "--map", "text=body")
    assert result.error is None, result.error
    post = Post.objects.get()
    assert post.body == "text" and post.published_at is not None


def test_null_values_and_declared_date_format(tmp_path, people):
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("a", rating="NA", category="NA", published_at="01/05/2024 10:00"),
        ],
    )
    result = run(
        "load_data", str(path), "--null", "NA", "--datetime-format", "%d/%m/%Y %H:%M"
    )
    assert result.error is None, result.error
    post = Post.objects.get()
    assert post.rating is None and post.category is None
    assert post.published_at.isoformat() == "2024-05-01T10:00:00+00:00"


def test_guessing_a_non_iso_date_is_refused(tmp_path, people):
    path = write_csv(
        tmp_path / "posts.csv",
        POST_HEADER,
        [
            post_row("a", published_at="01/05/2024 10:00"),
        ],
    )
    result = run("load_data", str(path))
    assert result.returncode == 1 and "'published_at'" in result.error


def test_limit_reads_only_the_first_rows(tmp_path, people):
    path = write_csv(
        tmp_path / "posts.csv", POST_HEADER, [post_row(f"p{i}") for i in range(5)]
    )
    assert run("load_data", str(path), "--limit", "2").error is None
    assert Post.objects.count() == 2


def test_related_keys_cost_one_query_per_relation_per_batch(reference_data):
    load_people(reference_data)
    with CaptureQueriesContext(connection) as queries:
        result = run(
            "load_data", str(reference_data / "posts.csv"), "--batch-size", "1000"
        )
    assert result.error is None
    selects = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")
    ]
    # 2500 rows, 3 batches: per batch at most one lookup per relation (authors,
    # categories, tags), one for existing posts and one for the new posts' ids
    # (their tag links); one more after creating tags.
    assert len(selects) <= 3 * 5 + 1, "\n".join(s[:80] for s in selects)


def test_model_option_imports_any_model_without_a_registered_importer(tmp_path):
    path = write_csv(tmp_path / "people.csv", ["username", "name"], [["x", "X"]])
    assert run("load_data", str(path), "--model", "blog.Author").error is None
    assert Author.objects.get().name == "X"


def test_unknown_importer_lists_the_registered_names(tmp_path):
    path = write_csv(tmp_path / "people.csv", ["username"], [["x"]])
    result = run("load_data", str(path))
    assert result.returncode == 2
    assert "no importer named 'people'" in result.error
    assert "authors, categories, posts, tags" in result.error


def test_report_json_is_the_only_thing_on_stdout(tmp_path, people):
    path = write_csv(tmp_path / "posts.csv", POST_HEADER, [post_row("a")])
    result = run("load_data", str(path), "--report", "json")
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["files"][0]["created"] == 1


def test_header_only_file_is_zero_rows_not_an_error(tmp_path, people):
    path = write_csv(tmp_path / "posts.csv", POST_HEADER, [])
    result = run("load_data", str(path))
    assert result.error is None, result
    assert (
        result.stdout
        == f"{path}: no rows (the file has only a header); nothing to do\n"
    )
    result = run("load_data", str(path), "--report", "json")
    assert json.loads(result.stdout)["ok"] is True


def test_an_empty_file_without_header_stays_an_error(tmp_path, people):
    path = tmp_path / "posts.csv"
    path.write_text("")
    result = run("load_data", str(path))
    assert result.returncode == 1 and "empty" in result.error


def test_dry_run_of_several_files_sees_rows_the_earlier_files_would_create(
    reference_data,
):
    files = [
        str(reference_data / n) for n in ("authors.csv", "categories.csv", "posts.csv")
    ]
    dry = run("load_data", *files, "--dry-run", "--report", "json")
    assert dry.error is None, dry.stderr
    assert Author.objects.count() == 0
    real = run("load_data", *files, "--report", "json")
    assert json.loads(dry.stdout)["totals"] == json.loads(real.stdout)["totals"]


def test_previews_name_related_rows_by_natural_key(tmp_path, people):
    path = write_csv(tmp_path / "posts.csv", POST_HEADER, [post_row("a")])
    result = run("load_data", str(path), "--dry-run")
    assert "author=ada" in result.stdout and "category=news" in result.stdout


def test_unknown_database_alias_is_a_usage_error(tmp_path, people):
    path = write_csv(tmp_path / "posts.csv", POST_HEADER, [post_row("a")])
    result = run("load_data", str(path), "--database", "nope")
    assert result.error is not None and "invalid choice: 'nope'" in result.error
