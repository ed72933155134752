"""Excel workbooks: step 2 of the pipeline, the first sheet of an .xlsx as Rows.

    sources.py  ->  readers/xlsx.py  ->  pipeline.py

A plug-in reader, the README's worked example: enable it with
`IMPORTERS_READERS = ["importers.readers.xlsx.XLSXReader"]`. openpyxl (the `xlsx`
extra) streams the sheet in read-only mode; it is imported only when a workbook is
read, so a project without it fails then, saying what to install. The first
non-blank row is the header; a Row's line is its spreadsheet row number. Cells come
as openpyxl gives them (text, int, float, bool, None), dates and times as ISO 8601
text; formulas as the value Excel last calculated.

A workbook is a zip of XML, so a small file can unpack to gigabytes: before openpyxl
sees it, the unpacked size is held to the file size limit and the XML is scanned
(in C, by splitting at "<") for a text or a sheet row too long for the field and
record limits, so such a cell is refused before it is built in memory. With
defusedxml installed (the xlsx extra) openpyxl refuses entity declarations
(billion laughs, XXE); malformed XML is a SourceError, never a traceback.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from importers.errors import SourceError
from importers.readers.base import DEFAULT_OPTIONS, Reader, ReadOptions, Row
from importers.sources import Source, too_big

INSTALL = (
    "reading .xlsx files needs openpyxl (the 'xlsx' extra): "
    "pip install openpyxl defusedxml"
)
SPOOL = 16 << 20  # bytes of a non-seekable stream (.xlsx.gz, stdin) kept in memory
SCAN = 1 << 20  # bytes of XML scanned at a time
MAX_COLUMNS = 16384  # Excel's limit: a row's XML may hold this many empty cells
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b")  # a sheet row, any prefix
# What openpyxl raises on a mangled workbook: a zip it cannot read, XML it cannot
# parse (defusedxml's refusals are ValueErrors), a part it cannot find or make sense of.
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ParseError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
)


class XLSXReader(Reader):
    """The first worksheet of an Excel 2007+ workbook, one Row per sheet row."""

    format = "xlsx"
    extensions = (".xlsx", ".xlsm")
    binary = True

    def __init__(self, source: Source, options: ReadOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(source, options)
        try:
            import openpyxl
            from openpyxl.utils.exceptions import InvalidFileException as InvalidFile
        except ImportError:
            raise self.error(INSTALL, code="reader_unavailable") from None
        self._file = seekable(source.binary(), options.file_size_limit, source.name)
        self._workbook = None
        try:
            self._check_parts()
            self._workbook = openpyxl.load_workbook(
                self._file, read_only=True, data_only=True
            )
            sheet = self._workbook.worksheets[0]
            sheet.reset_dimensions()  # some writers record a wrong size: read all
            self._rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            line, header = next(
                ((n, trim(c)) for n, c in self._rows if trim(c)), (0, [])
            )
        except SourceError:
            self.close()
            raise
        except (*_BROKEN, InvalidFile) as exc:
            self.close()
            raise self._broken(exc) from None
        if not header:
            self.close()
            raise self.error("the first sheet is empty", code="empty")
        self._check_sizes(header, line)
        self.columns = ["" if cell is None else str(plain(cell)) for cell in header]
        self._check_header(line)

    def __iter__(self) -> Iterator[Row]:
        width = len(self.columns or ())
        rows = self._rows
        try:
            while True:
                try:
                    line, cells = next(rows)
                except StopIteration:
                    return
                except _BROKEN as exc:
                    raise self._broken(exc) from None
                values = [plain(cell) for cell in trim(cells)]
                if not values:
                    continue  # a blank row
                self._check_sizes(values, line)
                if len(values) > width:
                    message = f"row has {len(values)} cells, header has {width}"
                    yield Row(line, values, error=message, code="ragged")
                else:
                    yield Row(line, values + [None] * (width - len(values)))
        finally:
            self.close()

    def close(self) -> None:
        """Close the workbook, and the copy of the stream it may have needed."""
        if self._workbook is not None:
            self._workbook.close()
        if self._file is not self.source.binary():
            self._file.close()

    def _check_parts(self) -> None:
        """Refuse a workbook that unpacks to more than the file size limit, or whose
        XML holds a text or a sheet row surely over the field or record limit: a
        character takes at most 4 bytes of XML (more only as an entity), a row at
        most MAX_COLUMNS cells of markup more. Reads the parts once, in C."""
        options = self.options
        with zipfile.ZipFile(self._file) as archive:
            parts = archive.infolist()
            if sum(part.file_size for part in parts) > options.file_size_limit:
                raise too_big(self.source.name, options.file_size_limit, "unpacks to")
            for part in parts:
                if not part.filename.endswith(".xml"):
                    continue
                text = 4 * options.field_size_limit + 64
                row = 4 * options.record_size_limit + 256 * MAX_COLUMNS
                if "worksheets/" not in part.filename:
                    row = 0
                with archive.open(part) as stream:
                    if longest := scan(stream, text, row):
                        self._too_large(*longest)
        self._file.seek(0)

    def _check_sizes(self, values: list[Any], line: int) -> None:
        """Fail on a row over the record size limit, or a cell over the field one."""
        options = self.options
        size = sum(len(value) for value in values if type(value) is str)
        if size > options.field_size_limit:
            longest = max(len(value) for value in values if type(value) is str)
            if longest > options.field_size_limit:
                self._too_large("field", line)
            if size > options.record_size_limit:
                self._too_large("record", line)

    def _too_large(self, what: str, line: int | None = None) -> None:
        limit = getattr(self.options, f"{what}_size_limit")
        message = "a cell" if what == "field" else "a row"
        message += f" is longer than {limit:,} characters (the {what} size limit,"
        message += f" --max-{what}-size)"
        raise self.error(message, line=line, code="too_large")

    def _broken(self, exc: BaseException) -> SourceError:
        """Say in one line why openpyxl could not read the workbook."""
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        why = why or type(exc).__name__
        name = type(exc).__name__
        if name in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"):
            message = "the workbook's XML declares entities, which are refused"
            message += " (a billion-laughs or XXE attack?)"
        elif isinstance(exc, ParseError):
            message = f"the workbook's XML is malformed ({why}); is the file truncated?"
        elif isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
            message = f"not an Excel .xlsx workbook, or a truncated one ({why})"
        else:
            message = f"not an Excel .xlsx workbook ({why})"
        return self.error(message[:300], code="invalid_xlsx")

    def _check_header(self, line: int) -> None:
        seen: dict[str, int] = {}
        for position, name in enumerate(self.columns or (), 1):
            key = name.strip().casefold()
            if key in seen:
                message = f"columns {seen[key]} and {position} are both named {name!r}"
                raise self.error(message, line=line, code="duplicate_column")
            if key:
                seen[key] = position


def trim(cells: tuple[Any, ...]) -> list[Any]:
    """Return a row's cells without the empty ones at its end."""
    end = len(cells)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    return list(cells[:end])


