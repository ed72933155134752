"""The reader interface: step 2 of the pipeline, a Source's records as Rows.

    sources.py  ->  readers/ (Reader yields Row)  ->  pipeline.py

A Reader reads one Source lazily, holding about one record in memory. A fault that
ends the file is a SourceError; a fault in one record that lets the file go on is a
Row with `error` and `code` set, for the pipeline to report with the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from importers.errors import SourceError
from importers.sources import Source


class Row(NamedTuple):
    """One record of a file, where it starts, and what is wrong with it, if anything."""

    line: int  # 1-based physical line where the record starts
    cells: list[str] | dict[str, Any]  # CSV: aligned with Reader.columns; JSON: object
    index: Any = None  # JSON array: 0-based item; a frame, Parquet: the index label
    error: str | None = None  # this record is unreadable, but the file goes on
    code: str | None = None  # machine-readable code of `error`


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file, and the limits that keep memory bounded."""

    delimiter: str | None = None  # CSV: None to sniff it from the header line
    field_size_limit: int = 32 << 20  # characters in one cell or string value
    record_size_limit: int = 64 << 20  # characters in one CSV record, JSON item, line
    file_size_limit: int = 4 << 30  # bytes decompressed, or copied to be seekable


DEFAULT_OPTIONS = ReadOptions()


class Reader:
    """Base class of the readers: one file format, read lazily into Rows."""

    format: ClassVar[str]  # "csv"
    extensions: ClassVar[tuple[str, ...]] = ()  # (".csv",), lower case
    binary: ClassVar[bool] = False  # True: reads source.binary(); else source.text()
    columns: list[str] | None = None  # the header cells, as in the file

    def __init__(self, source: Source, options: ReadOptions = DEFAULT_OPTIONS) -> None:
        self.source = source
        self.options = options

    def __iter__(self) -> Iterator[Row]:
        raise NotImplementedError

    def error(self, message: str, *, line: int | None = None, code: str) -> SourceError:
        """Return a SourceError about this reader's file."""
        return SourceError(message, name=self.source.name, line=line, code=code)
