"""File formats of `export_data` and `load_data --template`: rows of values as text.

    exporting.py (rows of Python values) -> exportfiles.py -> a file, or stdout

Each value is written in the form the import converters read back exactly:
decimals as plain digits (never an exponent, never a float), dates and times in ISO
8601 (aware datetimes with their offset), booleans as true/false, durations in ISO
8601, binary as base64. Related keys are lists in JSON and one cell joined by the
importer's `m2m_separator` in CSV, TSV and xlsx. A writer is a small class with
`format`, `extensions`, and `header`/`write`/`close`, as readers are.
"""

from __future__ import annotations

import base64
import bz2
import csv
import gzip
import io
import json
import lzma
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any, ClassVar

from django.db import models
from django.utils.duration import duration_iso_string

from .exporting import Column

COMPRESSORS: dict[str, Callable[[str], IO[bytes]]] = {
    ".gz": lambda path: gzip.open(path, "wb"),  # noqa: SIM115 (the caller closes)
    ".bz2": lambda path: bz2.open(path, "wb"),  # noqa: SIM115
    ".xz": lambda path: lzma.open(path, "wb"),  # noqa: SIM115
}
_encode_str = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring


def as_text(value: Any) -> str:
    """Return one value as a CSV cell the import converters read back to it."""
    cls = value.__class__
    if cls is str:
        return value
    if value is None:
        return ""
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return str(value)
    if cls is Decimal:
        return format(value, "f")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if cls is float:
        return repr(value)
    return str(value)


def as_json(value: Any) -> str:
    """Return one value as JSON text; decimals are numbers with all their digits."""
    cls = value.__class__
    if cls is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return str(value)
    if cls is Decimal and value.is_finite():
        return format(value, "f")
    if cls is list:
        return "[" + ", ".join(map(as_json, value)) + "]"
    if cls is dict or cls is float:
        return json.dumps(value, ensure_ascii=False)
    return _encode_str(as_text(value))


