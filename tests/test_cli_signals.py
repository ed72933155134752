"""Signals aimed at the commit, twice in a row, and text a terminal cannot show.

A real `manage.py load_data` runs under a small harness that pauses inside the
database's own `commit()` (just before the COMMIT, or just after it) and says so
on stderr; the test then sends the signal, which lands in the commit window every
time instead of once in a few hundred tries. What the command says must be what
the table holds.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import django
import pytest

from mysite.blog.models import Author

from .conftest import ROOT
from .reliability import manage_env

pytestmark = pytest.mark.django_db(transaction=True)
# On Django 6 the rows a harnessed run commits are not seen here: under
# investigation (issue 10), so these tests run on Django 5.2 only for now.
commit_window = pytest.mark.skipif(
    django.VERSION >= (6,),
    reason="Django 6: the commit-window harness's committed rows are not seen",
)

ROWS = 4
PAUSE = 0.4
HARNESS = """
import atexit, os, sys, time
from django.db.backends.base.base import BaseDatabaseWrapper

where, pause = os.environ["PAUSE_AT"], float(os.environ["PAUSE_SECONDS"])


def say(what):
    sys.stderr.write(f"@@{what}\\n")
    sys.stderr.flush()


def at_exit():  # registered first, so it runs last: where a 2nd Ctrl-C once broke
    say("atexit")
    time.sleep(pause)


if os.environ.get("PAUSE_AT_EXIT"):
    atexit.register(at_exit)
commit = BaseDatabaseWrapper.commit


def paused_commit(self):
    if where == "before":
        say("commit")
        time.sleep(pause)
    commit(self)
    if where == "after":
        say("commit")
        time.sleep(pause)


BaseDatabaseWrapper.commit = paused_commit
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


def start(args: list[str], pause_at: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HARNESS, *args],
        cwd=ROOT,
        env={
            **manage_env(),
            "PAUSE_AT": pause_at,
            "PAUSE_SECONDS": str(PAUSE),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(process: subprocess.Popen, marker: str, lines: list[str]) -> None:
    """Read stderr up to the `marker` line (keeping the lines read)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline().decode()
        if not line:
            pytest.fail(f"the command ended before {marker}: {''.join(lines)}")
        if line.strip() == f"@@{marker}":
            return
        lines.append(line)
    process.kill()
    pytest.fail(f"no {marker} in 30 s")


def finish(process: subprocess.Popen, lines: list[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=30)
    said = [*lines, *err.decode().splitlines(keepends=True)]
    said = [line for line in said if not line.startswith("@@")]
    return process.returncode, out.decode(), "".join(said)


@pytest.fixture
def authors(tmp_path):
    path = tmp_path / "authors.csv"
    rows = "".join(f"user{n},User {n}\n" for n in range(ROWS))
    path.write_text("username,name\n" + rows)
    return path


SIGNALS = {"SIGINT": (signal.SIGINT, 130), "SIGTERM": (signal.SIGTERM, 143)}


@commit_window
@pytest.mark.parametrize(
    ("pause_at", "name"),
    [("before", "SIGINT"), ("after", "SIGINT"), ("after", "SIGTERM")],
)
def test_a_signal_during_the_final_commit_is_reported_as_what_is_stored(
    authors, pause_at, name
):
    sig, status = SIGNALS[name]
    process = start(["load_data", str(authors), "--no-progress"], pause_at)
    lines: list[str] = []
    wait_for(process, "commit", lines)
    process.send_signal(sig)
    code, _, said = finish(process, lines)
    assert code == status, said
    assert "Traceback" not in said and len(said.strip().splitlines()) == 1, said
    stored = Author.objects.count()
    # Held across the commit: the commit completes and the line says so.
    assert stored == ROWS
    assert said.strip().endswith("after the commit (every row is written)"), said


@commit_window
@pytest.mark.parametrize(
    ("pause_at", "commit", "name"),
    [("before", 2, "SIGINT"), ("after", 3, "SIGINT"), ("after", 1, "SIGTERM")],
)
def test_a_signal_during_a_batch_commit_names_exactly_the_committed_lines(
    authors, pause_at, commit, name
):
    sig, status = SIGNALS[name]
    args = ["load_data", str(authors), "--no-progress", "--no-atomic"]
    process = start([*args, "--batch-size", "1"], pause_at)
    lines: list[str] = []
    for _ in range(commit):
        wait_for(process, "commit", lines)
    process.send_signal(sig)
    code, _, said = finish(process, lines)
    assert code == status, said
    assert "Traceback" not in said and len(said.strip().splitlines()) == 1, said
    stored = Author.objects.count()
    assert stored == commit  # the batch being committed when the signal came
    lines_said = "line 2" if stored == 1 else f"lines 2-{stored + 1}"
    assert said.strip().endswith(f"committed: {authors} {lines_said}"), said


@commit_window
def test_report_json_of_an_interrupted_run_says_what_is_stored(authors):
    args = ["load_data", str(authors), "--no-progress", "--report", "json"]
    process = start(args, "after")
    lines: list[str] = []
    wait_for(process, "commit", lines)
    process.send_signal(signal.SIGINT)
    code, out, said = finish(process, lines)
    assert code == 130, said
    document = json.loads(out)
    assert document["ok"] is False and document["written"] is True
    assert document["exit_status"] == 130
    assert "interrupted" in document["reason"]
    assert Author.objects.count() == ROWS


@pytest.mark.parametrize("second_at", ["at once", "at exit"])
def test_ctrl_c_twice_exits_130_in_one_line(authors, second_at):
    args = ["load_data", str(authors), "--no-progress"]
    process = start(args, "before", PAUSE_AT_EXIT="1")
    lines: list[str] = []
    wait_for(process, "commit", lines)
    process.send_signal(signal.SIGINT)
    if second_at == "at once":
        process.send_signal(signal.SIGINT)
    else:
        wait_for(process, "atexit", lines)
        process.send_signal(signal.SIGINT)
    code, _, said = finish(process, lines)
    assert code == 130, said
    assert "Exception ignored" not in said and "Traceback" not in said, said
    assert len(said.strip().splitlines()) == 1, said


# -- text the terminal's encoding cannot show --------------------------------------


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**manage_env(), **env},
        capture_output=True,
        timeout=60,
    )


def test_a_file_name_that_is_not_utf8_prints_under_a_strict_encoding(tmp_path):
    path = os.path.join(os.fsencode(tmp_path), b"auth\xffors.csv")
    with open(path, "wb") as f:
        f.write(b"username,name\nada,Ada\n")
    done = run_manage(
        "load_data",
        os.fsdecode(path),
        "--importer",
        "authors",
        PYTHONIOENCODING="ascii",
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert rb"auth\udcffors.csv: 1 row read, 1 created" in done.stdout
    assert Author.objects.get().username == "ada"


def test_a_cell_no_database_can_store_is_a_row_error(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_bytes(b"username,name\nada,Ada\nx\\udc80y,Bad\nbob,Bob\n")
    args = ["load_data", str(path), "--encoding", "unicode_escape"]
    done = run_manage(*args)
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    last = done.stderr.decode().strip().splitlines()[-1]
    assert re.search(r"authors\.csv:3: column 'username'.*lone surrogate", last)
    assert Author.objects.count() == 0
    done = run_manage(*args, "--on-error", "skip")
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert sorted(Author.objects.values_list("username", flat=True)) == ["ada", "bob"]
