"""Property-based and fuzz tests of the readers and of a whole import (hypothesis).

- Any table of strings that Python's csv module writes, in every dialect we claim,
  reads back cell for cell, whatever the chunk size the text is decoded in. NUL and
  lone surrogates are left out: they are documented errors (a NUL is a SourceError,
  a lone surrogate cannot even be encoded), tested in test_reliability_corpus.py.
  So is a "\\r" in a cell written with lineterminator "\\n" and minimal quoting:
  csv.writer leaves it unquoted, and no reader (Python's own neither) can tell it
  from a line end.
- Any list of objects that the json module writes reads back equal, as a JSON array
  and as JSON Lines.
- Arbitrary bytes, and valid files with bytes flipped, cut or inserted, fed to every
  reader under every extension raise nothing but SourceError (rows with `.error`
  set are fine).
- For random mixes of valid and invalid post rows, a dry run counts what the real
  run then does, and with --on-error skip the database holds exactly the valid rows.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import os
import tempfile
import zipfile
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import importers.readers.json as json_reader
from importers import sources
from importers.errors import SourceError
from importers.readers import ReadOptions, formats, get_reader, reader_for
from importers.sources import open_source
from mysite.blog.models import Author, Category, Post

from .conftest import run

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text a file can hold: any code point but NUL and surrogates.
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
NAME = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8)
CHUNKS = st.sampled_from([1, 2, 3, 7, 64, sources.CHUNK_SIZE])
DIALECTS = st.sampled_from([",", ";", "\t", "|"])


def read_all(path, **options):
    """Return (columns, rows) of a file, through open_source and its reader."""
    with open_source(path) as source:
        reader = reader_for(source)(source, ReadOptions(**options))
        return reader.columns, list(reader)


@st.composite
def tables(draw):
    """A header of distinct names and rows of its width of any text."""
    header = draw(st.lists(NAME, min_size=1, max_size=5, unique_by=str.casefold))
    width = len(header)
    rows = draw(st.lists(st.lists(TEXT, min_size=width, max_size=width), max_size=8))
    return header, rows


def writable(rows: list[list[str]], terminator: str) -> bool:
    """Tell whether csv.writer's QUOTE_MINIMAL writes `rows` so they read back.

    With lineterminator "\\n" it does not quote a "\\r", which every CSV reader
    (Python's own too) then takes for a line end.
    """
    return terminator == "\r\n" or not any("\r" in cell for row in rows for cell in row)


@given(
    table=tables(),
    delimiter=DIALECTS,
    terminator=st.sampled_from(["\r\n", "\n"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    bom=st.booleans(),
    chunk=CHUNKS,
)
@FAST
def test_any_table_written_by_csv_reads_back_cell_for_cell(
    table, delimiter, terminator, quoting, bom, chunk
):
    header, rows = table
    if quoting == csv.QUOTE_MINIMAL:
        assume(writable(rows, terminator))
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=terminator, quoting=quoting
    )
    writer.writerow(header)
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + buffer.getvalue()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "table.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(data)
        with mock.patch.object(sources, "CHUNK_SIZE", chunk):
            columns, read = read_all(path, delimiter=delimiter)
            if len(header) > 1:  # one column has no delimiter to sniff
                sniffed_columns, sniffed = read_all(path)
                assert (sniffed_columns, sniffed) == (columns, read)
    assert columns == header
    assert [row.error for row in read] == [None] * len(rows)
    assert [row.cells for row in read] == rows


@given(
    table=tables(),
    delimiter=DIALECTS,
    terminator=st.sampled_from(["\r\n", "\n"]),
    chunk=CHUNKS,
)
@FAST
def test_line_numbers_are_where_each_record_starts(table, delimiter, terminator, chunk):
    """A record's line is 1 + the line ends before it ("\\r\\n", "\\n" or "\\r")."""
    header, rows = table
    assume(writable(rows, terminator))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(header)
    starts = []
    for row in rows:
        text = buffer.getvalue()
        starts.append(1 + text.count("\n") + text.count("\r") - text.count("\r\n"))
        writer.writerow(row)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "table.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(buffer.getvalue())
        with mock.patch.object(sources, "CHUNK_SIZE", chunk):
            _, read = read_all(path, delimiter=delimiter)
    assert [row.line for row in read] == starts


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)
OBJECTS = st.lists(st.dictionaries(TEXT, JSON_VALUES, max_size=4), max_size=6)


