"""Excel workbooks: step 2 of the pipeline, the first sheet of an .xlsx as Rows.

    sources.py  ->  readers/xlsx.py  ->  pipeline.py

A plug-in reader, the README's worked example: enable it with
`IMPORTERS_READERS = ["importers.readers.xlsx.XLSXReader"]`. openpyxl (the `xlsx`
extra) streams the sheet in read-only mode; it is imported only when a workbook is
read, so a project without it fails then, saying what to install. The first
non-blank row is the header; a Row's line is its spreadsheet row number. Cells come
as openpyxl gives them (text, int, float, bool, None), dates and times as ISO 8601
text; formulas as the value Excel last calculated.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from importers.readers.base import DEFAULT_OPTIONS, Reader, ReadOptions, Row
from importers.sources import Source

INSTALL = "reading .xlsx files needs openpyxl: pip install django-importers[xlsx]"
SPOOL = 16 << 20  # bytes of a non-seekable stream (.xlsx.gz, stdin) kept in memory


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
        self._file = seekable(source.binary())
        try:
            self._workbook = openpyxl.load_workbook(
                self._file, read_only=True, data_only=True
            )
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFile) as exc:
            message = f"not an Excel .xlsx workbook ({exc})"
            raise self.error(message, code="invalid_xlsx") from None
        sheet = self._workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong size; read every row
        self._rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        line, header = next(((n, trim(c)) for n, c in self._rows if trim(c)), (0, []))
        if not header:
            self.close()
            raise self.error("the first sheet is empty", code="empty")
        self.columns = ["" if cell is None else str(plain(cell)) for cell in header]
        self._check_header(line)

    def __iter__(self) -> Iterator[Row]:
        width = len(self.columns or ())
        try:
            for line, cells in self._rows:
                values = [plain(cell) for cell in trim(cells)]
                if not values:
                    continue  # a blank row
                if len(values) > width:
                    message = f"row has {len(values)} cells, header has {width}"
                    yield Row(line, values, error=message, code="ragged")
                else:
                    yield Row(line, values + [None] * (width - len(values)))
        finally:
            self.close()

    def close(self) -> None:
        """Close the workbook, and the copy of the stream it may have needed."""
        self._workbook.close()
        if self._file is not self.source.binary():
            self._file.close()

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


def seekable(stream: IO[bytes]) -> IO[bytes]:
    """Return `stream`, or a spooled copy of it: a zip file is read by seeking."""
    if getattr(stream, "seekable", lambda: False)():
        return stream
    # Closed with the reader (XLSXReader.close), not here.
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115
    shutil.copyfileobj(stream, copy)
    copy.seek(0)
    return copy
