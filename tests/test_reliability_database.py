"""Database errors: pinned on their rows when a row is at fault, else one clear line.

- A constraint that only the database knows (a CHECK added here with raw SQL; on
  SQLite, which cannot add one to a table, a trigger that fails the same way) is
  not seen by validation or by a dry run. The real run's batch fails; the writer
  splits it until the offending rows are found; they are reported with their line
  numbers, and with --on-error skip the rest of the batch is still written.
- A database failure that is no row's fault (here: the table is missing, as when
  migrations were not run) aborts the run with one line naming the file and the
  lines of the batch, and nothing is written.
- Nothing in a data file is ever evaluated or pasted into SQL: cells shaped like
  SQL injection or format strings land verbatim.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection, transaction

from mysite.blog.models import Author, Category, Post

from .conftest import run
from .reliability import table_state

pytestmark = pytest.mark.django_db

HEADER = "slug,title,author,category,status,published_at,views,rating,body\n"


@contextmanager
def views_must_not_be(number: int):
    """Add a database-only rule to blog_post: views <> number. Drop it after."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for event in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"CREATE TRIGGER views_not_{number}_{event.lower()} "
                    f"BEFORE {event} ON blog_post WHEN NEW.views = {number} BEGIN "
                    f"SELECT RAISE(ABORT, 'CHECK failed: views <> {number}'); END"
                )
        else:  # ALTER TABLE waits for no deferred foreign key check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                f"ALTER TABLE blog_post ADD CONSTRAINT views_not_{number} "
                f"CHECK (views <> {number})"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for event in ("insert", "update"):
                    cursor.execute(f"DROP TRIGGER views_not_{number}_{event}")
            else:  # ALTER TABLE waits for no deferred foreign key check
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    f"ALTER TABLE blog_post DROP CONSTRAINT views_not_{number}"
                )


@pytest.fixture
def people():
    Author.objects.create(username="ada", name="Ada")
    Category.objects.create(slug="news", name="News")


def posts_file(tmp_path, views: list[int], name="posts.csv"):
    path = tmp_path / name
    rows = [
        f"post-{i},Title {i},ada,news,published,,{v},,Body {i}\n"
        for i, v in enumerate(views)
    ]
    path.write_text(HEADER + "".join(rows))
    return path


VIEWS = [1, 2, 3, 4, 5, 13, 7, 8, 9, 13, 11]  # lines 7 and 11 break the rule
BAD_LINES = [7, 11]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def cases():
    """(mode, batch size, atomic).

    New rows go by COPY straight into the table in create and upsert modes, by
    COPY into a staging table then INSERT ... ON CONFLICT DO NOTHING in skip mode.
    Batch size 1000: one batch, the first write fails; 4: the first batch is clean.
    """
    for mode in ("upsert", "create", "skip"):
        for batch_size in ("1000", "4"):
            for atomic in (True, False):
                name = f"{mode}-{batch_size}-{'atomic' if atomic else 'no-atomic'}"
                yield pytest.param(mode, batch_size, atomic, id=name)


@pytest.mark.parametrize(("mode", "batch_size", "atomic"), list(cases()))
def test_skip_pins_a_database_only_rule_on_its_rows(
    tmp_path, people, mode, batch_size, atomic
):
    path = posts_file(tmp_path, VIEWS)
    errors = tmp_path / "errors.csv"
    args = ["--on-error", "skip", "--batch-size", batch_size, "--mode", mode]
    args += ["--errors-file", str(errors), "--report", "json"]
    with views_must_not_be(13):
        dry = run("load_data", str(path), "--dry-run", *args)
        result = run(
            "load_data", str(path), *args, *([] if atomic else ["--no-atomic"])
        )
        stored = sorted(Post.objects.values_list("views", flat=True))
    assert json.loads(dry.stdout)["totals"]["rejected"] == 0  # a dry run cannot know
    assert result.error == "2 rows rejected", result
    report = json.loads(result.stdout)
    assert report["totals"]["created"] == len(VIEWS) - 2
    failures = report["files"][0]["errors"]
    assert [e["line"] for e in failures] == BAD_LINES
    assert all(e["code"] == "database" for e in failures)
    assert all("the database refused this row" in e["message"] for e in failures)
    assert all("views" in e["message"] for e in failures), failures
    assert stored == sorted(v for v in VIEWS if v != 13)
    assert "line,error" in errors.read_text().splitlines()[0]
    assert [line.split(",")[0] for line in errors.read_text().splitlines()[1:]] == [
        "post-5",
        "post-9",
    ]


@pytest.mark.parametrize("batch_size", ["1000", "4"])
def test_skip_pins_a_database_only_rule_on_updated_rows(tmp_path, people, batch_size):
    author = Author.objects.get()
    for i in range(len(VIEWS)):
        Post.objects.create(slug=f"post-{i}", title="Old", author=author, body="Old")
    path = posts_file(tmp_path, VIEWS)
    with views_must_not_be(13):
        result = run(
            "load_data",
            str(path),
            "--on-error",
            "skip",
            "--report",
            "json",
            "--batch-size",
            batch_size,
        )
    report = json.loads(result.stdout)
    assert report["totals"]["updated"] == len(VIEWS) - 2
    assert [e["line"] for e in report["files"][0]["errors"]] == BAD_LINES
    titles = dict(Post.objects.values_list("slug", "title"))
    assert (titles["post-5"], titles["post-9"]) == ("Old", "Old")  # refused
    assert sorted(titles.values()).count("Old") == 2