@given(
    objects=OBJECTS,
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 0, 2]),
    chunk=st.sampled_from([1, 2, 5, 16, 64, json_reader.CHUNK]),
    text_chunk=CHUNKS,
)
@FAST
def test_any_objects_written_by_json_read_back_equal(
    objects, ascii_only, indent, chunk, text_chunk
):
    with tempfile.TemporaryDirectory() as folder:
        array = os.path.join(folder, "objects.json")
        lines = os.path.join(folder, "objects.jsonl")
        with open(array, "w", encoding="utf-8") as f:
            json.dump(objects, f, ensure_ascii=ascii_only, indent=indent)
        with open(lines, "w", encoding="utf-8") as f:
            for item in objects:
                f.write(json.dumps(item, ensure_ascii=ascii_only) + "\n")
        with (
            mock.patch.object(json_reader, "CHUNK", chunk),
            mock.patch.object(sources, "CHUNK_SIZE", text_chunk),
        ):
            _, from_array = read_all(array)
            _, from_lines = read_all(lines)
    assert [row.cells for row in from_array] == objects
    assert [row.index for row in from_array] == list(range(len(objects)))
    assert [row.cells for row in from_lines] == objects
    assert all(row.error is None for row in [*from_array, *from_lines])


# -- fuzz: bytes no reader expects -------------------------------------------------

SAMPLES = {
    "csv": b'username,name,email\nada,"Ada, Countess",ada@example.com\n'
    b'bob,"Bob ""B"" Smith\nJr",\n',
    "tsv": b"username\tname\nada\tAda\n",
    "json": b'[{"username": "ada", "views": 12, "rating": 4.5, "tags": ["a"]},\n'
    b' {"username": "bob", "name": "B\\u00f6b", "x": {"y": [null, true]}}]\n',
    "jsonl": b'{"username": "ada", "views": 1e3}\n{"username": "b\\ud83d\\ude00"}\n',
}


