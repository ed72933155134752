"""CSV and TSV readers: step 2 of the pipeline, a Source's text as Rows of cells.

    sources.py  ->  readers/csv.py  ->  pipeline.py

Python's csv module (C) does the parsing, so quoted fields may hold delimiters,
quotes and line breaks. Quoting is strict: a quote left open is an error naming its
line, not a field that swallows the rest of the file. The delimiter is sniffed from
the header line unless given; memory stays within ReadOptions' limits.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import chain
from typing import ClassVar

from importers.errors import SourceError
from importers.readers.base import DEFAULT_OPTIONS, Reader, ReadOptions, Row
from importers.sources import Source

DELIMITERS = (",", ";", "\t", "|")  # sniffed in this order of preference
_QUOTED = re.compile(r'"[^"]*"')


class CSVReader(Reader):
    """Comma-separated values; the delimiter is sniffed from the header line."""

    format = "csv"
    extensions = (".csv", ".txt")
    delimiter: ClassVar[str | None] = None  # None: sniff it

    def __init__(self, source: Source, options: ReadOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(source, options)
        delimiter = self._delimiter(options.delimiter)
        lines = source.text().lines(max_line=options.record_size_limit)
        self._skipped = 0  # blank lines before the header
        for first in lines:
            if first.strip():
                break
            self._skipped += 1
        else:
            raise self.error("the file is empty", code="empty")
        records = chain([first], lines)
        delimiter = delimiter or sniff(first)
        self._records = csv.reader(records, delimiter=delimiter, strict=True)
        previous = csv.field_size_limit(options.field_size_limit)
        try:
            self.columns = next(self._records)
        except csv.Error as exc:
            raise self._csv_error(exc, self._skipped + 1) from None
        finally:
            csv.field_size_limit(previous)
        self._check_header(self.columns)

    def __iter__(self) -> Iterator[Row]:
        records, width, offset = self._records, len(self.columns or ()), self._skipped
        limit, set_limit = self.options.field_size_limit, csv.field_size_limit
        last = offset + records.line_num  # the last line read
        new = tuple.__new__  # Row(...) runs Python code, and this is the hot loop
        previous = set_limit(limit)
        try:
            for cells in records:
                set_limit(limit)  # for the next record: the limit is process-wide
                line, last = last + 1, offset + records.line_num
                if len(cells) == width and last == line:
                    yield new(Row, (line, cells, None, None, None))
                elif cells:  # a blank line has none
                    yield self._odd_row(line, last, cells, width)
        except csv.Error as exc:
            raise self._csv_error(exc, last + 1) from None
        finally:
            set_limit(previous)

    def _odd_row(self, line: int, last: int, cells: list[str], width: int) -> Row:
        """Check a record that spans several lines or is ragged."""
        limit = self.options.record_size_limit
        if last != line and sum(map(len, cells)) > limit:
            message = f"the record is longer than {limit:,} characters (the record"
            raise self.error(message + " size limit)", line=line, code="too_large")
        if len(cells) != width:
            message = f"row has {len(cells)} cells, header has {width}"
            return Row(line, cells, error=message, code="ragged")
        return Row(line, cells)

    def _delimiter(self, given: str | None) -> str | None:
        """Return the delimiter asked for ("\\t" and "tab" mean a tab), else None."""
        delimiter = {"\\t": "\t", "tab": "\t"}.get(given or "", given) or self.delimiter
        if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
            message = f"the delimiter must be one character, not {delimiter!r}"
            raise self.error(message, code="bad_delimiter")
        return delimiter

    def _check_header(self, columns: list[str]) -> None:
        seen: dict[str, int] = {}
        for position, name in enumerate(columns, 1):
            key = name.strip().casefold()
            if key in seen:
                message = f"columns {seen[key]} and {position} are both named "
                message += repr(name.strip())
                line = self._skipped + 1
                raise self.error(message, line=line, code="duplicate_column")
            if key:
                seen[key] = position

    def _csv_error(self, exc: csv.Error, start: int) -> SourceError:
        """Translate a csv.Error in the record starting on line `start`."""
        message = str(exc)
        if message.startswith("field larger than field limit"):
            limit = self.options.field_size_limit
            message = f"a field is longer than {limit:,} characters (the field size"
            message += " limit); is a quote left open?"
            return self.error(message, line=start, code="too_large")
        if message == "unexpected end of data":
            message = "unbalanced quote: a quoted field of this record is never closed"
            return self.error(message, line=start, code="unbalanced_quote")
        line = self._skipped + self._records.line_num  # where the parser stopped
        if "expected after" in message:
            message = f"text after a closing quote ({message}); is a quote stray?"
            return self.error(message, line=line, code="bad_quote")
        return self.error(message, line=line, code="invalid_csv")


class TSVReader(CSVReader):
    """Tab-separated values."""

    format = "tsv"
    extensions = (".tsv", ".tab")
    delimiter = "\t"


def sniff(line: str) -> str:
    """Return the delimiter found most often outside quotes in `line`, else ","."""
    bare = _QUOTED.sub("", line)
    return max(DELIMITERS, key=bare.count)