class Writer:
    """Write a header, then chunks of rows, to a text (or binary) stream."""

    format: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]
    binary: ClassVar[bool] = False

    def __init__(self, stream: Any, columns: Sequence[Column], separator: str) -> None:
        self.stream = stream
        self.columns = list(columns)
        self.separator = separator

    def header(self) -> None:
        """Write what precedes the rows."""

    def write(self, rows: list[list[Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Write what follows the rows."""


def written_as_is(column: Column) -> bool:
    """Return whether the csv module writes this column's values as we would."""
    if column.many:
        return False
    field = column.field
    if field.is_relation:
        field = field.related_model._meta.get_field(column.lookup)
    if field.is_relation or field.get_internal_type() == "BooleanField":
        return False
    return isinstance(field, (models.CharField, models.TextField, models.IntegerField))


class CSVWriter(Writer):
    format = "csv"
    extensions = (".csv", ".txt")
    dialect: ClassVar[dict[str, Any]] = {"delimiter": ","}

    def __init__(self, stream: Any, columns: Sequence[Column], separator: str) -> None:
        super().__init__(stream, columns, separator)
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\n", **self.dialect)
        # The csv module writes text, integers and None (as "") itself; only the
        # other columns need converting, in place.
        self.converted = [
            (i, self.converter(c))
            for i, c in enumerate(self.columns)
            if not written_as_is(c)
        ]

    def converter(self, column: Column) -> Callable[[Any], str]:
        if column.many:
            join = self.separator.join
            return lambda keys: join(map(as_text, keys))
        return as_text

    def header(self) -> None:
        self.csv.writerow([c.header for c in self.columns])
        self.flush()

    def write(self, rows: list[list[Any]]) -> None:
        for i, convert in self.converted:
            for row in rows:
                row[i] = convert(row[i])
        self.csv.writerows(rows)
        self.flush()

    def flush(self) -> None:
        self.stream.write(self.buffer.getvalue())
        self.buffer.seek(0)
        self.buffer.truncate()


class TSVWriter(CSVWriter):
    format = "tsv"
    extensions = (".tsv", ".tab")
    dialect = {"delimiter": "\t"}


class JSONLinesWriter(Writer):
    format = "jsonl"
    extensions = (".jsonl", ".ndjson")
    start, between, end = "", "\n", "\n"

    def __init__(self, stream: Any, columns: Sequence[Column], separator: str) -> None:
        super().__init__(stream, columns, separator)
        self.keys = [_encode_str(c.header) + ": " for c in self.columns]
        self.first = True

    def header(self) -> None:
        self.stream.write(self.start)

    def write(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        keys = self.keys
        objects = [
            "{"
            + ", ".join([k + as_json(v) for k, v in zip(keys, row, strict=True)])
            + "}"
            for row in rows
        ]
        lead = "" if self.first else self.between
        self.stream.write(lead + self.between.join(objects))
        self.first = False

    def close(self) -> None:
        self.stream.write(self.end if not self.first or self.start else "")


class JSONWriter(JSONLinesWriter):
    format = "json"
    extensions = (".json",)
    start, between, end = "[\n", ",\n", "\n]\n"


class XLSXWriter(Writer):
    """An Excel workbook, written in openpyxl's write-only (streaming) mode.

    Numbers and booleans are typed cells; decimals, dates and times are text, so
    they come back exactly (a spreadsheet number is a float).
    """

    format = "xlsx"
    extensions = (".xlsx",)
    binary = True

    def __init__(self, stream: Any, columns: Sequence[Column], separator: str) -> None:
        super().__init__(stream, columns, separator)
        try:
            from openpyxl import Workbook
            from openpyxl.cell import WriteOnlyCell
        except ImportError:
            raise ImportError(
                "writing .xlsx files needs openpyxl: pip install openpyxl"
            ) from None
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet()
        self.cell_class = WriteOnlyCell

    def header(self) -> None:
        self.sheet.append([self.text(c.header) for c in self.columns])

    def write(self, rows: list[list[Any]]) -> None:
        for row in rows:
            self.sheet.append(
                [
                    self.text(self.separator.join(map(as_text, v)))
                    if c.many
                    else self.typed(v)
                    for c, v in zip(self.columns, row, strict=True)
                ]
            )

    def typed(self, value: Any) -> Any:
        cls = value.__class__
        if value is None or cls is bool or cls is int or cls is float:
            return value
        return self.text(as_text(value))

    def text(self, value: str) -> Any:
        if value.startswith("="):  # text, not a formula
            cell = self.cell_class(self.sheet, value)
            cell.data_type = "s"
            return cell
        return value

    def close(self) -> None:
        self.workbook.save(self.stream)


WRITERS: dict[str, type[Writer]] = {
    w.format: w for w in (CSVWriter, TSVWriter, JSONWriter, JSONLinesWriter, XLSXWriter)
}


def format_of(path: str | None, given: str | None) -> str:
    """Return the format named by --format, else by the extension, else csv."""
    if given:
        name = given.lower().lstrip(".")
        if name not in WRITERS:
            raise ValueError(
                f"unknown format {given!r}; choose from {', '.join(WRITERS)}"
            )
        return name
    if not path or path == "-":
        return "csv"
    base, extension = os.path.splitext(path.lower())
    if extension in COMPRESSORS:
        extension = os.path.splitext(base)[1]
    for writer in WRITERS.values():
        if extension in writer.extensions:
            return writer.format
    raise ValueError(
        f"cannot tell the format of {path}; use --format with one of: "
        + ", ".join(WRITERS)
    )


def open_output(path: str, binary: bool) -> IO[Any]:
    """Open a file for writing, compressed as its extension says."""
    extension = os.path.splitext(path.lower())[1]
    compress = COMPRESSORS.get(extension)
    raw: IO[bytes] = compress(path) if compress else open(path, "wb")  # noqa: SIM115
    if binary:
        return raw
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")
