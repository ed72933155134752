"""Bad input: every file of tests/corpus/ fails cleanly and loses nothing.

Each case is one small file in `tests/corpus/<importer>/` (see its README.md). For
every case, with the default `--on-error abort`:

- the command fails with exit status 1 and one line naming the file, the line (and
  the column, where there is one) and the reason;
- there is no traceback;
- the database is exactly as before (row counts and a checksum of every table).

With `--on-error skip` what happens depends on whether the file format lets the bad
record be separated from the others:

- a *row* fault (a ragged CSV row, a JSON Lines line that is not JSON, a value that
  fails validation, a key that clashes): the good rows are imported, exactly as if
  the bad lines were not in the file, and every bad row is reported and written to
  `--errors-file` with its line number;
- a *file* fault (the bytes cannot be decoded, a quote is never closed, the JSON
  array is broken, the .gz is truncated, the header is unusable, a limit is hit):
  nothing after the fault can be trusted to be where the reader thinks it is, so
  the file aborts. In the default atomic mode the whole run is rolled back, so the
  database is unchanged even with `--on-error skip`. With `--no-atomic`, the batches
  read completely before the fault stay committed, nothing of the batch holding the
  fault is written, and the error message lists the committed line ranges (tested
  at the end of this module).
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from importers.errors import SourceError
from importers.readers import ReadOptions, reader_for
from importers.sources import open_source
from mysite.blog.models import Author, Post

from .conftest import run
from .reliability import CORPUS, content, read_errors_file, seed, table_state

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    """A corpus file and what the command must say about it."""

    path: str  # under tests/corpus/; the folder names the importer
    where: str  # what follows the file name in the message: ":3", or "" if no line
    says: tuple[str, ...]  # parts of the reason
    bad_lines: tuple[int, ...] = ()  # a row fault on these lines; () for a file fault
    args: tuple[str, ...] = ()

    @property
    def file(self) -> Path:
        return CORPUS / self.path

    @property
    def importer(self) -> str:
        return self.file.parent.name

    def __str__(self) -> str:
        return self.path


CASES = [
    # CSV structure
    Case("authors/ragged-too-many.csv", ":3", ("row has 4 cells, header has 3",), (3,)),
    Case("authors/ragged-too-few.csv", ":3", ("row has 1 cells, header has 3",), (3,)),
    Case("authors/unbalanced-quote.csv", ":4", ("unbalanced quote", "never closed")),
    Case("authors/stray-quote.csv", ":3", ("text after a closing quote",)),
    Case("authors/nul-byte.csv", ":3", ("NUL byte",)),
    # encodings and binary files
    Case(
        "authors/cp1252-read-as-utf8.csv",
        ":3",
        ("cannot decode byte 0xeb as utf-8", "--encoding cp1252"),
    ),
    Case(
        "authors/utf8-read-as-cp1252.csv",
        ":3",
        ("cannot decode byte 0x81 as cp1252",),
        args=("--encoding", "cp1252"),
    ),
    Case("authors/utf16-without-encoding.csv", ":1", ("UTF-16", "--encoding utf-16")),
    Case("authors/binary-png.csv", ":1", ("a PNG image, not text",)),
    Case("authors/binary-xlsx.csv", ":1", ("a zip archive", "not text")),
    # headers
    Case("authors/empty.csv", "", ("the file is empty",)),
    Case("authors/blank-lines-only.csv", "", ("the file is empty",)),
    Case("authors/duplicate-header.csv", ":1", ("columns 1 and 3 are both named",)),
    Case(
        "authors/unknown-header.csv",
        ":1",
        ("column 'e_mail' matches no field", "did you mean 'email'"),
    ),
    Case(
        "authors/missing-required-column.csv", ":1", ("missing required column: name",)
    ),
    # JSON
    Case("authors/truncated.json", ":4", ("ends in the middle of item 2", "(column")),
    Case("authors/trailing-comma.json", ":4", ("trailing comma before ']'", "(column")),
    Case("authors/nan.json", ":3", ("NaN is not valid JSON", "(column")),
    Case("authors/infinity.json", ":3", ("-Infinity is not valid JSON", "(column")),
    Case(
        "authors/top-level-object.json",
        ":1",
        ("expected a JSON array of objects, found an object",),
    ),
    Case(
        "authors/nested-object.json",
        ":3 [item 1]",
        ("column 'name'", "expected text, got an object"),
        (3,),
    ),
    Case(
        "authors/item-not-an-object.json", ":3 [item 1]", ("item 1 is a number",), (3,)
    ),
    Case("authors/empty-array.json", "", ("no records to import",)),
    Case(
        "authors/broken-line.jsonl",
        ":2",
        ("invalid JSON", "Expecting ',' delimiter (column 45)"),
        (2,),
    ),
    Case(
        "authors/huge-integer.jsonl",
        ":2",
        ("holds a number longer than 4,300 digits",),
        (2,),
    ),
    Case("authors/deeply-nested.jsonl", ":2", ("nested too deeply",), (2,)),
    Case("authors/lone-surrogate.jsonl", ":2", ("lone surrogate", r"\ud800"), (2,)),
    Case("authors/deeply-nested.json", ":3", ("item 1 is nested too deeply",)),
    # compressed
    Case(
        "authors/truncated.csv.gz", ":1", ("compressed data is truncated or corrupt",)
    ),
    Case("authors/two-members.zip", "", ("a .zip must hold exactly one file",)),
    # values
    Case(
        "posts/integer-out-of-range.csv",
        ":3",
        ("column 'views'", "99999999999999999999", "less than or equal to"),
        (3,),
    ),
    Case(
        "posts/negative-integer.csv",
        ":3",
        ("column 'views'", "greater than or equal to 0"),
        (3,),
    ),
    Case(
        "posts/impossible-date.csv",
        ":3",
        ("column 'published_at'", "2023-02-30", "invalid date"),
        (3,),
    ),
    Case(
        "posts/date-out-of-range.csv",
        ":3",
        ("column 'published_at'", "10000-01-01", "invalid format"),
        (3,),
    ),
    Case(
        "posts/decimal-too-many-digits.csv",
        ":3",
        ("column 'rating'", "12.345", "no more than 3 digits"),
        (3,),
    ),
    Case(
        "posts/string-too-long.csv",
        ":3",
        ("column 'title'", "at most 200 characters (it has 201)"),
        (3,),
    ),
    Case(
        "posts/invalid-choice.csv",
        ":3",
        ("column 'status'", "'archived' is not a valid choice"),
        (3,),
    ),
    Case(
        "posts/unknown-foreign-key.csv",
        ":3",
        ("column 'author'", "Author with username 'nobody' does not exist"),
        (3,),
    ),
    Case(
        "posts/duplicate-key.csv",
        ":3",
        ("column 'slug'", "duplicate key: the same slug is on line 2"),
        (3,),
    ),
    Case(
        "posts/existing-key-in-create-mode.csv",
        ":3",
        ("column 'slug'", "Post with this slug already exists"),
        (3,),
        args=("--mode", "create"),
    ),
    Case(
        "posts/several-bad-rows.csv",
        ":3",
        ("column 'views'",),
        (3, 5, 6),
    ),
]


def command(case: Case, *more: str) -> list[str]:
    return ["load_data", str(case.file), "--importer", case.importer, *case.args, *more]


def assert_one_clear_line(message: str, case: Case) -> None:
    """The failure is one line: file, line, column where there is one, reason."""
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message
    assert f"{case.file}{case.where}: " in message, message
    for part in case.says:
        assert part in message, (part, message)


#: corpus files that are not faults at all
NOT_FAULTS = {"authors/header-only.csv"}


def test_every_corpus_file_has_a_case():
    files = {
        str(path.relative_to(CORPUS))
        for path in CORPUS.glob("*/*")
        if path.name != "README.md"
    }
    assert files == {case.path for case in CASES} | NOT_FAULTS


def test_a_header_only_file_is_not_a_failure():
    """An export that happens to be empty must not fail a nightly job."""
    seed()
    before = table_state()
    result = run(
        "load_data", str(CORPUS / "authors/header-only.csv"), "--importer", "authors"
    )
    assert result.error is None, result
    assert result.stdout.strip().splitlines() == [
        f"{CORPUS / 'authors/header-only.csv'}: no rows (the file has only a "
        "header); nothing to do"
    ]
    assert table_state() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_abort_fails_with_one_clear_line_and_changes_nothing(case):
    seed()
    before = table_state()
    result = run(*command(case))
    assert result.returncode == 1, result
    assert_one_clear_line(result.error, case)
    assert "Traceback" not in result.stderr
    assert table_state() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_skip_imports_the_good_rows_and_lists_the_bad_ones(case, tmp_path):
    """Row faults: the good rows land as if the bad lines were not in the file, and
    each bad row is in the errors file. File faults: nothing changes (atomic)."""
    seed()
    before = table_state()
    if case.bad_lines:
        expected = content_after_importing(clean_copy(case, tmp_path), case)
    errors_file = tmp_path / "errors.csv"
    result = run(
        *command(case, "--on-error", "skip", "--errors-file", str(errors_file))
    )
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    if not case.bad_lines:
        assert_one_clear_line(result.error, case)
        assert table_state() == before
        assert not errors_file.exists()  # written only when a row is rejected
        return
    rejected = len(case.bad_lines)
    assert result.error == f"{rejected} row{'s' * (rejected > 1)} rejected"
    assert content() == expected
    rows = read_errors_file(errors_file)
    assert [int(row["line"]) for row in rows] == list(case.bad_lines)
    assert all(row["error"] for row in rows)
    first = next(line for line in result.stderr.splitlines() if line.strip())
    assert f"{case.file}{case.where}" in first


def clean_copy(case: Case, tmp_path: Path) -> Path:
    """Return a copy of the case's file without its bad lines."""
    clean = tmp_path / case.file.name
    lines = case.file.read_bytes().splitlines(keepends=True)
    kept = [
        line for number, line in enumerate(lines, 1) if number not in case.bad_lines
    ]
    clean.write_bytes(b"".join(kept))
    return clean


