"""`load_data --list`, `--describe` and `--template`, through call_command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from openpyxl import load_workbook

from importers.exporting import export_columns
from mysite.blog.importers import PostImporter

from .conftest import run

pytestmark = pytest.mark.django_db
POST_HEADER = [c.header for c in export_columns(PostImporter)]


def test_list():
    result = run("load_data", "--list")
    assert result.error is None
    lines = result.stdout.splitlines()
    assert any(
        line.split()[:4] == ["posts", "blog.Post", "key:", "slug"] for line in lines
    )
    assert lines[-1] == "Readable formats: csv, json, jsonl, parquet, tsv, xlsx"


def test_list_as_json():
    data = json.loads(run("load_data", "--list", "--report", "json").stdout)
    posts = next(e for e in data["importers"] if e["name"] == "posts")
    assert posts["model"] == "blog.Post" and posts["key"] == ["slug"]
    assert "xlsx" in data["formats"]


def test_describe_text():
    result = run("load_data", "--describe", "posts")
    assert result.error is None
    text = result.stdout
    assert "posts: blog.Post" in text
    assert "key: slug -> upsert by key" in text
    assert "one of: draft/published" in text
    assert "decimal with 2 places, at most 3 digits" in text
    assert "author by username" in text
    assert "separated by ';'" in text
    assert "create_missing: tags" in text
    assert "default 'draft'" in text


def test_describe_json_by_model():
    result = run("load_data", "--model", "blog.Post", "--describe", "--report", "json")
    info = json.loads(result.stdout)
    assert info["model"] == "blog.Post" and info["key"] == ["slug"]
    columns = {c["column"]: c for c in info["columns"]}
    assert list(columns) == POST_HEADER
    required = {name for name, c in columns.items() if c["required"]}
    assert required == {"slug", "title", "author", "body"}
    assert columns["author"]["related"] == {"model": "blog.Author", "by": "username"}
    assert columns["tags"]["create_missing"] is True
    assert columns["views"]["type"].startswith("integer 0..")
    assert columns["published_at"]["aliases"] == ["published at"]
    assert columns["published_at"]["empty"] == "stored as NULL"


def test_describe_zoo_model_with_integer_bounds():
    info = json.loads(
        run(
            "load_data", "--model", "zoo.Reading", "--describe", "--report", "json"
        ).stdout
    )
    columns = {c["column"]: c for c in info["columns"]}
    assert info["key"] == ["station", "day", "hour"]
    # The bounds this database enforces (SQLite: 64 bits; PostgreSQL: 16).
    low, high = connection.ops.integer_field_range("SmallIntegerField")
    assert columns["hour"]["type"] == f"integer {low}..{high}"
    assert columns["day"]["type"].startswith("date: ISO 8601")


def test_template_to_stdout_is_the_header():
    result = run("load_data", "--template", "posts")
    assert result.stdout.splitlines() == [",".join(POST_HEADER)]


@pytest.mark.parametrize("name", ["posts.csv", "posts.tsv", "posts.jsonl"])
def test_template_formats_by_extension(tmp_path, name):
    path = tmp_path / name
    result = run("load_data", "--template", "posts", "-o", str(path))
    assert result.error is None
    text = path.read_text()
    if name.endswith("jsonl"):
        assert text == ""  # no rows: nothing to say
    else:
        delimiter = "\t" if name.endswith("tsv") else ","
        assert text.splitlines() == [delimiter.join(POST_HEADER)]


def test_template_xlsx(tmp_path):
    path = tmp_path / "posts.xlsx"
    run("load_data", "--template", "posts", "-o", str(path), "--example")
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == POST_HEADER and len(rows) == 2


@pytest.mark.parametrize("name", ["posts.csv", "posts.json", "posts.xlsx"])
def test_template_example_imports_cleanly(blog, tmp_path, name):
    path = tmp_path / name
    result = run("load_data", "--template", "posts", "--example", "-o", str(path))
    assert result.error is None
    loaded = run("load_data", str(path), "--report", "json")
    assert loaded.error is None, loaded.stdout
    totals = json.loads(loaded.stdout)["totals"]
    assert (totals["created"], totals["rejected"]) == (1, 0)


@pytest.mark.parametrize(
    "label", ["zoo.Reading", "zoo.Period", "zoo.Doc", "zoo.Member", "zoo.External"]
)
def test_template_example_for_zoo_models(tmp_path, label):
    path = tmp_path / "rows.json"
    run("load_data", "--model", label, "--template", "--example", "-o", str(path))
    loaded = run("load_data", str(path), "--model", label, "--report", "json")
    assert loaded.error is None, loaded.stdout
    assert json.loads(loaded.stdout)["totals"]["created"] == 1


def test_template_example_csv_to_stdout(blog):
    result = run("load_data", "--template", "authors", "--example")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["username", "name", "email"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give at least one FILE"),
        (("--describe", "nope"), "no importer named 'nope'"),
        (("--describe",), "name an importer"),
        (("--template", "posts", "some.csv"), "take no FILE"),
        (("--template", "posts", "--format", "xlsx"), "binary"),
    ],
)
def test_usage_errors(args, message):
    result = run("load_data", *args)
    assert result.returncode == 2
    assert message in result.error