def plain(cell: Any) -> Any:
    """Return a cell as the pipeline takes it: dates and times as ISO 8601 text."""
    if isinstance(cell, datetime):  # a date cell is a datetime at midnight
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat()
    if isinstance(cell, (date, time)):
        return cell.isoformat()
    if isinstance(cell, timedelta):
        return str(cell)
    return cell


def seekable(stream: IO[bytes], limit: int, name: str = "") -> IO[bytes]:
    """Return `stream`, or a spooled copy of it of at most `limit` bytes: a zip
    file is read by seeking."""
    if getattr(stream, "seekable", lambda: False)():
        return stream
    # Closed with the reader (XLSXReader.close), not here.
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115
    try:
        size = 0
        while data := stream.read(min(SCAN, limit + 1 - size)):
            size += len(data)
            if size > limit:
                raise too_big(name, limit, "is")
            copy.write(data)
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy


def scan(stream: IO[bytes], text: int, row: int) -> tuple[str, int | None] | None:
    """Return ("field", None) if `stream` (XML) holds a run of more than `text` bytes
    without a "<", ("record", None) if a sheet row of more than `row` bytes (0: do
    not look for rows); else None."""
    run = between = 0  # bytes since the last "<", since the last row began
    while chunk := stream.read(SCAN):
        longest, run = _gaps(chunk.split(b"<"), run)
        if longest > text:
            return ("field", None)
        if row:
            longest, between = _gaps(_ROW.split(chunk), between)
            if longest > row:
                return ("record", None)
    return None


def _gaps(parts: list[bytes], carry: int) -> tuple[int, int]:
    """Return the longest gap between separators (`parts` of a chunk split at them,
    `carry` bytes before it since the last one), and the bytes after the last one."""
    if len(parts) == 1:
        return carry + len(parts[0]), carry + len(parts[0])
    middle = max(map(len, parts[1:-1]), default=0)
    return max(carry + len(parts[0]), middle, len(parts[-1])), len(parts[-1])
