"""`export_data` as users call it: formats, compression, stdout, filters, columns."""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from importers.exportfiles import as_json, as_text
from importers.exporting import Exporter, export_columns
from mysite.blog.importers import CRMAuthorImporter, PostImporter
from mysite.blog.models import Author, Post

from .conftest import run

pytestmark = pytest.mark.django_db


def load_totals(path: Path, *args: str) -> dict:
    result = run("load_data", str(path), "--report", "json", *args)
    assert result.error is None, (result.error, result.stdout)
    return json.loads(result.stdout)["totals"]


@pytest.mark.parametrize(
    "name", ["posts.csv", "posts.tsv", "posts.json", "posts.jsonl", "posts.xlsx",
             "posts.csv.gz", "posts.json.bz2", "posts.jsonl.xz", "posts.tsv.gz"]
)  # fmt: skip
def test_every_format_reads_back_unchanged(blog, tmp_path, name):
    path = tmp_path / name
    result = run("export_data", "posts", "-o", str(path))
    assert result.error is None, result.error
    assert "Exported 300 blog.Post rows" in result.stderr
    totals = load_totals(path)
    assert (totals["rows"], totals["unchanged"]) == (300, 300)


def test_stdout_is_csv_by_default_and_the_same_as_a_file(blog, tmp_path):
    out = run("export_data", "posts")
    assert out.error is None and out.stderr == ""
    run("export_data", "posts", "-o", str(tmp_path / "posts.csv"))
    assert out.stdout == (tmp_path / "posts.csv").read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(out.stdout)))
    assert header == [c.header for c in export_columns(PostImporter)]
    assert header[-1] == "tags"


def test_compressed_by_extension(blog, tmp_path):
    run("export_data", "authors", "-o", str(tmp_path / "authors.csv.gz"))
    text = gzip.decompress((tmp_path / "authors.csv.gz").read_bytes()).decode()
    assert text.splitlines()[0] == "username,name,email"


def test_related_rows_by_the_importer_lookup_and_values_read_back_exactly(blog):
    post = Post.objects.filter(rating__isnull=False, published_at__isnull=False)[0]
    post.tags.set([])
    rows = json.loads(
        run(
            "export_data", "posts", "--format", "json", "--filter", f"slug={post.slug}"
        ).stdout,
        parse_float=Decimal,
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["author"] == post.author.username
    assert row["category"] == post.category.slug
    assert row["tags"] == []
    assert row["rating"] == post.rating and str(row["rating"]).count(".") == 1
    assert row["published_at"] == post.published_at.isoformat()
    assert row["published_at"].endswith("+00:00")


def test_cell_forms():
    from datetime import UTC, datetime, timedelta

    assert as_text(Decimal("1E+3")) == "1000"
    assert as_text(Decimal("0.10")) == "0.10"
    assert as_text(True) == "true" and as_text(None) == ""
    assert as_text(timedelta(days=1, seconds=1)) == "P1DT00H00M01S"
    assert as_json(Decimal("1E+3")) == "1000"
    assert as_json(["a", 1, None]) == '["a", 1, null]'
    moment = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert as_json(moment) == '"2024-01-02T03:04:05.000006+00:00"'


def test_filter_and_fields(blog):
    published = Post.objects.filter(status="published").count()
    out = run(
        "export_data", "posts", "--filter", "status=published", "--fields",
        "slug,status",
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["slug", "status"]
    assert len(rows) - 1 == published
    assert {r[1] for r in rows[1:]} == {"published"}
    many = run("export_data", "posts", "--filter", "author__username__in=amara,bjorn")
    authors = {r["author"] for r in csv.DictReader(io.StringIO(many.stdout))}
    assert authors == {"amara", "bjorn"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("posts", "--filter", "nope=1"), "--filter"),
        (("posts", "--fields", "title"), "must include the key (slug)"),
        (("posts", "--fields", "slug,nope"), "nope not among"),
        (("posts", "-o", "x.parquet"), "cannot tell the format"),
        (("nope",), "no importer named 'nope'"),
        ((), "name an importer"),
        (("--model", "blog.Nope"), "unknown model"),
        (("posts", "--format", "xlsx"), "binary"),
    ],
)
def test_usage_errors(args, message):
    result = run("export_data", *args)
    assert result.returncode == 2
    assert message in result.error


def test_headers_are_the_importer_aliases():
    assert [c.header for c in export_columns(CRMAuthorImporter)] == [
        "Login",
        "Full name",
        "E-mail address",
    ]


def test_crm_export_reads_back_through_its_command(db, tmp_path):
    Author.objects.create(username="ada", name="Ada", email="ada@example.com")
    columns = export_columns(CRMAuthorImporter)
    exporter = Exporter(CRMAuthorImporter, Author.objects.all(), columns)
    from importers.exportfiles import CSVWriter

    path = tmp_path / "crm.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = CSVWriter(stream, columns, ";")
        writer.header()
        for batch in exporter.batches():
            writer.write(batch)
    result = run("import_authors", str(path))
    assert result.error is None
    assert "1 unchanged" in result.stdout


def test_queries_per_chunk_not_per_row(blog, django_assert_max_num_queries):
    # 300 posts in chunks of 100: per chunk one query per relation (author,
    # category, tags), plus the rows themselves.
    with django_assert_max_num_queries(3 * 3 + 3):
        result = run("export_data", "posts", "--chunk-size", "100")
    assert result.stdout.count("\n") > 300


def test_no_key_warns(db):
    result = run("export_data", "--model", "zoo.SignalLog")
    assert result.error is None
    assert "no key" in result.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(blog, tmp_path):
    from django.core.management import call_command

    err = Terminal()
    call_command("export_data", "posts", "-o", str(tmp_path / "p.csv"), stderr=err)
    assert "300/300" in err.getvalue() and "rows" in err.getvalue()
    quiet = Terminal()
    call_command(
        "export_data", "posts", "-o", str(tmp_path / "p.csv"), "--no-progress",
        stderr=quiet,
    )  # fmt: skip
    assert "300/300" not in quiet.getvalue()
    assert (
        "300/300"
        not in run("export_data", "posts", "-o", str(tmp_path / "q.csv")).stderr
    )
