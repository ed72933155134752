"""Method `ceiling`: the fastest plain-Python load, no Django; the bar for the others.

What a hand-written script does: csv.reader, the ids of authors and categories fetched
once into dicts, values converted minimally (ints, None for empty cells), then one
transaction: `executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL. SQLite
datetimes are stored as Django stores them (naive UTC text).
"""

import csv
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

COLUMNS = (
    "slug",
    "title",
    "author_id",
    "category_id",
    "status",
    "published_at",
    "views",
    "rating",
    "body",
)
HEADER = [
    "slug",
    "title",
    "author",
    "category",
    "status",
    "published_at",
    "views",
    "rating",
    "body",
]
SQLITE_PREFIX = "sqlite:///"


def sqlite_datetime(value: str) -> str:
    """Return an ISO timestamp with offset as Django's SQLite backend stores it."""
    return str(datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None))


def post_rows(
    rows: Iterable[list[str]],
    authors: dict[str, int],
    categories: dict[str, int],
    *,
    sqlite: bool,
) -> Iterator[tuple]:
    """Yield one tuple of `COLUMNS` per CSV row, foreign keys resolved."""
    for slug, title, author, category, status, published, views, rating, body in rows:
        if published and sqlite:
            published = sqlite_datetime(published)
        yield (
            slug,
            title,
            authors[author],
            categories[category] if category else None,
            status,
            published or None,
            int(views),
            rating or None,
            body,
        )


def load_sqlite(path: str, reader: Iterator[list[str]]) -> None:
    """Insert every row with one `executemany` in one transaction."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        authors = dict(connection.execute("SELECT username, id FROM blog_author"))
        categories = dict(connection.execute("SELECT slug, id FROM blog_category"))
        placeholders = ", ".join("?" * len(COLUMNS))
        with connection:  # one transaction, committed on success
            connection.executemany(
                f"INSERT INTO blog_post ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                post_rows(reader, authors, categories, sqlite=True),
            )
    finally:
        connection.close()


def load_postgres(url: str, reader: Iterator[list[str]]) -> None:
    """Stream every row through one `COPY ... FROM STDIN` in one transaction."""
    import psycopg

    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        authors = dict(cursor.execute("SELECT username, id FROM blog_author"))
        categories = dict(cursor.execute("SELECT slug, id FROM blog_category"))
        rows = post_rows(reader, authors, categories, sqlite=False)
        with cursor.copy(f"COPY blog_post ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    # leaving `psycopg.connect(...)` without an error commits


def main(argv: list[str]) -> int:
    """Load the CSV file named in `argv` into the database of BENCH_DATABASE_URL."""
    url = os.environ["BENCH_DATABASE_URL"]
    with open(argv[0], newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != HEADER:
            sys.stderr.write(f"unexpected header {header}, want {HEADER}\n")
            return 1
        if url.startswith(SQLITE_PREFIX):
            load_sqlite(url.removeprefix(SQLITE_PREFIX), reader)
        else:
            load_postgres(url, reader)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
