"""The .parquet reader: typed cells, index labels, streaming, bad files, load_data."""

from __future__ import annotations

import gzip
import json
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from importers import read_frame, run_import
from importers.errors import SourceError
from importers.importer import Importer
from importers.readers import formats, get_reader, reader_for
from importers.readers.parquet import ParquetReader
from importers.sources import open_source
from mysite.blog.models import Author, Category, Post, Tag
from tests.zoo.models import Typed

from .conftest import REFERENCE_ROWS, run
from .test_load_data import assert_posts_match, load_people

TypedImporter = Importer.for_model(Typed)


def read(path: Path) -> tuple[list[str] | None, list]:
    with open_source(path) as source:
        reader = reader_for(source)(source)
        return reader.columns, list(reader)


def test_registered_as_a_built_in_format():
    assert "parquet" in formats()
    assert get_reader("parquet") is ParquetReader


@pytest.mark.parametrize(
    "array, expected",
    [
        (pa.array([1, None], pa.int64()), [1, None]),
        (pa.array([2.35, None, float("nan")], pa.float64()), [2.35, None, None]),
        (pa.array([2.35, None], pa.float32()), [2.35, None]),  # not 2.3499999
        (pa.array([True, None]), [True, None]),
        (pa.array(["x", None, ""], pa.string()), ["x", None, ""]),
        (pa.array(["x"], pa.large_string()), ["x"]),
        (
            pa.array([Decimal("2.35"), None], pa.decimal128(5, 2)),
            [Decimal("2.35"), None],
        ),
        (
            pa.array(
                [Decimal("0.1000000000000000055511151231257827")], pa.decimal128(38, 34)
            ),
            [Decimal("0.1000000000000000055511151231257827")],  # exactly
        ),
        (pa.array([date(2024, 3, 1), None], pa.date32()), [date(2024, 3, 1), None]),
        (pa.array([time(10, 30)], pa.time64("us")), [time(10, 30)]),
        (
            pa.array([datetime(2024, 3, 1, 10, 30)], pa.timestamp("us")),
            [datetime(2024, 3, 1, 10, 30)],  # naive: the current time zone's
        ),
        (
            pa.array([1709285400_123456789], pa.timestamp("ns", tz="Europe/Paris")),
            [datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)],  # aware, to µs
        ),
        (
            pa.array([-1], pa.timestamp("ns")),  # nanoseconds dropped, not rounded
            [datetime(1969, 12, 31, 23, 59, 59, 999999)],
        ),
        (pa.array([0], pa.timestamp("s", "UTC")), [datetime(1970, 1, 1, tzinfo=UTC)]),
        (
            pa.array([253402300800_000000], pa.timestamp("us")),  # year 10000
            ["253402300800000000 microseconds since 1970-01-01"],  # then rejected
        ),
        (
            pa.array(
                [datetime(2024, 3, 1, 9, 30, tzinfo=UTC)], pa.timestamp("ms", "UTC")
            ),
            [datetime(2024, 3, 1, 9, 30, tzinfo=UTC)],
        ),
        (pa.array([90_000_000_000], pa.duration("ns")), [timedelta(seconds=90)]),
        (pa.array([["a", "b"], [], None]), [["a", "b"], [], None]),
        (pa.array(["u", None, "u"]).dictionary_encode(), ["u", None, "u"]),
    ],
    ids=lambda v: str(v.type) if isinstance(v, pa.Array) else None,
)
def test_typed_columns_reach_the_converters_as_python_values(tmp_path, array, expected):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"c": array}), path)
    columns, rows = read(path)
    assert columns == ["c"]
    cells = [row.cells[0] for row in rows]
    assert cells == expected
    assert [type(c) for c in cells] == [type(e) for e in expected]
    for cell, want in zip(cells, expected, strict=True):
        if isinstance(want, datetime):
            assert cell.utcoffset() == want.utcoffset()


def test_rows_carry_their_position_and_the_pandas_index(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}, index=["x", "y"]).to_parquet(path)
    columns, rows = read(path)
    assert columns == ["a"]  # the index is not a column
    assert [(r.line, r.index, r.cells) for r in rows] == [(1, "x", [1]), (2, "y", [2])]
    pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(10, 14, 2)).to_parquet(path)
    assert [r.index for r in read(path)[1]] == [10, 12]
    pq.write_table(pa.table({"a": [1, 2]}), path)  # no pandas metadata
    assert [(r.line, r.index) for r in read(path)[1]] == [(1, 0), (2, 1)]


def test_row_groups_are_streamed_a_batch_at_a_time(tmp_path):
    path = tmp_path / "big.parquet"
    size = 200_000
    table = pa.table({name: np.arange(size, dtype="int64") for name in "abc"})
    pq.write_table(table, path, row_group_size=10_000)
    with open_source(path) as source:
        rows = iter(ParquetReader(source))
        before = pa.total_allocated_bytes()
        first = next(rows)
        held = pa.total_allocated_bytes() - before
        assert first.cells == [0, 0, 0]
        assert held < table.nbytes / 4, f"{held} bytes held for {table.nbytes}"
        assert sum(1 for _ in rows) == size - 1


def test_a_compressed_file_is_read_through_a_spooled_copy(tmp_path):
    plain = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(plain)
    packed = tmp_path / "t.parquet.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert [r.cells for r in read(packed)[1]] == [[1], [2]]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"slug,title\nx,y\n", "not a Parquet file (Parquet magic bytes not found"),
        (b"", "not a Parquet file"),
    ],
)
def test_a_file_that_is_not_parquet_is_one_source_error(tmp_path, content, message):
    path = tmp_path / "posts.parquet"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message.replace("(", r"\(")) as info:
        read(path)
    assert info.value.code == "invalid_parquet"


