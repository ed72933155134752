"""Shared fixtures: seeded factories, the reference data set, running commands."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from mysite.blog.factories import reseed

ROOT = Path(__file__).resolve().parent.parent
MAKE_POSTS = ROOT / "bench" / "make_posts.py"
REFERENCE_ROWS = 2500


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium (test_admin_browser)")


@pytest.fixture(autouse=True)
def _seeded_factories():
    reseed(1234)


@pytest.fixture(scope="session")
def reference_data(tmp_path_factory) -> Path:
    """The reference blog data set of bench/make_posts.py, REFERENCE_ROWS posts."""
    out = tmp_path_factory.mktemp("reference")
    subprocess.run(
        [
            sys.executable,
            str(MAKE_POSTS),
            str(out),
            "--rows",
            str(REFERENCE_ROWS),
            "--tags",
            "--json",
            "--jsonl",
        ],
        check=True,
    )
    return out


@dataclass
class Result:
    """What a command printed, and how it ended."""

    stdout: str
    stderr: str
    error: str | None = None
    returncode: int = 0


def run(*args: str, **options) -> Result:
    """Run a management command as `call_command` does; capture output and failure."""
    from django.core.management.base import CommandError

    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        return Result(out.getvalue(), err.getvalue(), str(exc), exc.returncode)
    return Result(out.getvalue(), err.getvalue())


@pytest.fixture
def manage(transactional_db):
    """Run `manage.py` in a subprocess against the test database (committed data)."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{settings['NAME']}"
    else:
        url = (
            f"postgres://{settings['USER'] or 'postgres'}"
            f"@{settings['HOST'] or '127.0.0.1'}"
            f":{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}

    def manage_py(*args: str, input: bytes | None = None, timeout: float = 120):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            input=input,
            capture_output=True,
            timeout=timeout,
        )

    return manage_py


# The `seed` fixture of importers.testing: imports through the commands' pipeline.
pytest_plugins = ["importers.testing"]


@pytest.fixture
def blog(seed):
    """The sample blog of fixtures/, loaded as `seed_posts` loads it."""
    from mysite.blog.management.commands.seed_posts import SAMPLE_FILES

    return seed(*SAMPLE_FILES)
