"""Parquet files: step 2 of the pipeline, the rows of a .parquet file as Rows.

    sources.py  ->  readers/parquet.py  ->  pipeline.py

pyarrow (the `parquet` extra) streams the file a batch at a time
(`ParquetFile.iter_batches`), so memory is bounded by one row group and one
batch. Typed columns reach the converters as typed values, never as text:
integers, floats (NaN is missing), booleans, decimal128 as exact Decimals, dates,
timestamps (aware, in UTC, when the column has a time zone; to microseconds),
lists (many-to-many keys). A Row's line is its 1-based position in the file and
its index the pandas index label the file records (to_parquet), else the
0-based position. pyarrow is imported only when a file is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from importers.frames import from_micros, narrow_float
from importers.readers.base import DEFAULT_OPTIONS, Reader, ReadOptions, Row
from importers.readers.xlsx import seekable
from importers.sources import Source

INSTALL = (
    "reading .parquet files needs pyarrow and pandas (the 'parquet' extra): "
    "pip install pyarrow pandas"
)
BATCH_ROWS = 4096
SCALES = {"s": (1_000_000, 1), "ms": (1000, 1), "us": (1, 1), "ns": (1, 1000)}


class ParquetReader(Reader):
    """The rows of an Apache Parquet file, one Row per row, a batch at a time."""

    format = "parquet"
    extensions = (".parquet",)
    binary = True

    def __init__(self, source: Source, options: ReadOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(source, options)
        try:
            import pyarrow
            import pyarrow.parquet
        except ImportError:
            raise self.error(INSTALL, code="reader_unavailable") from None
        self._failures = (pyarrow.ArrowException, OSError, ValueError)
        self._file = seekable(source.binary(), options.file_size_limit, source.name)
        try:
            self._parquet = pyarrow.parquet.ParquetFile(self._file)
            schema = self._parquet.schema_arrow
        except self._failures as exc:
            self.close()
            raise self.error(
                f"not a Parquet file ({first_line(exc)})", code="invalid_parquet"
            ) from None
        self._index, self._range = index_columns(schema.pandas_metadata)
        self._data = [
            n for n, name in enumerate(schema.names) if name not in self._index
        ]
        self._labels = [schema.names.index(name) for name in self._index]
        self.columns = [schema.names[n] for n in self._data]

    def __iter__(self) -> Iterator[Row]:
        read = 0
        try:
            batches = self._parquet.iter_batches(batch_size=BATCH_ROWS)
            while True:
                try:
                    batch = next(batches, None)
                except self._failures as exc:
                    message = f"cannot read the Parquet file ({first_line(exc)})"
                    line = read + 1
                    raise self.error(
                        message, line=line, code="invalid_parquet"
                    ) from None
                if batch is None:
                    return
                columns = [python_values(batch.column(n)) for n in self._data]
                rows = zip(*columns, strict=True) if columns else [()] * batch.num_rows
                for offset, (label, cells) in enumerate(
                    zip(self.labels(batch, read), rows, strict=True)
                ):
                    yield Row(read + offset + 1, list(cells), index=label)
                read += batch.num_rows
        finally:
            self.close()

    def labels(self, batch: Any, read: int) -> list[Any]:
        """Return the index labels of a batch whose first row is row `read`."""
        if self._labels:
            parts = [python_values(batch.column(n)) for n in self._labels]
            if len(parts) == 1:
                return parts[0]
            return list(zip(*parts, strict=True))
        start, step = self._range
        return [start + step * n for n in range(read, read + batch.num_rows)]

    def close(self) -> None:
        """Close the copy of the stream the file may have needed."""
        if self._file is not self.source.binary():
            self._file.close()


def index_columns(metadata: dict | None) -> tuple[list[str], tuple[int, int]]:
    """Return the columns that hold a pandas index, or the (start, step) of its range.

    pandas' to_parquet records its index in the file's metadata: as columns, or,
    for a RangeIndex, as its start and step. Without it a row's index is its
    0-based position.
    """
    entries = (metadata or {}).get("index_columns") or []
    names = [entry for entry in entries if isinstance(entry, str)]
    ranges = [entry for entry in entries if isinstance(entry, dict)]
    if not names and len(ranges) == 1 and ranges[0].get("kind") == "range":
        return [], (int(ranges[0].get("start", 0)), int(ranges[0].get("step", 1)))
    return names, (0, 1)


def python_values(column: Any) -> list[Any]:
    """Return a column of a batch as Python values of their own type; null is None."""
    import pyarrow

    kind = column.type
    types = pyarrow.types
    if types.is_dictionary(kind):  # a pandas categorical
        return python_values(column.dictionary_decode())
    if types.is_timestamp(kind):
        return moments(column, aware=kind.tz is not None)
    if types.is_decimal(kind):
        # Arrow writes a decimal's exact digits; Decimal() reads them three times
        # faster than to_pylist() builds them.
        texts = column.cast(pyarrow.string()).to_pylist()
        return [None if text is None else Decimal(text) for text in texts]
    if types.is_duration(kind) and kind.unit == "ns":
        column = column.cast(pyarrow.duration("us"), safe=False)
    values = column.to_pylist()
    if types.is_floating(kind):
        if kind.bit_width < 64:
            return [narrow_float(v, kind.bit_width // 8) for v in values]
        return [None if v != v else v for v in values]  # NaN (and None) is missing
    return values


def moments(column: Any, *, aware: bool) -> list[datetime | str | None]:
    """Return timestamps as datetimes: in UTC when the column has a time zone.

    Python's datetime holds microseconds, as the database does: nanoseconds are
    dropped. Built from microseconds since the epoch, seven times faster than
    to_pylist() (which converts each value to the column's zone).
    """
    import pyarrow

    times, per = SCALES[column.type.unit]
    numbers = column.cast(pyarrow.int64()).to_pylist()
    # Floor division: 1969-12-31 23:59:59.999999999 keeps its .999999.
    return from_micros(
        [None if n is None else n * times // per for n in numbers], aware
    )


def first_line(exc: Exception) -> str:
    """Return the first line of pyarrow's message, which can run to several."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
