"""Support for the tests/test_reliability_*.py suites: database snapshots, seeds.

`table_state()` is what "the database exactly as before" means in those tests: per
blog table, its row count and a checksum of every row (primary keys included), read
with plain SQL. `content()` is the same without primary keys, to compare two
databases that reached the same rows by different routes.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.db import connection

from mysite.blog.models import Author, Category, Post, Tag

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"


def blog_tables() -> list[str]:
    """Return every table of the blog app, many-to-many tables included."""
    tables = []
    for model in apps.get_app_config("blog").get_models():
        tables.append(model._meta.db_table)
        tables += [
            f.remote_field.through._meta.db_table
            for f in model._meta.local_many_to_many
        ]
    return sorted(set(tables))


def table_state() -> dict[str, tuple[int, str]]:
    """Return {table: (row count, sha256 of all its rows in primary key order)}."""
    state = {}
    with connection.cursor() as cursor:
        for table in blog_tables():
            cursor.execute(
                f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1"
            )
            rows = cursor.fetchall()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            state[table] = (len(rows), digest)
    return state


def content() -> dict[str, list[tuple]]:
    """Return the blog's rows by natural key, without primary keys, sorted."""
    return {
        "authors": sorted(Author.objects.values_list("username", "name", "email")),
        "categories": sorted(Category.objects.values_list("slug", "name")),
        "tags": sorted(Tag.objects.values_list("name", flat=True)),
        "posts": sorted(
            Post.objects.values_list(
                "slug",
                "title",
                "author__username",
                "category__slug",
                "status",
                "published_at",
                "views",
                "rating",
                "body",
            )
        ),
        "post_tags": sorted(
            Post.tags.through.objects.values_list("post__slug", "tag__name")
        ),
    }


def seed() -> None:
    """Rows the corpus refers to: two authors, a category and one stored post."""
    ada = Author.objects.create(username="ada", name="Ada")
    Author.objects.create(username="grace", name="Grace")
    Category.objects.create(slug="news", name="News")
    Post.objects.create(slug="existing-post", title="Stored", author=ada, body="Kept")


def read_errors_file(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def database_url() -> str:
    """Return the URL of the test database, for manage.py in a subprocess."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


def manage_env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}


def start_manage(*args: str) -> subprocess.Popen:
    """Start `manage.py ARGS` against the test database; do not wait for it."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=manage_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def read_position(pid: int, path: Path) -> int | None:
    """Return how far process `pid` has read the file `path`, None if it has not
    opened it (Linux: /proc/PID/fdinfo)."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        fds = list(folder.iterdir())
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(fd) != str(path):
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("pos:"):
                return int(line.split()[1])
    return None


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
