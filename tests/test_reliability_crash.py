"""Crashes: a `load_data` killed (SIGKILL) or interrupted (Ctrl-C, SIGTERM) mid-run.

A real `manage.py load_data` imports a generated posts file (make_posts.py, with
tags) in a subprocess; the test watches how far it has read the file
(/proc/PID/fdinfo) and sends the signal early, half-way, or once the whole file is
read (the last batch and the final commit). Then:

- atomic (the default): the database is exactly as before, or, when the signal came
  after the final commit, holds the whole file: never anything in between;
- --no-atomic: the database holds whole committed batches and nothing partial: the
  posts are exactly the first N rows of the file, N a multiple of the batch size,
  each with all its tags;
- running the same command again (an upsert) completes, with every row of the file
  present exactly once;
- Ctrl-C and SIGTERM end with one clean line (no traceback) saying what stays
  committed, and exit status 130 / 143.
"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connections

from importers.command import ImportCommand, Terminated
from importers.management.commands.load_data import Command
from importers.validation import Validator
from mysite.blog.models import Author, Post

from .conftest import MAKE_POSTS, run
from .reliability import read_position, start_manage, table_state

SUBPROCESS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path("/proc/self/fdinfo").exists(), reason="needs Linux /proc/PID/fdinfo"
    ),
]


def subprocess_test(function):
    for mark in SUBPROCESS:
        function = mark(function)
    return function


ROWS = 30_000
BATCH = 1000
POINTS = {"early": 0.0, "mid-file": 0.5, "end of file": 1.0}


@pytest.fixture(scope="session")
def big_posts(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("crash")
    subprocess.run(
        [sys.executable, str(MAKE_POSTS), str(out), "--rows", str(ROWS), "--tags"],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def file_rows(big_posts) -> list[dict[str, str]]:
    with open(big_posts / "posts.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def people(big_posts):
    result = run(
        "load_data", str(big_posts / "authors.csv"), str(big_posts / "categories.csv")
    )
    assert result.error is None, result


def start(big_posts: Path, *options: str) -> subprocess.Popen:
    return start_manage(
        "load_data",
        str(big_posts / "posts.csv"),
        "--batch-size",
        str(BATCH),
        "--no-progress",
        *options,
    )


def signal_at(process: subprocess.Popen, path: Path, fraction: float, sig) -> bool:
    """Send `sig` once the process has read `fraction` of the file (0: as soon as
    it has read anything); return whether it was still running then."""
    size = path.stat().st_size
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        position = read_position(process.pid, path)
        if position is not None and position > 0 and position >= fraction * size:
            process.send_signal(sig)
            return True
        time.sleep(0.002)
    process.kill()
    pytest.fail("the import made no progress in 60 s")


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr.decode()


def stored_posts() -> dict[str, tuple[str, list[str]]]:
    """Return every post's title and sorted tag names, by slug (two queries)."""
    tags: dict[str, list[str]] = {}
    links = Post.tags.through.objects.values_list("post__slug", "tag__name")
    for slug, name in links.order_by("tag__name"):
        tags.setdefault(slug, []).append(name)
    return {
        slug: (title, tags.get(slug, []))
        for slug, title in Post.objects.values_list("slug", "title")
    }


def expected(rows: list[dict[str, str]]) -> dict[str, tuple[str, list[str]]]:
    return {
        row["slug"]: (row["title"], sorted(filter(None, row["tags"].split(";"))))
        for row in rows
    }


def assert_committed_prefix(file_rows) -> int:
    """The posts are the file's first N rows, N whole batches, each complete."""
    posts = stored_posts()
    count = len(posts)
    assert count % BATCH == 0, count
    assert posts == expected(file_rows[:count])
    return count


def assert_rerun_completes(big_posts, file_rows) -> None:
    process = start(big_posts)
    status, stderr = finish(process)
    assert status == 0, stderr
    assert Post.objects.count() == ROWS
    assert stored_posts() == expected(file_rows)


@subprocess_test
@pytest.mark.parametrize("point", POINTS)
def test_kill_in_atomic_mode_leaves_all_or_nothing(big_posts, file_rows, people, point):
    before = table_state()
    process = start(big_posts)
    running = signal_at(process, big_posts / "posts.csv", POINTS[point], signal.SIGKILL)
    status, stderr = finish(process)
    if point != "end of file":
        assert running and status == -signal.SIGKILL, stderr
    if status == -signal.SIGKILL and Post.objects.count() == 0:
        assert table_state() == before  # nothing: not even a tag
    else:  # the kill came after the final commit
        assert stored_posts() == expected(file_rows)


