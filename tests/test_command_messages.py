"""What `load_data` says: usage errors that point at the fix, hints, warnings, the
one JSON document of `--report json`, dry-run wording and previews."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from importers.writers import Writer
from mysite.blog.factories import (
    AuthorFactory,
    CategoryFactory,
    PostFactory,
    TagFactory,
)
from mysite.blog.models import Author, Post
from tests.zoo.models import Note

from .conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def authors(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    return path


# -- usage errors: exit 2, one line, before anything is read -----------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "xml"], "unknown --format 'xml'"),
        (["--format", "jsn"], "did you mean json?"),
        (["--encoding", "utf9"], "unknown --encoding 'utf9'"),
        (["--map", "name=nmae"], "has no importable field 'nmae'"),
        (["--map", "name"], "--map expects NAME=VALUE"),
    ],
)
def test_impossible_options_are_usage_errors(authors, args, says):
    result = run("load_data", str(authors), *args)
    assert result.returncode == 2, result
    assert says in result.error and "\n" not in result.error
    assert Author.objects.count() == 0


def test_a_misspelt_file_name_says_no_such_file_and_the_closest_name(authors):
    result = run("load_data", str(authors.with_name("author.csv")))
    assert (result.returncode, result.error) == (
        2,
        f"{authors.with_name('author.csv')}: no such file; did you mean authors.csv?",
    )


def test_a_directory_is_not_a_file(tmp_path):
    result = run("load_data", str(tmp_path))
    assert (result.returncode, result.error) == (
        2,
        f"{tmp_path}: is a directory, not a file",
    )


def test_an_unknown_model_gets_the_closest_installed_model(authors):
    result = run("load_data", str(authors), "--model", "blog.Authors")
    assert result.returncode == 2
    assert result.error == "unknown model 'blog.Authors'; did you mean blog.Author?"


# -- --report json: one document, whatever happens ---------------------------------


def json_document(result) -> dict:
    document = json.loads(result.stdout)  # exactly one document: else this fails
    assert document["exit_status"] == result.returncode
    return document


@pytest.mark.parametrize(
    "case", ["missing file", "undecodable", "unknown column", "usage", "bad row"]
)
def test_report_json_is_one_document_when_the_run_fails(tmp_path, authors, case):
    args = [str(authors)]
    if case == "missing file":
        args = [str(tmp_path / "authors2.csv"), "--importer", "authors"]
    elif case == "undecodable":
        authors.write_bytes(b"username,name\nd\xe9j\xe0,Ada\n")
    elif case == "unknown column":
        authors.write_text("username,nmae\nada,Ada\n")
    elif case == "usage":
        args.append("--encoding=utf9")
    else:
        authors.write_text("username,name,email\nada,Ada,not-an-email\n")
    result = run("load_data", *args, "--report", "json")
    assert result.returncode in (1, 2), result
    document = json_document(result)
    assert document["ok"] is False and document["written"] is False
    assert document["reason"] == result.error


def test_report_json_says_when_errors_were_capped(tmp_path):
    path = tmp_path / "authors.csv"
    rows = "".join(f"user{n},User {n},bad\n" for n in range(1005))
    path.write_text("username,name,email\n" + rows)
    args = ["--report", "json", "--on-error", "skip"]
    document = json_document(run("load_data", str(path), *args))
    file = document["files"][0]
    assert (len(file["errors"]), file["errors_total"]) == (1000, 1005)
    assert file["errors_truncated"] is True and document["errors_truncated"] is True


def test_report_json_of_a_good_run_is_ok_and_written(authors):
    document = json_document(run("load_data", str(authors), "--report", "json"))
    assert document["ok"] is True and document["written"] is True
    assert document["reason"] is None


# -- hints: the option that fixes a cell ---------------------------------------------


@pytest.mark.parametrize(
    ("column", "cell", "hint"),
    [
        ("count", "NA", "if 'NA' means missing here, add --null NA"),
        ("count", "517.0", "'517.0' is a whole number written as a decimal"),
        ("day", "25/12/2024", "add --date-format %d/%m/%Y"),
        ("day", "12/25/2024", "add --date-format %m/%d/%Y"),
    ],
)
def test_a_cell_an_option_would_read_gets_that_option_as_a_hint(
    tmp_path, column, cell, hint
):
    path = tmp_path / "notes.csv"
    path.write_text(f"text,{column}\nhello,{cell}\n")
    result = run("load_data", str(path), "--model", "zoo.Note")
    assert result.returncode == 1
    assert hint in result.error, result.error
    assert result.error.endswith(") (nothing was written)")
    document = json_document(
        run("load_data", str(path), "--model", "zoo.Note", "--report", "json")
    )
    assert document["files"][0]["errors"][0]["hint"] is not None


def test_the_hinted_option_then_works(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("text,count,day\nhello,NA,25/12/2024\n")
    args = ["--model", "zoo.Note", "--null", "NA", "--date-format", "%d/%m/%Y"]
    result = run("load_data", str(path), *args)
    assert result.error is None, result
    assert Note.objects.get().count is None


# -- warnings: -i and models without a key ---------------------------------------------


def test_ignored_columns_are_reported_once_with_did_you_mean(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name,emial,shoe size\nada,Ada,a@example.com,9\n")
    result = run("load_data", str(path), "-i")
    assert result.error is None, result
    assert result.stderr == (
        f"{path}: ignored columns (-i): 'emial' (did you mean 'email'?), 'shoe size'\n"
    )
    assert run("load_data", str(path), "-i", "-v", "0").stderr == ""


def test_a_model_without_a_key_warns_that_every_run_creates(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("text\nhello\n")
    result = run("load_data", str(path), "--model", "zoo.Note")
    assert result.error is None
    assert result.stderr == (
        "warning: zoo.Note has no key: every run creates its rows again (importing "
        "a file twice doubles them); pass --key FIELD[,FIELD] to update existing "
        "rows instead\n"
    )
    keyed = run("load_data", str(path), "--model", "zoo.Note", "--key", "text")
    assert keyed.stderr == ""


# -- dry-run wording and previews ----------------------------------------------------


def test_dry_run_says_would_create_and_one_row(tmp_path):
    AuthorFactory(username="ada")
    path = tmp_path / "posts.csv"
    path.write_text(
        "slug,title,author,status,body,tags\nhello,Hello,ada,draft,x,new-tag;other\n"
    )
    result = run("load_data", str(path), "--dry-run")
    assert result.error is None, result
    summary = [line for line in result.stdout.splitlines() if "row read" in line]
    assert summary and summary[0].startswith(f"[dry run] {path}: 1 row read, 1 ")
    assert summary[0].endswith("; would create related rows: tags 2")


def test_previews_name_old_related_rows_by_natural_key_too(tmp_path):
    ada = AuthorFactory(username="ada")
    frontend = CategoryFactory(slug="frontend")
    post = PostFactory(slug="hello", author=ada, category=frontend)
    post.tags.set([TagFactory(name="old"), TagFactory(name="older")])
    TagFactory(name="new")
    path = tmp_path / "posts.csv"
    path.write_text(
        "slug,title,author,category,status,body,tags\n"
        f"hello,{post.title},ada,,{post.status},{post.body},new\n"
    )
    result = run("load_data", str(path), "--dry-run")
    assert result.error is None, result
    assert "category: frontend -> None" in result.stdout
    assert "tags: ['old', 'older'] -> ['new']" in result.stdout
    assert Post.objects.get().category == frontend


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "no-atomic"])
def test_a_lost_connection_is_not_blamed_on_lines_of_the_file(
    monkeypatch, tmp_path, atomic
):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\n" + "".join(f"u{n},U\n" for n in range(30)))
    write = Writer.write
    batches = []

    def lose_connection_then_write(self, plan):
        batches.append(plan)
        if len(batches) == 2:  # the server went away between two batches
            connection.connection.close()
        return write(self, plan)

    monkeypatch.setattr(Writer, "write", lose_connection_then_write)
    options = [] if atomic else ["--no-atomic"]
    result = run("load_data", str(path), "--batch-size", "10", *options)
    connection.close()
    assert result.returncode == 1, result
    assert result.error.startswith("the connection to the database was lost: ")
    assert "lines" not in result.error.split(";")[0], result.error
    if atomic:
        assert result.error.endswith("(nothing was written)")
        assert Author.objects.count() == 0
    else:
        assert result.error.endswith(f"; committed: {path} lines 2-11")
        assert Author.objects.count() == 10
