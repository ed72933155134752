"""The bench's own databases: create, fill with authors and categories, empty, check.

The harness talks to them with the plain drivers (sqlite3, psycopg), never through
Django, so its own memory and start-up stay out of the figures. Driver errors come
out as `StepError`, which the harness reports instead of a traceback.
"""

import csv
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from bench.datasets import Checksum, Dataset
from bench.process import StepError

POST_TABLES = ("blog_post_tags", "blog_post", "blog_tag")
PARENT_TABLES = ("blog_author", "blog_category")
CHECKSUM_SQL = """
SELECT COUNT(*), COALESCE(SUM(views), 0), COUNT(rating),
       COALESCE(SUM(ROUND(rating * 100)), 0), COUNT(category_id),
       COALESCE(SUM(category_id), 0), COALESCE(SUM(author_id), 0),
       COUNT(published_at), COALESCE(SUM({epoch}), 0),
       COALESCE(SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(LENGTH(title) + LENGTH(body)), 0)
FROM blog_post
"""


def parent_rows(dataset: Dataset, name: str, width: int) -> list[tuple]:
    """Return (id, *columns) for each line of a parents file, ids from 1."""
    with dataset.path(name).open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return [(number, *row[:width]) for number, row in enumerate(reader, start=1)]


class BenchDatabase(ABC):
    """One database the benchmark runs against; subclasses speak its dialect."""

    name: str
    label: str
    placeholder: str
    epoch_sql: str

    @property
    @abstractmethod
    def url(self) -> str:
        """Return the URL that `bench.settings` and the methods connect with."""

    @abstractmethod
    def create(self) -> None:
        """Make the database if it does not exist yet."""

    @abstractmethod
    def version(self) -> str:
        """Return the server or library version."""

    @abstractmethod
    def cursor(self) -> AbstractContextManager:
        """Return a context giving an autocommit cursor; errors become `StepError`."""

    @abstractmethod
    def empty_posts(self) -> None:
        """Empty the posts, tags and post-tags tables and reset their ids."""

    def load_parents(self, dataset: Dataset) -> None:
        """Replace all authors and categories with those of `dataset`, ids from 1."""
        self.empty_posts()
        marks = ", ".join([self.placeholder] * 4)
        with self.cursor() as cursor:
            cursor.execute("BEGIN")  # one commit, not one per row
            for table in PARENT_TABLES:
                cursor.execute(f"DELETE FROM {table}")
            cursor.executemany(
                f"INSERT INTO blog_author (id, username, name, email) VALUES ({marks})",
                parent_rows(dataset, "authors.csv", 3),
            )
            cursor.executemany(
                "INSERT INTO blog_category (id, slug, name) "
                f"VALUES ({', '.join([self.placeholder] * 3)})",
                parent_rows(dataset, "categories.csv", 2),
            )
            cursor.execute("COMMIT")
        self.after_explicit_ids()

    @abstractmethod
    def after_explicit_ids(self) -> None:
        """Bring id sequences past the ids just inserted by hand."""

    def checksum(self) -> Checksum:
        """Return the sums of the posts table, to compare with the data set's."""
        with self.cursor() as cursor:
            cursor.execute(CHECKSUM_SQL.format(epoch=self.epoch_sql))
            return Checksum(*(int(value) for value in cursor.fetchone()))


class SqliteDatabase(BenchDatabase):
    name = "sqlite"
    label = "SQLite"
    placeholder = "?"
    epoch_sql = "CAST(strftime('%s', published_at) AS INTEGER)"

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def version(self) -> str:
        return sqlite3.sqlite_version

    @contextmanager
    def cursor(self) -> Iterator[sqlite3.Cursor]:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None)
            try:
                yield connection.cursor()
            finally:
                connection.close()
        except sqlite3.Error as error:
            raise StepError(f"SQLite {self.path}: {error}") from None

    def after_explicit_ids(self) -> None:
        """Nothing to do: SQLite's AUTOINCREMENT follows explicit ids by itself."""

    def empty_posts(self) -> None:
        with self.cursor() as cursor:
            for table in POST_TABLES:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute(
                "DELETE FROM sqlite_sequence WHERE name IN (?, ?, ?)", POST_TABLES
            )
            cursor.execute("VACUUM")  # every run starts from the same compact file


class PostgresDatabase(BenchDatabase):
    name = "postgres"
    label = "PostgreSQL"
    placeholder = "%s"
    epoch_sql = "EXTRACT(EPOCH FROM published_at)"

    def __init__(self, url: str) -> None:
        self._url = url
        self.dbname = str(conninfo_to_dict(url).get("dbname", ""))

    @property
    def url(self) -> str:
        return self._url

    @contextmanager
    def cursor(self, dbname: str | None = None) -> Iterator[psycopg.Cursor]:
        options = {"dbname": dbname} if dbname else {}
        try:
            with (
                psycopg.connect(self._url, autocommit=True, **options) as connection,
                connection.cursor() as cursor,
            ):
                yield cursor
        except psycopg.Error as error:
            raise StepError(f"PostgreSQL {self._url}: {error}".strip()) from None

    def create(self) -> None:
        with self.cursor(dbname="postgres") as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.dbname]
            )
            if cursor.fetchone() is None:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname))
                )

    def version(self) -> str:
        with self.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0].split()[0]

    def empty_posts(self) -> None:
        with self.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(POST_TABLES)} RESTART IDENTITY")
            # Flush what earlier runs left dirty, so no run pays for another's writes.
            cursor.execute("CHECKPOINT")

    def load_parents(self, dataset: Dataset) -> None:
        with self.cursor() as cursor:  # DELETE would trip the posts' foreign keys
            cursor.execute(
                f"TRUNCATE {', '.join(POST_TABLES + PARENT_TABLES)} RESTART IDENTITY"
            )
        super().load_parents(dataset)

    def after_explicit_ids(self) -> None:
        with self.cursor() as cursor:
            for table in PARENT_TABLES:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"(SELECT MAX(id) FROM {table}))",
                    [table],
                )
