"""Composite keys against a single key: rows/s of `load_data`, same row count.

A 3-field key (the zoo's Reading: station, day, hour; unique_together) against the
reference posts (key: slug), loaded into a fresh table and then again (every row
found and unchanged), on one database; and the save() path (the zoo's SavedTitle,
whose save() is overridden) beside the same model written with --bulk. Usage:

    python bench/composite.py --posts DIR [--rows N] [--database-url URL]

DIR holds make_posts.py's authors.csv, categories.csv and posts.csv. The database
(default: a temporary SQLite file) is set up with tests.settings (the zoo's
tables); on PostgreSQL it must be a scratch database: its tables are emptied.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def rows_per_second(env: dict[str, str], path: Path, *args: str) -> tuple[float, str]:
    report = json.loads(
        manage(env, "load_data", str(path), "--no-progress", "--report", "json", *args)
    )
    file = report["files"][0]
    counts = f"{file['created']} created, {file['unchanged']} unchanged"
    return file["rows_per_second"], counts


def write_readings(path: Path, rows: int) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["station", "day", "hour", "value"])
        start = date(2020, 1, 1)
        for n in range(rows):
            hours = n // 50
            day = start + timedelta(days=hours // 24)
            writer.writerow([f"st{n % 50:02d}", day, hours % 24, f"{n % 1000}.25"])


def write_titles(path: Path, rows: int) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["key", "title"])
        writer.writerows([f"k{n}", f"title {n}"] for n in range(rows))


def empty(env: dict[str, str]) -> None:
    code = (
        "from django.db import connection;"
        "from mysite.blog.models import Post, Tag;"
        "from tests.zoo.models import Reading, SavedTitle;"
        "Post.tags.through.objects.all().delete();"
        "Post.objects.all().delete(); Tag.objects.all().delete();"
        "Reading.objects.all().delete(); SavedTitle.objects.all().delete()"
    )
    manage(env, "shell", "-c", code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="composite-"))
    url = args.database_url or f"sqlite:///{scratch / 'db.sqlite3'}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
    }
    manage(env, "migrate", "--run-syncdb", "--noinput", "-v", "0")
    readings = scratch / "readings.csv"
    write_readings(readings, args.rows)
    titles = scratch / "titles.csv"
    write_titles(titles, args.rows)
    posts = scratch / "posts.csv"
    with open(args.posts / "posts.csv") as src, open(posts, "w") as dst:
        for number, line in enumerate(src):
            if number > args.rows:
                break
            dst.write(line)
    manage(
        env,
        "load_data",
        str(args.posts / "authors.csv"),
        str(args.posts / "categories.csv"),
        "--no-progress",
    )
    print(f"{url.split(':')[0]}, {args.rows} rows: rows/s (fresh table, then again)")
    for _ in range(args.runs):
        empty(env)
        for name, path, extra in (
            ("posts (key: slug)", posts, ["--importer", "posts"]),
            ("readings (key: 3 fields)", readings, ["--model", "zoo.Reading"]),
        ):
            fresh, _ = rows_per_second(env, path, *extra)
            again, counts_again = rows_per_second(env, path, *extra)
            print(f"  {name:<26} {fresh:>9,.0f}  {again:>9,.0f}   ({counts_again})")
        for name, extra in (
            ("titles: save() per row", []),
            ("titles: --bulk", ["--bulk"]),
        ):
            empty(env)
            fresh, _ = rows_per_second(env, titles, "--model", "zoo.SavedTitle", *extra)
            print(f"  {name:<26} {fresh:>9,.0f}")


if __name__ == "__main__":
    main()