def content_after_importing(path: Path, case: Case) -> dict:
    """Return the database content after importing `path`, then roll it back."""
    with transaction.atomic():
        result = run(*command(case)[:1], str(path), *command(case)[2:])
        assert result.error is None, result
        expected = content()
        transaction.set_rollback(True)
    return expected


SUBPROCESS_CASES = [
    "authors/ragged-too-many.csv",
    "authors/unbalanced-quote.csv",
    "authors/cp1252-read-as-utf8.csv",
    "authors/truncated.json",
    "authors/truncated.csv.gz",
    "authors/lone-surrogate.jsonl",
    "posts/invalid-choice.csv",
]


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.path in SUBPROCESS_CASES], ids=str
)
def test_manage_py_exits_one_without_a_traceback(case, manage):
    seed()
    before = table_state()
    done = manage(*command(case), "--no-progress")
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("CommandError: "), stderr
    assert_one_clear_line(last, case)
    assert table_state() == before


# -- limits: a huge field or line is a clear error in bounded memory ------------------

MB = 1 << 20
# The limits these cases were written for (the defaults are now 32 and 64 Mi):
# small ones show that memory follows the limit, not the file.
SMALL = ReadOptions(field_size_limit=MB, record_size_limit=4 * MB)
SMALL_OPTIONS = ("--max-field-size", "1M", "--max-record-size", "4M")


