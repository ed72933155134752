"""`manage.py load_data` as a real process: exit statuses, stdin, no tracebacks."""

from __future__ import annotations

import json

import pytest

from mysite.blog.models import Author


def test_success_exits_zero(manage, tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    done = manage("load_data", str(path))
    assert done.returncode == 0, done.stderr
    assert b"1 created" in done.stdout
    assert Author.objects.get().name == "Ada"


def test_rejected_row_exits_one_with_one_line_and_no_traceback(manage, tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name,email\nada,Ada,not-an-email\n")
    done = manage("load_data", str(path))
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    message = done.stderr.decode().strip().splitlines()[-1]
    assert "authors.csv:2" in message and "'email'" in message
    assert Author.objects.count() == 0


def test_usage_error_exits_two(manage, tmp_path):
    done = manage("load_data", str(tmp_path / "x.csv"), "--mode", "sideways")
    assert done.returncode == 2
    assert b"invalid choice" in done.stderr


def test_standard_input_with_format(manage):
    done = manage(
        "load_data",
        "-",
        "--importer",
        "authors",
        "--format",
        "csv",
        "--report",
        "json",
        input=b"username,name\nbob,Bob\n",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["created"] == 1
    assert Author.objects.filter(username="bob").exists()


@pytest.mark.parametrize("args", [["--help"]])
def test_help_explains_the_options(manage, args):
    done = manage("load_data", *args)
    assert done.returncode == 0
    text = done.stdout.decode()
    for option in (
        "--dry-run",
        "--mode",
        "--on-error",
        "--errors-file",
        "--null",
        "--map",
        "--lookup",
        "--ignorenonexistent",
        "--database",
    ):
        assert option in text