def test_abort_names_the_first_refused_row_and_writes_nothing(tmp_path, people):
    path = posts_file(tmp_path, VIEWS)
    before = table_state()
    with views_must_not_be(13):
        result = run("load_data", str(path))
    assert result.returncode == 1
    assert result.error.startswith(f"{path}:7: the database refused this row: ")
    assert result.error.endswith("(nothing was written)")
    assert "\n" not in result.error
    assert table_state() == before


def test_no_atomic_abort_keeps_the_batches_before_the_refused_row(tmp_path, people):
    path = posts_file(tmp_path, VIEWS)
    with views_must_not_be(13):
        result = run("load_data", str(path), "--no-atomic", "--batch-size", "4")
    assert result.returncode == 1
    assert result.error.startswith(f"{path}:7: the database refused this row: ")
    assert result.error.endswith(f"; committed: {path} lines 2-5")
    assert sorted(Post.objects.values_list("views", flat=True)) == [1, 2, 3, 4]


@contextmanager
def renamed(table: str, column: str | None = None):
    """Rename a table (or one of its columns) away, as if a migration were missing."""
    q = connection.ops.quote_name

    def rename(old: str, new: str) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if column is None:
                cursor.execute(f"ALTER TABLE {q(old)} RENAME TO {q(new)}")
            else:
                cursor.execute(
                    f"ALTER TABLE {q(table)} RENAME COLUMN {q(old)} TO {q(new)}"
                )

    name = table if column is None else column
    rename(name, name + "_away")
    try:
        yield
    finally:
        rename(name + "_away", name)


def test_a_missing_table_says_to_migrate_before_reading(tmp_path, people):
    path = posts_file(tmp_path, [1, 2, 3])
    with renamed("blog_post"), transaction.atomic():
        result = run("load_data", str(path))
        transaction.set_rollback(True)
    assert (result.returncode, result.error) == (
        1,
        "the 'default' database has no table blog_post: "
        "run `python manage.py migrate blog` first",
    )
    assert result.stdout == ""  # not even a summary of zeros


@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "no-atomic"])
def test_a_failing_database_aborts_with_one_line_naming_file_and_lines(
    tmp_path, people, atomic
):
    path = posts_file(tmp_path, [1, 2, 3])
    options = [] if atomic else ["--no-atomic"]
    with renamed("blog_post", "views"), transaction.atomic():
        result = run("load_data", str(path), "--batch-size", "2", *options)
        transaction.set_rollback(True)  # the test's transaction saw the failure
    assert result.returncode == 1
    assert result.error.startswith(f"{path} lines 2-3: the database failed: ")
    assert "views" in result.error and "\n" not in result.error
    assert "Traceback" not in result.stderr
    assert result.error.endswith(
        "(nothing was written)" if atomic else "; nothing was committed"
    )
    assert Post.objects.count() == 0


INJECTIONS = [
    "'); DROP TABLE blog_post; --",
    '"; DELETE FROM blog_author; --',
    "{0.__class__}",
    "{0.__class__.__init__.__globals__}",
    "%s %d %(name)s %%",
    "${jndi:ldap://example.com/a}",
    "__import__('os').system('false')",
    "\\x00 \\N \\. \\\\",  # COPY's escapes, as text
]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_cells_that_look_like_code_land_verbatim(tmp_path, people, fmt):
    rows = [
        {
            "slug": f"post-{i}",
            "title": text[:200],
            "author": "ada",
            "category": "news",
            "status": "draft",
            "views": "0",
            "body": text,
        }
        for i, text in enumerate(INJECTIONS)
    ]
    path = tmp_path / f"posts.{fmt}"
    if fmt == "csv":
        import csv

        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    for _ in range(2):  # created, then unchanged (compared by value)
        result = run("load_data", str(path))
        assert result.error is None, result
    stored = dict(Post.objects.values_list("slug", "body"))
    assert stored == {row["slug"]: row["body"] for row in rows}
    assert Author.objects.count() == 1


def test_rejected_values_that_look_like_code_are_reported_verbatim(tmp_path, people):
    path = tmp_path / "posts.csv"
    path.write_text(
        HEADER
        + "a,T,ada,news,{0.__class__},,0,,B\n"
        + "b,T,ada,news,%(x)s %s,,0,,B\n"
        + "c,T,'); DROP TABLE blog_post; --,news,draft,,0,,B\n"
    )
    result = run("load_data", str(path), "--on-error", "skip")
    assert result.error == "3 rows rejected"
    assert "Value '{0.__class__}' is not a valid choice." in result.stderr
    assert "Value '%(x)s %s' is not a valid choice." in result.stderr
    assert 'Author with username "\'); DROP TABLE blog_post; --" does not exist.' in (
        result.stderr
    )
    assert Post.objects.count() == 0  # and the table is still there


def test_headers_that_look_like_code_are_reported_verbatim(tmp_path, people):
    path = tmp_path / "posts.csv"
    path.write_text("slug,{0.__class__},%s\na,b,c\n")
    result = run("load_data", str(path))
    assert result.returncode == 1
    assert "column '{0.__class__}' matches no field of blog.Post" in result.error
