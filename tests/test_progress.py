"""The progress bar: one line redrawn in place, never wider than the terminal.

The terminal tests run `manage.py load_data` with stderr on a pseudo-terminal of
a given size (TIOCSWINSZ) and read every byte it draws.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from io import StringIO

import pytest
from django.core.management.base import OutputWrapper

from importers.progress import ProgressBar
from mysite.blog.models import Author

from .conftest import ROOT, run
from .reliability import manage_env

BATCH = ("--batch-size", "500")
ROWS = 20_000
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def frames(drawn: str) -> list[str]:
    """Return what each redraw left on the line (ANSI codes removed)."""
    return [ANSI.sub("", part) for part in re.split(r"[\r\n]", drawn)]


def test_bar_redraws_in_place_with_rows_and_rate():
    out = StringIO()
    bar = ProgressBar(OutputWrapper(out))
    bar.start("posts.csv", total=1000)
    for n in range(1, 11):
        bar.bar.last_print_t = 0  # as if the minimum interval had passed
        bar.update(100 * n, rows=1000 * n)
    bar.finish()
    text = out.getvalue()
    assert "posts.csv" in text and "10,000 rows" in text and "/s" in text
    assert "\n" not in text  # Django's OutputWrapper would end every frame so
    assert all(len(frame) <= 79 for frame in frames(text))


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path, db):
    path = tmp_path / "authors.csv"
    path.write_text("username,name\nada,Ada\n")
    result = run("load_data", str(path))
    assert result.error is None and result.stderr == ""


def set_size(fd: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))


def draw_in_terminal(
    path, columns: int, resize_to: int | None = None
) -> tuple[str, int, bytes]:
    """Run load_data with stderr on a pty `columns` wide; return what it drew."""
    master, slave = pty.openpty()
    set_size(slave, columns)
    env = {**manage_env(), "LC_ALL": "C.UTF-8", "TERM": "xterm-256color"}
    env.pop("PYTHONIOENCODING", None)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "load_data", str(path), *BATCH],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    drawn = b""
    resized = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
        if resize_to and not resized and drawn.count(b"\r") >= 2:
            set_size(master, resize_to)
            resized = True
            mark = len(drawn)
    os.close(master)
    process.communicate(timeout=60)
    after = drawn[mark:] if resize_to else b""
    return drawn.decode(), process.returncode, after


@pytest.fixture
def many_authors(tmp_path):
    # A long name: the line would be far wider than 80 columns if not fitted.
    path = tmp_path / ("a-rather-long-folder-name-" * 3) / "authors.csv"
    path.parent.mkdir()
    rows = "".join(f"user{n},User {n}\n" for n in range(ROWS))
    path.write_text("username,name\n" + rows)
    return path


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("columns", [80, 120])
def test_the_bar_fits_the_terminal_and_redraws_one_line(many_authors, columns):
    drawn, status, _ = draw_in_terminal(many_authors, columns)
    assert status == 0, drawn
    assert Author.objects.count() == ROWS
    lines = frames(drawn)
    assert "\n" not in drawn  # each redraw overwrote the line: nothing scrolled
    assert drawn.count("\r") >= 3, drawn
    assert max(len(line) for line in lines) <= columns - 1, max(lines, key=len)
    drawn_bars = [line for line in lines if re.search(r" rows [\d,]+/s ", line)]
    assert drawn_bars and "█" in drawn_bars[-1]  # the terminal's Unicode blocks
    assert re.search(r"\d[kMG]?B/[\d.]+[kMG]?B, ", drawn_bars[-1])  # one unit
    assert drawn.endswith("\r") and not lines[-2].strip()  # cleared when done


@pytest.mark.django_db(transaction=True)
def test_the_bar_follows_a_resized_terminal(many_authors):
    drawn, status, after = draw_in_terminal(many_authors, 120, resize_to=50)
    assert status == 0, drawn
    later = [line for line in frames(after.decode()) if "rows" in line]
    assert later, "no redraw after the resize"
    assert len(later[-1]) <= 49, later[-1]