def test_a_missing_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "posts.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import fails
    with pytest.raises(
        SourceError, match=r"the 'parquet' extra\): pip install pyarrow pandas"
    ):
        read(path)


# -- load_data ------------------------------------------------------------------------
def typed_posts(data: Path, rating: str) -> pd.DataFrame:
    """Return the reference posts.csv with typed columns, as a data team has it."""
    frame = pd.read_csv(data / "posts.csv", keep_default_na=False, dtype=str)
    frame["published_at"] = pd.to_datetime(
        frame["published_at"].replace("", None), format="ISO8601", utc=True
    )
    frame["views"] = frame["views"].astype("int64")
    if rating == "float":
        frame["rating"] = pd.to_numeric(frame["rating"].replace("", None))
    else:
        frame["rating"] = [Decimal(v) if v else None for v in frame["rating"]]
    frame["category"] = frame["category"].replace("", None).astype("category")
    frame["tags"] = [v.split(";") if v else [] for v in frame["tags"]]
    return frame


@pytest.mark.django_db
@pytest.mark.parametrize("rating", ["float", "decimal"])
def test_load_data_reads_posts_parquet_as_it_reads_posts_csv(
    reference_data, tmp_path, rating
):
    frame = typed_posts(reference_data, rating)
    path = tmp_path / "posts.parquet"
    frame.to_parquet(path, row_group_size=1000)
    kind = pq.ParquetFile(path).schema_arrow.field("rating").type
    assert str(kind) == ("double" if rating == "float" else "decimal128(3, 2)")
    load_people(reference_data)
    result = run("load_data", str(path))
    assert result.error is None, result.stderr
    assert f"{REFERENCE_ROWS} rows read, {REFERENCE_ROWS} created" in result.stdout
    assert_posts_match(reference_data)


@pytest.mark.django_db
def test_read_frame_to_parquet_round_trips_through_load_data(blog, tmp_path):
    paths = []
    for model, name in [
        (Author, "authors"),
        (Category, "categories"),
        (Tag, "tags"),
        (Post, "posts"),
    ]:
        paths.append(str(tmp_path / f"{name}.parquet"))
        read_frame(model).to_parquet(paths[-1])
    before = read_frame(Post)
    again = run("load_data", *paths, "--report", "json")
    assert again.error is None, again.stderr
    totals = json.loads(again.stdout)["totals"]
    assert totals["unchanged"] == totals["rows"] > 300
    Post.objects.all().delete()
    result = run("load_data", paths[-1])
    assert result.error is None, result.stderr
    pd.testing.assert_frame_equal(read_frame(Post), before)


@pytest.mark.django_db
def test_errors_name_the_row_and_its_index_label(tmp_path, blog):
    frame = read_frame(Post)[:3]
    frame.index = ["a", "b", "c"]
    frame.loc["b", "views"] = -1
    frame.to_parquet(tmp_path / "posts.parquet")
    result = run("load_data", str(tmp_path / "posts.parquet"), "--on-error", "skip")
    assert result.returncode == 1
    assert "posts.parquet:2 [item b]: column 'views', value '-1'" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["not parquet", "truncated", "corrupt"])
def test_a_bad_parquet_file_is_one_clear_line_without_traceback(
    manage, tmp_path, damage
):
    path = tmp_path / "authors.parquet"
    size = 100_000
    pd.DataFrame(
        {"username": [f"u{n}" for n in range(size)], "name": ["x"] * size}
    ).to_parquet(path, row_group_size=10_000, compression="snappy")
    data = path.read_bytes()
    if damage == "not parquet":
        data = b"username,name\nada,Ada\n"
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:
        middle = len(data) // 2
        data = data[:middle] + b"\xff" * 2000 + data[middle + 2000 :]
    path.write_bytes(data)
    done = manage("load_data", str(path))
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    expected = (
        "cannot read the Parquet file" if damage == "corrupt" else "not a Parquet"
    )
    assert expected in lines[0]
    assert not Author.objects.exists()


@pytest.mark.django_db
def test_every_field_kind_round_trips_through_parquet(tmp_path):
    Typed.objects.create(
        key="full",
        label="x",
        flag=False,
        count=-3,
        amount=Decimal("12.30"),
        ratio=0.1,
        day=date(2024, 3, 1),
        at=datetime(2024, 3, 1, 10, 30, 0, 123456, tzinfo=UTC),
        span=timedelta(days=2, microseconds=5),
        uid=uuid.uuid4(),
    )
    Typed.objects.create(key="empty")
    before = read_frame(Typed.objects.order_by("key"))
    path = tmp_path / "typed.parquet"
    before.to_parquet(path)
    kinds = pq.ParquetFile(path).schema_arrow
    assert str(kinds.field("amount").type) == "decimal128(4, 2)"
    assert str(kinds.field("at").type) == "timestamp[us, tz=UTC]"
    report = run_import([(TypedImporter, str(path))])
    assert report.ok, report.files[0].errors
    assert report.total("unchanged") == 2
    Typed.objects.all().delete()
    assert run_import([(TypedImporter, str(path))]).total("create") == 2
    pd.testing.assert_frame_equal(read_frame(Typed.objects.order_by("key")), before)
