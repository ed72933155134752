"""DataFrames in: step 2 of the pipeline for a pandas DataFrame, its rows as Rows.

    run_import([(Importer, frame)])  ->  frames.py (FrameReader)  ->  pipeline.py

A frame is read as a file is: positional Rows under the frame's column names, so
mapping, conversion and errors are the row path's own. pandas' values become what
a file's cells would have been: NaN, None, NaT and pd.NA are missing (as an empty
cell), numpy and pandas scalars become Python ones, a float32 keeps its shortest
text (2.35, not 2.3499999). A Row's line is its 1-based position, its index the
frame's index label, so errors name both. The frame is read a slice at a time,
never copied whole. pandas is imported only when a frame is read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from importers.readers.base import Row

BATCH_ROWS = 1000  # rows converted at a time: a slice of the frame, never a copy
DEFAULT_NAME = "DataFrame"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAT = -(2**63)  # NaT as datetime64's int64
INSTALL = "importing a DataFrame needs pandas (the 'pandas' extra): pip install pandas"


def is_frame(value: Any) -> bool:
    """Return whether `value` is a pandas DataFrame, without importing pandas."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def frame_reader(job: Any) -> FrameReader | None:
    """Return a reader for a job's frame (bare, or as Records' rows), else None."""
    if is_frame(job):
        return FrameReader(job)
    rows = getattr(job, "rows", None)
    if is_frame(rows):
        return FrameReader(rows, name=getattr(job, "name", DEFAULT_NAME))
    return None


class FrameReader:
    """The rows of a DataFrame as the pipeline reads a file's: Rows, lazily."""

    def __init__(
        self, frame: Any, *, name: str = DEFAULT_NAME, batch_size: int = BATCH_ROWS
    ) -> None:
        self.frame = frame
        self.name = name
        self.batch_size = batch_size
        self.columns = [str(column) for column in frame.columns]
        self.cell = cell_converter()
        self.strings = sys.modules["pandas"].StringDtype

    def __iter__(self) -> Iterator[Row]:
        frame, size = self.frame, self.batch_size
        width = len(self.columns)
        for start in range(0, len(frame), size):
            chunk = frame.iloc[start : start + size]  # a view, not a copy
            labels = self.values(chunk.index.to_series(), label=True)
            columns = [self.values(chunk.iloc[:, j]) for j in range(width)]
            rows = zip(*columns, strict=True) if width else [()] * len(labels)
            for line, index, cells in zip(
                range(start + 1, start + 1 + len(labels)), labels, rows, strict=True
            ):
                yield Row(line, list(cells), index=index)

    def values(self, series: Any, *, label: bool = False) -> list[Any]:
        """Return one column of a slice as Python values, missing ones as None."""
        dtype = series.dtype
        kind = getattr(dtype, "kind", "O")
        numpy_dtype = type(dtype).__module__ == "numpy"
        if kind in "iub" and numpy_dtype:
            return series.tolist()  # already Python ints and bools, never missing
        if label:
            return [plain_label(value, self.cell) for value in series.tolist()]
        if isinstance(dtype, self.strings):  # "string", and pandas 3's "str"
            return [v if v.__class__ is str else None for v in series.tolist()]
        if kind == "f" and dtype.itemsize < 8:
            return [narrow_float(v, dtype.itemsize) for v in series.tolist()]
        if kind == "f" and numpy_dtype:
            return [None if v != v else v for v in series.tolist()]
        if kind == "M":
            return datetimes(series)
        cell = self.cell
        return [cell(value) for value in series.tolist()]


def narrow_float(value: Any, itemsize: int) -> float | None:
    """Return a float32 (or float16) as the float its shortest text reads as."""
    if not isinstance(value, float) or value != value:
        return None  # NaN, or pd.NA of a masked Float32 column
    import numpy

    return float(str(numpy.dtype(f"f{itemsize}").type(value)))


def datetimes(series: Any) -> list[datetime | None]:
    """Return a datetime64 column as datetimes (aware ones in UTC), to microseconds.

    Built from microseconds since the epoch: Timestamp.to_pydatetime() per value
    costs five times more.
    """
    aware = getattr(series.dtype, "tz", None) is not None
    if aware:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    numbers = series.to_numpy(dtype="datetime64[us]").view("int64").tolist()
    return from_micros([None if n == NAT else n for n in numbers], aware)


def from_micros(micros: list[int | None], aware: bool) -> list[Any]:
    """Return microseconds since the epoch as datetimes, aware ones in UTC.

    A value past year 9999 stays text, for the converter to reject.
    """
    epoch = EPOCH if aware else EPOCH.replace(tzinfo=None)
    values: list[Any] = []
    for number in micros:
        try:
            values.append(None if number is None else epoch + timedelta(0, 0, number))
        except OverflowError:
            values.append(f"{number} microseconds since 1970-01-01")
    return values


def plain_label(value: Any, cell: Callable[[Any], Any]) -> Any:
    """Return an index label as a report shows it: a plain, JSON-ready value."""
    if isinstance(value, tuple):
        return tuple(plain_label(part, cell) for part in value)
    value = cell(value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def cell_converter() -> Callable[[Any], Any]:
    """Return the function that turns one pandas value into a file's cell value."""
    try:
        import numpy
        import pandas
    except ImportError:
        raise ImportError(INSTALL) from None
    NA, NaT = pandas.NA, pandas.NaT
    Timestamp, Timedelta = pandas.Timestamp, pandas.Timedelta
    generic, floating = numpy.generic, numpy.floating
    moments = (numpy.datetime64, numpy.timedelta64)

    def cell(value: Any) -> Any:
        cls = value.__class__
        if cls is str or cls is int or cls is bool:
            return value
        if cls is float:
            return None if value != value else value
        if value is None or value is NA or value is NaT:
            return None
        if isinstance(value, generic):
            if isinstance(value, floating):
                size = value.dtype.itemsize
                number = float(value)
                return narrow_float(number, size) if size < 8 else cell(number)
            if isinstance(value, moments):
                boxed = Timestamp if cls is numpy.datetime64 else Timedelta
                return cell(boxed(value))
            return value.item()  # numpy ints, bools, str_, bytes_
        if isinstance(value, Timestamp):
            if value.nanosecond:  # a database keeps microseconds, as for a file
                value = value.replace(nanosecond=0)
            return value.to_pydatetime()
        if isinstance(value, Timedelta):
            return value.to_pytimedelta()
        if cls is Decimal:
            return None if value.is_nan() else value
        if isinstance(value, numpy.ndarray):  # read_parquet's lists
            return [cell(item) for item in value.tolist()]
        if isinstance(value, (list, tuple)):
            return [cell(item) for item in value]  # many-to-many keys
        return value  # datetime, date, time, dict, bytes, a str subclass...

    return cell