@subprocess_test
@pytest.mark.parametrize("point", POINTS)
def test_kill_without_atomic_keeps_whole_batches(big_posts, file_rows, people, point):
    process = start(big_posts, "--no-atomic")
    running = signal_at(process, big_posts / "posts.csv", POINTS[point], signal.SIGKILL)
    status, stderr = finish(process)
    if point != "end of file":
        assert running and status == -signal.SIGKILL, stderr
    count = assert_committed_prefix(file_rows)
    if point == "mid-file":
        assert 0 < count < ROWS
        assert_rerun_completes(big_posts, file_rows)


@subprocess_test
@pytest.mark.parametrize(
    ("sig", "status", "says"),
    [
        (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
        (signal.SIGTERM, 143, "terminated (SIGTERM)"),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_interrupt_in_atomic_mode_rolls_back_with_one_clean_line(
    big_posts, people, sig, status, says
):
    before = table_state()
    process = start(big_posts)
    assert signal_at(process, big_posts / "posts.csv", 0.5, sig)
    code, stderr = finish(process)
    assert code == status, stderr
    assert "Traceback" not in stderr
    assert (
        stderr.strip().splitlines()[-1] == f"CommandError: {says} (nothing was written)"
    )
    assert table_state() == before


@subprocess_test
def test_interrupt_without_atomic_says_which_lines_stay(big_posts, file_rows, people):
    process = start(big_posts, "--no-atomic")
    assert signal_at(process, big_posts / "posts.csv", 0.5, signal.SIGINT)
    code, stderr = finish(process)
    assert code == 130, stderr
    assert "Traceback" not in stderr
    count = assert_committed_prefix(file_rows)
    assert 0 < count < ROWS
    last = stderr.strip().splitlines()[-1]
    where = big_posts / "posts.csv"
    assert last == (
        f"CommandError: interrupted (Ctrl-C); committed: {where} lines 2-{count + 1}"
    )
    assert_rerun_completes(big_posts, file_rows)


# -- the same paths in-process: where the interrupt lands, what is said ---------------


@pytest.fixture
def authors_csv(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    return path


def interrupt_in(monkeypatch, target, name, exception):
    def interrupted(*args, **kwargs):
        raise exception

    monkeypatch.setattr(target, name, interrupted)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("exception", "status", "says"),
    [
        (KeyboardInterrupt, 130, "interrupted (Ctrl-C)"),
        (Terminated, 143, "terminated (SIGTERM)"),
    ],
)
def test_an_interrupt_during_the_import_is_one_line(
    monkeypatch, authors_csv, exception, status, says
):
    interrupt_in(monkeypatch, Validator, "validate", exception)
    result = run("load_data", str(authors_csv))
    assert (result.returncode, result.error) == (
        status,
        f"{says} (nothing was written)",
    )
    result = run("load_data", str(authors_csv), "--dry-run")
    assert (result.returncode, result.error) == (status, says)


@pytest.mark.django_db
def test_an_interrupt_after_the_import_is_one_line(monkeypatch, authors_csv):
    interrupt_in(monkeypatch, ImportCommand, "print_report", KeyboardInterrupt)
    result = run("load_data", str(authors_csv))
    assert (result.returncode, result.error) == (
        130,
        "interrupted (Ctrl-C) after the commit (every row is written)",
    )
    assert Author.objects.count() == 1  # it came after the commit


@pytest.mark.django_db
def test_an_interrupt_outside_execute_exits_130_in_one_line(
    monkeypatch, authors_csv, capsys
):
    interrupt_in(monkeypatch, ImportCommand, "execute", KeyboardInterrupt)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as exited:
            Command().run_from_argv(["manage.py", "load_data", str(authors_csv)])
    finally:  # the command, ending, ignores further signals: give pytest its own
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert exited.value.code == 130
    assert capsys.readouterr().err == "Interrupted (Ctrl-C).\n"


@pytest.mark.django_db
def test_sigterm_is_handled_only_while_the_command_runs(authors_csv):
    before = signal.getsignal(signal.SIGTERM)
    assert run("load_data", str(authors_csv)).error is None
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.django_db(transaction=True)
def test_the_command_runs_outside_the_main_thread(authors_csv):
    """Signal handlers can only be set in the main thread: elsewhere, none is."""
    results = []

    def command():
        try:
            results.append(run("load_data", str(authors_csv)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=command)
    thread.start()
    thread.join(timeout=60)
    assert results and results[0].error is None, results