def huge_field_csv(path: Path, size: int, *, newlines: bool) -> Path:
    """Write a CSV whose second record holds one quoted field of `size` characters."""
    chunk = ("x" * 1023 + ("\n" if newlines else "x")).encode()
    with open(path, "wb") as f:
        f.write(b'username,name,email\nada,Ada,\nbob,"')
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write(b'",\ngrace,Grace,\n')
    return path


def huge_line_jsonl(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.write(b'{"username": "ada", "name": "Ada"}\n{"username": "bob", "name": "')
        for _ in range(size // MB):
            f.write(b"y" * MB)
        f.write(b'"}\n')
    return path


def huge_value_json(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.write(b'[{"username": "ada", "name": "Ada"},\n {"username": "bob", "name": "')
        for _ in range(size // MB):
            f.write(b"z" * MB)
        f.write(b'"}]\n')
    return path


BIG = [
    (
        "50 MB field on one line",
        "authors.csv",
        lambda p: huge_field_csv(p, 50 * MB, newlines=False),
        ":3",
        "longer than 4,194,304 characters",
    ),
    (
        "50 MB field over many lines",
        "authors.csv",
        lambda p: huge_field_csv(p, 50 * MB, newlines=True),
        ":3",
        "longer than 1,048,576 characters (the field size limit,",
    ),
    (
        "10 MB JSON Lines line",
        "authors.jsonl",
        lambda p: huge_line_jsonl(p, 10 * MB),
        ":2",
        "longer than 4,194,304 characters",
    ),
    (
        "50 MB JSON string",
        "authors.json",
        lambda p: huge_value_json(p, 50 * MB),
        ":2",
        "longer than 4,194,304 characters",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "make", "where", "says"), BIG, ids=[b[0] for b in BIG]
)
def test_huge_records_fail_clearly_in_bounded_memory(
    tmp_path, name, file, make, where, says
):
    path = make(tmp_path / file)
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as info, open_source(path) as source:
            for _ in reader_for(source)(source, SMALL):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.code == "too_large"
    assert str(info.value).startswith(f"{path}{where}: "), str(info.value)
    assert says in str(info.value)
    # About 4.5 MB for the CSV and JSON Lines cases, 20 MB for the JSON array
    # (its buffer doubles up to the 4 MiB record limit): bounded by the limits.
    assert peak < 32 * MB, f"{name}: peak {peak / MB:.0f} MB"


THROUGH_THE_COMMAND = [BIG[0], BIG[2]]  # the 50 MB CSV field, the 10 MB line


@pytest.mark.parametrize(
    ("name", "file", "make", "where", "says"),
    THROUGH_THE_COMMAND,
    ids=[b[0] for b in THROUGH_THE_COMMAND],
)
def test_huge_records_through_the_command(tmp_path, name, file, make, where, says):
    seed()
    before = table_state()
    path = make(tmp_path / file)
    for on_error in ("abort", "skip"):
        result = run("load_data", str(path), "--on-error", on_error, *SMALL_OPTIONS)
        assert result.returncode == 1
        assert result.error.startswith(f"{path}{where}: "), result.error
        assert says in result.error and "\n" not in result.error
        assert table_state() == before


# -- --no-atomic: what a file fault leaves behind -------------------------------------


def authors_csv(rows: int) -> str:
    return "username,name,email\n" + "".join(
        f"user{i:04d},User {i},\n" for i in range(rows)
    )


@pytest.mark.parametrize("fault", ["truncated gzip", "unbalanced quote"])
def test_no_atomic_keeps_whole_batches_read_before_a_file_fault(tmp_path, fault):
    """With --no-atomic, batches read before the fault stay, and the message says
    which lines; nothing of the batch holding the fault is written."""
    if fault == "truncated gzip":
        path = tmp_path / "authors.csv.gz"
        data = gzip.compress(authors_csv(60_000).encode(), mtime=0)
        path.write_bytes(data[: len(data) // 2])
    else:
        path = tmp_path / "authors.csv"
        path.write_text(
            authors_csv(2500) + 'late,"Never closed,\n' + authors_csv(10)[20:]
        )
    result = run(
        "load_data",
        str(path),
        "--no-atomic",
        "--batch-size",
        "1000",
        "--on-error",
        "skip",
    )
    assert result.returncode == 1
    committed = Author.objects.count()
    assert committed > 0 and committed % 1000 == 0
    assert f"; committed: {path} lines 2-{committed + 1}" in result.error, result.error
    assert set(Author.objects.values_list("username", flat=True)) == {
        f"user{i:04d}" for i in range(committed)
    }
    assert "\n" not in result.error


def test_atomic_skip_writes_nothing_of_a_file_that_breaks_late(tmp_path):
    path = tmp_path / "authors.csv"
    path.write_text(authors_csv(2500) + 'late,"Never closed,\n')
    result = run("load_data", str(path), "--batch-size", "1000", "--on-error", "skip")
    assert result.returncode == 1
    assert result.error.startswith(f"{path}:2502: unbalanced quote")
    assert result.error.endswith("(nothing was written)")
    assert Author.objects.count() == 0


def test_dry_run_of_a_bad_file_reports_the_same_error(tmp_path):
    seed()
    before = table_state()
    case = next(c for c in CASES if c.path == "authors/truncated.json")
    result = run(*command(case), "--dry-run")
    assert result.returncode == 1
    assert_one_clear_line(result.error, case)
    assert table_state() == before


def test_corpus_readme_lists_every_case():
    readme = (CORPUS / "README.md").read_text()
    for case in CASES:
        assert f"`{case.path}`" in readme, case.path


def test_report_json_of_a_rejected_row_names_line_and_column(tmp_path):
    seed()
    case = next(c for c in CASES if c.path == "posts/invalid-choice.csv")
    result = run(*command(case, "--on-error", "skip", "--report", "json"))
    report = json.loads(result.stdout)
    [error] = report["files"][0]["errors"]
    assert (error["line"], error["column"], error["code"]) == (
        3,
        "status",
        "invalid_choice",
    )
    assert Post.objects.filter(slug__in=["good-one", "good-two"]).count() == 2
