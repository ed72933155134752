"""The .xlsx reader plug-in: cells, lines, errors, the registry, and load_data."""

from __future__ import annotations

import gzip
import shutil
import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

import importers.readers
from importers.errors import SourceError
from importers.readers import get_reader, reader_for
from importers.readers.xlsx import XLSXReader, plain
from importers.sources import open_source
from mysite.blog.models import Author, Post

from .conftest import run


@pytest.fixture(autouse=True)
def xlsx_enabled(monkeypatch, settings):
    """Enable the reader as the demo's settings do, registering nothing for good."""
    monkeypatch.setattr(importers.readers, "_registered", {})
    monkeypatch.setattr(importers.readers, "_plugins", {})
    settings.IMPORTERS_READERS = ["importers.readers.xlsx.XLSXReader"]


def workbook(path: Path, *rows: list, sheets: int = 1) -> Path:
    """Write `rows` into the first sheet of a new workbook (more sheets are empty)."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for n in range(1, sheets):
        book.create_sheet(f"Sheet{n + 1}").append(["not", "read"])
    book.save(path)
    return path


def read(path: Path) -> tuple[list[str] | None, list]:
    with open_source(path) as source:
        reader = reader_for(source)(source)
        return reader.columns, list(reader)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("text", "text"),
        (12, 12),
        (2.5, 2.5),
        (True, True),
        (None, None),
        (datetime(2024, 3, 1), "2024-03-01"),  # a date cell: midnight
        (datetime(2024, 3, 1, 9, 30), "2024-03-01T09:30:00"),
        (date(2024, 3, 1), "2024-03-01"),
        (time(9, 30), "09:30:00"),
        (timedelta(hours=26), "1 day, 2:00:00"),
    ],
)
def test_cells_come_as_openpyxl_gives_them_dates_as_iso_text(cell, expected):
    assert plain(cell) == expected


def test_header_cells_and_spreadsheet_row_numbers(tmp_path):
    path = workbook(
        tmp_path / "people.xlsx",
        [],  # blank rows above the header are skipped
        ["username", "name", "joined", "score"],
        ["ada", "Ada", datetime(2020, 5, 17), 1.5],
        [],
        ["bob", None, None, 3],
        ["cy"],  # short rows are padded
    )
    columns, rows = read(path)
    assert columns == ["username", "name", "joined", "score"]
    assert [(r.line, r.cells) for r in rows] == [
        (3, ["ada", "Ada", "2020-05-17", 1.5]),
        (5, ["bob", None, None, 3]),
        (6, ["cy", None, None, None]),
    ]


def test_only_the_first_sheet_is_read(tmp_path):
    path = workbook(tmp_path / "a.xlsx", ["name"], ["x"], sheets=3)
    assert [r.cells for r in read(path)[1]] == [["x"]]


def test_a_row_wider_than_the_header_is_a_row_error(tmp_path):
    path = workbook(tmp_path / "a.xlsx", ["a", "b"], ["1", "2", "3"], ["4", "5"])
    rows = read(path)[1]
    assert rows[0].code == "ragged" and rows[0].line == 2
    assert "3 cells, header has 2" in rows[0].error
    assert rows[1].error is None


@pytest.mark.parametrize(
    "rows, code",
    [
        ([], "empty"),
        ([[], [None, None]], "empty"),
        ([["name", "Name"], ["x", "y"]], "duplicate_column"),
    ],
)
def test_unreadable_sheets_are_source_errors(tmp_path, rows, code):
    path = workbook(tmp_path / "a.xlsx", *rows)
    with pytest.raises(SourceError) as error:
        read(path)
    assert error.value.code == code


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_text("name\nx\n")
    with pytest.raises(SourceError, match=r"not an Excel \.xlsx workbook") as error:
        read(path)
    assert error.value.code == "invalid_xlsx"


def test_missing_openpyxl_fails_when_used_saying_what_to_install(tmp_path, monkeypatch):
    path = workbook(tmp_path / "a.xlsx", ["name"], ["x"])
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl fails
    assert get_reader("xlsx") is XLSXReader  # registering needs no openpyxl
    with pytest.raises(SourceError, match=r"the 'xlsx' extra\): pip install openpyxl"):
        read(path)


def test_registered_through_the_setting_by_format_and_extension(tmp_path):
    assert get_reader("xlsx") is XLSXReader
    path = workbook(tmp_path / "a.xlsm", ["name"], ["x"])
    with open_source(path) as source:
        assert reader_for(source) is XLSXReader


@pytest.mark.django_db
def test_load_data_imports_workbooks(tmp_path):
    authors = workbook(
        tmp_path / "authors.xlsx",
        ["Username", "Name", "Email"],
        ["ada", "Ada Lovelace", "ada@example.com"],
        ["bob", 12, None],  # a number in a text column
    )
    posts = workbook(
        tmp_path / "posts.xlsx",
        [
            "slug",
            "title",
            "author",
            "status",
            "published_at",
            "views",
            "rating",
            "body",
        ],
        ["p1", "One", "ada", "published", datetime(2024, 1, 2, 10, 30), 5, 4.25, "."],
        ["p2", "Two", "bob", "draft", None, 0, None, "."],
    )
    result = run("load_data", str(authors), str(posts))
    assert result.error is None, result.stderr
    assert Author.objects.get(username="bob").name == "12"
    p1 = Post.objects.get(slug="p1")
    assert p1.published_at.isoformat() == "2024-01-02T10:30:00+00:00"
    assert p1.rating == Decimal("4.25")
    again = run("load_data", str(authors), str(posts))
    assert "2 unchanged" in again.stdout


@pytest.mark.django_db
def test_a_compressed_workbook_is_read_from_a_spooled_copy(tmp_path):
    path = workbook(tmp_path / "authors.xlsx", ["username", "name"], ["ada", "Ada"])
    packed = tmp_path / "authors.xlsx.gz"
    with open(path, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    result = run("load_data", str(packed))
    assert result.error is None, result.stderr
    assert Author.objects.get().name == "Ada"


@pytest.mark.django_db
def test_a_bad_cell_names_its_spreadsheet_row(tmp_path):
    path = workbook(
        tmp_path / "authors.xlsx",
        ["username", "name", "email"],
        ["ada", "Ada", "ada@example.com"],
        ["bob", "Bob", "not-an-email"],
    )
    result = run("load_data", str(path))
    assert result.returncode == 1
    assert "authors.xlsx:3: column 'email'" in result.stderr
