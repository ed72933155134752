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
from collections import deque
from collections.abc import Iterator
from itertools import chain
from typing import ClassVar

from importers.errors import SourceError
from importers.readers.base import DEFAULT_OPTIONS, Reader, ReadOptions, Row
from importers.sources import Source, TextStream, line_ends

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
        text = source.text()
        self._end = 0  # the line where the last record read ends
        self._merged = 0  # lines handed to the csv module (a merged run counts one)
        self._merges: deque[tuple[int, int]] = deque()  # (_merged index, lines saved)
        self._saved = 0  # lines saved by the merged runs the csv module has read
        blocks = text.blocks(max_line=options.record_size_limit, merge_blank=True)
        lines = chain.from_iterable(self._feed(text, blocks))
        self._skipped = 0  # blank lines before the header
        self._base = 0  # lines handed out before the header (a merged run is one)
        for first in lines:
            if first.strip():
                break
            self._skipped += line_ends(first) or 1
            self._base += 1
            self._end = self._skipped  # not a record: _feed() must not count it
        else:
            raise self.error("the file is empty", code="empty")
        self._offset(0)  # the runs merged before the header are in _skipped
        self._saved = 0
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
        self._end = self._offset(self._records.line_num) + self._records.line_num
        self._check_header(self.columns)

    def __iter__(self) -> Iterator[Row]:
        records, width = self._records, len(self.columns or ())
        offset = self._offset(records.line_num)
        limit, set_limit = self.options.field_size_limit, csv.field_size_limit
        last = self._end  # the last line read
        new = tuple.__new__  # Row(...) runs Python code, and this is the hot loop
        previous = set_limit(limit)
        try:
            for cells in records:
                set_limit(limit)  # for the next record: the limit is process-wide
                line, last = last + 1, offset + records.line_num
                if len(cells) == width and last == line:
                    self._end = last  # _feed() needs it
                    yield new(Row, (line, cells, None, None, None))
                    continue
                # A blank line, a record of several lines, or a ragged one; blank
                # lines merged meanwhile are only ever read in such records.
                offset = self._offset(records.line_num)
                last = self._end = offset + records.line_num
                if cells:  # a blank line has none
                    yield self._odd_row(line, last, cells, width)
        except csv.Error as exc:
            raise self._csv_error(exc, self._end + 1) from None
        finally:
            set_limit(previous)

    def _feed(
        self, text: TextStream, blocks: Iterator[list[str]]
    ) -> Iterator[list[str]]:
        """Hand the csv module the lines, a block at a time, failing once the
        record being read is surely over the record size limit: the csv module
        holds a record whole, so this bounds memory by the limit, not the file.
        A run of blank lines comes as one line (the csv module reads it the same:
        one empty record, or the same characters in a quoted field); note where."""
        limit = self.options.record_size_limit
        held: deque[tuple[int, int]] = deque()  # (first line, characters to its end)
        total = 0  # characters handed out
        lines = 0  # physical lines handed out
        for block in blocks:
            start = self._end + 1  # all lines so far are read: the record began here
            while len(held) > 1 and held[1][0] <= start:
                held.popleft()
            if held and total - held[0][1] > limit:
                message = f"the record is longer than {limit:,} characters (the record"
                message += " size limit, --max-record-size); is a quote left open?"
                raise self.error(message, line=start, code="too_large")
            total += sum(map(len, block))
            held.append((lines + 1, total))
            if text.line_count - lines != len(block):  # runs of blank lines merged
                self._merges.extend(
                    (self._merged + index, saved)
                    for index, line in enumerate(block, 1)
                    if line[0] in "\r\n" and (saved := line_ends(line) - 1)
                )
            lines = text.line_count
            self._merged += len(block)
            yield block
            del block  # read: not to be held while the next one is split

    def _offset(self, line_num: int) -> int:
        """Return what to add to the csv module's line_num for a physical line
        number: the blank lines before the header, and the lines saved by the
        merged runs it has read so far."""
        merges, read = self._merges, self._base + line_num
        while merges and merges[0][0] <= read:
            self._saved += merges.popleft()[1]
        return self._skipped + self._saved

    def _odd_row(self, line: int, last: int, cells: list[str], width: int) -> Row:
        """Check a record that spans several lines or is ragged."""
        limit = self.options.record_size_limit
        if last != line and sum(map(len, cells)) > limit:
            message = f"the record is longer than {limit:,} characters (the record"
            message += " size limit, --max-record-size)"
            raise self.error(message, line=line, code="too_large")
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
        stop = self._offset(self._records.line_num) + self._records.line_num
        if message.startswith("field larger than field limit"):
            limit = self.options.field_size_limit
            message = f"a field is longer than {limit:,} characters (the field size"
            message += " limit, --max-field-size); is a quote left open?"
            return self.error(message, line=start, code="too_large")
        if message == "unexpected end of data":
            message = "unbalanced quote: a quoted field of this record is never closed"
            if stop > start:
                message += f" (the file ends on line {stop})"
            return self.error(message, line=start, code="unbalanced_quote")
        if "expected after" in message and stop > start:
            # A quote opened early swallowed the lines up to the next quote.
            message = (
                f"a quoted field of the record starting on line {start} runs on to"
                f" line {stop}, where text follows its closing quote ({message});"
                f" is a quote on line {start} left open or stray?"
            )
            return self.error(message, line=start, code="bad_quote")
        if "expected after" in message:
            message = f"text after a closing quote ({message}); is a quote stray?"
            return self.error(message, line=stop, code="bad_quote")
        return self.error(message, line=stop, code="invalid_csv")


class TSVReader(CSVReader):
    """Tab-separated values."""

    format = "tsv"
    extensions = (".tsv", ".tab")
    delimiter = "\t"


def sniff(line: str) -> str:
    """Return the delimiter found most often outside quotes in `line`, else ","."""
    bare = _QUOTED.sub("", line)
    return max(DELIMITERS, key=bare.count)