@st.composite
def mangled(draw, sample: bytes):
    """`sample` with a few bytes replaced, dropped or inserted, or cut short."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["replace", "drop", "insert", "cut"]))
        byte = draw(
            st.sampled_from([0, 0x22, 0x2C, 0x0A, 0x0D, 0x5B, 0x7B, 0xFF, 0xC3])
        )
        byte = draw(st.one_of(st.just(byte), st.integers(0, 255)))
        if action == "replace" and at < len(data):
            data[at] = byte
        elif action == "drop" and at < len(data):
            del data[at]
        elif action == "insert":
            data.insert(at, byte)
        else:
            del data[at:]
    return bytes(data)


def compress(data: bytes, how: str, inner: str) -> bytes:
    if how == ".gz":
        return gzip.compress(data, mtime=0)
    if how == ".bz2":
        return bz2.compress(data)
    if how == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(inner, data)
        return buffer.getvalue()
    return data


def feed(data: bytes, name: str, encoding: str | None, *, small_limits: bool) -> None:
    """Read `data` as the file `name`; only a SourceError may escape."""
    limits = {"field_size_limit": 64, "record_size_limit": 256} if small_limits else {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        try:
            with open_source(path, encoding=encoding) as source:
                reader = reader_for(source)(source, ReadOptions(**limits))
                for row in reader:
                    assert isinstance(row.line, int) and row.line >= 1
                    if row.error is not None:
                        assert row.code, row
        except SourceError as exc:
            assert str(exc) and exc.code


EXTENSIONS = {fmt: get_reader(fmt).extensions[0] for fmt in formats()}


@given(
    fmt=st.sampled_from(sorted(EXTENSIONS)),
    data=st.binary(max_size=300),
    encoding=st.sampled_from([None, "utf-8", "cp1252", "utf-16", "latin-1"]),
    small_limits=st.booleans(),
)
@settings(FAST, max_examples=150)
def test_arbitrary_bytes_raise_only_source_errors(fmt, data, encoding, small_limits):
    feed(data, "fuzz" + EXTENSIONS[fmt], encoding, small_limits=small_limits)


@given(
    fmt=st.sampled_from(sorted(SAMPLES)),
    data=st.data(),
    compression=st.sampled_from(["", "", ".gz", ".bz2", ".zip"]),
    small_limits=st.booleans(),
    chunk=CHUNKS,
)
@settings(FAST, max_examples=200)
def test_mangled_files_raise_only_source_errors(
    fmt, data, compression, small_limits, chunk
):
    inner = "fuzz" + EXTENSIONS[fmt]
    body = data.draw(mangled(SAMPLES[fmt]))
    packed = compress(body, compression, inner)
    if compression and data.draw(st.booleans()):
        packed = data.draw(mangled(packed))  # a corrupt archive
    with mock.patch.object(sources, "CHUNK_SIZE", chunk):
        feed(packed, inner + compression, None, small_limits=small_limits)


# -- random mixes of valid and invalid rows through the whole command ----------------

POST_FIELDS = [
    "slug",
    "title",
    "author",
    "category",
    "status",
    "views",
    "rating",
    "body",
]
AUTHORS = ["ada", "grace"]
CATEGORIES = ["news", ""]
DEFECTS = {
    # field: (bad value, what the error names)
    "views": ["-1", "many", "1.5", "99999999999999999999"],
    "rating": ["12.345", "high", "NaN"],
    "status": ["archived", "DRAFT"],
    "author": ["nobody", ""],
    "title": ["x" * 201, ""],
    "category": ["no-such-category"],
}


@st.composite
def post_rows(draw):
    """Rows of posts, some with one defect; return (rows, which are valid)."""
    count = draw(st.integers(1, 12))
    slugs = draw(
        st.lists(
            st.sampled_from([f"p{i}" for i in range(8)]), min_size=count, max_size=count
        )
    )
    rows, valid = [], []
    for slug in slugs:
        row = {
            "slug": slug,
            "title": draw(
                st.sampled_from(
                    ["Hello", "Second post", "'); DROP TABLE blog_post; --"]
                )
            ),
            "author": draw(st.sampled_from(AUTHORS)),
            "category": draw(st.sampled_from(CATEGORIES)),
            "status": draw(st.sampled_from(["draft", "published"])),
            "views": str(draw(st.integers(0, 10**6))),
            "rating": draw(st.sampled_from(["", "0.00", "4.50", "5"])),
            "body": draw(st.sampled_from(["Body", "{0.__class__}", "%s %(x)s"])),
        }
        good = draw(st.integers(0, 2)) > 0
        if not good:
            field = draw(st.sampled_from(sorted(DEFECTS)))
            row[field] = draw(st.sampled_from(DEFECTS[field]))
        rows.append(row)
        valid.append(good)
    return rows, valid


def expected_posts(rows, valid, stored):
    """Apply the valid rows to the stored posts: first occurrence of a slug wins,
    later valid rows with the same slug are duplicates."""
    posts = dict(stored)
    seen = set()
    for row, good in zip(rows, valid, strict=True):
        if not good or row["slug"] in seen:
            continue
        seen.add(row["slug"])
        posts[row["slug"]] = (
            row["title"],
            row["author"],
            row["category"] or None,
            row["status"],
            int(row["views"]),
            Decimal(row["rating"]) if row["rating"] else None,
            row["body"],
        )
    return posts


def write_posts(path, rows, fmt):
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, POST_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    else:
        with open(path, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")


@pytest.mark.django_db
@given(
    mix=post_rows(),
    fmt=st.sampled_from(["csv", "jsonl"]),
    batch_size=st.sampled_from(["1", "3", "1000"]),
    atomic=st.booleans(),
)
@settings(FAST, max_examples=30)
def test_dry_run_counts_what_the_run_does_and_skip_keeps_exactly_the_valid_rows(
    mix, fmt, batch_size, atomic
):
    rows, valid = mix
    assume(rows)
    with transaction.atomic():
        ada = Author.objects.create(username="ada", name="Ada")
        Author.objects.create(username="grace", name="Grace")
        Category.objects.create(slug="news", name="News")
        Post.objects.create(slug="p0", title="Hello", author=ada, body="Body")
        Post.objects.create(slug="p1", title="Stored", author=ada, body="Stored body")
        stored = posts_now()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, f"posts.{fmt}")
            write_posts(path, rows, fmt)
            args = ["load_data", path, "--on-error", "skip", "--report", "json"]
            args += ["--batch-size", batch_size]
            if not atomic:
                args.append("--no-atomic")
            dry = run(*args, "--dry-run")
            assert posts_now() == stored
            real = run(*args)
        rejected = sum(not good for good in valid) + duplicates(rows, valid)
        for result in (dry, real):
            assert result.returncode == (1 if rejected else 0), result
        dry_totals = json.loads(dry.stdout)["totals"]
        real_totals = json.loads(real.stdout)["totals"]
        assert dry_totals == real_totals
        assert real_totals["rejected"] == rejected
        assert posts_now() == expected_posts(rows, valid, stored)
        transaction.set_rollback(True)


def duplicates(rows, valid):
    seen, count = set(), 0
    for row, good in zip(rows, valid, strict=True):
        if good:
            count += row["slug"] in seen
            seen.add(row["slug"])
    return count


def posts_now() -> dict[str, tuple]:
    return {
        p.slug: (
            p.title,
            p.author.username,
            p.category.slug if p.category else None,
            p.status,
            p.views,
            p.rating,
            p.body,
        )
        for p in Post.objects.select_related("author", "category")
    }


ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | st.sampled_from(["ada", "news", "draft", "2023-02-30", "1e999", "-0", "tag1;x"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=2)
    ),
    max_leaves=5,
)


@pytest.mark.django_db
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {"slug": st.sampled_from(["a", "b", "c"]) | ANY_JSON},
            optional={
                name: ANY_JSON for name in [*POST_FIELDS[1:], "published_at", "tags"]
            },
        ),
        min_size=1,
        max_size=6,
    ),
    mode=st.sampled_from(["upsert", "create", "update", "skip"]),
)
@settings(FAST, max_examples=60)
def test_any_json_values_are_imported_or_rejected_never_crash(rows, mode):
    """Whatever JSON a row holds, the run ends with a report, never an exception."""
    with transaction.atomic():
        Author.objects.create(username="ada", name="Ada")
        Category.objects.create(slug="news", name="News")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "posts.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, default=str) + "\n")
            for dry_run in (["--dry-run"], []):
                result = run(
                    "load_data", path, "--on-error", "skip", "--mode", mode, *dry_run
                )
                assert result.returncode in (0, 1), result
                assert "Traceback" not in result.stderr
        transaction.set_rollback(True)
