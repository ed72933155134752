"""DataFrames in: pandas values as a file's cells, errors by index label, batches."""

from __future__ import annotations

import tracemalloc
import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from importers import run_import
from importers.frames import FrameReader, cell_converter, is_frame
from importers.importer import Importer
from importers.options import ImportOptions
from importers.pipeline import Records
from importers.testing import import_file
from mysite.blog.factories import AuthorFactory, CategoryFactory
from mysite.blog.importers import AuthorImporter, PostImporter
from mysite.blog.models import Author, Post
from tests.zoo.models import Typed

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TypedImporter = Importer.for_model(Typed)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (np.nan, None),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        (np.datetime64("NaT"), None),
        (Decimal("NaN"), None),
        ("", ""),
        ("text", "text"),
        (np.str_("text"), "text"),
        (np.int64(5), 5),
        (np.uint64(2**63), 2**63),
        (np.int8(-3), -3),
        (np.bool_(True), True),
        (np.float64(2.35), 2.35),
        (np.float32(2.35), 2.35),  # its shortest text, not 2.3499999046325684
        (np.float16(0.1), 0.1),
        (np.float64(np.nan), None),
        (np.float32(np.nan), None),
        (Decimal("2.35"), Decimal("2.35")),
        (pd.Timestamp("2024-03-01 10:30"), datetime(2024, 3, 1, 10, 30)),
        (
            pd.Timestamp("2024-03-01 10:30", tz="Europe/Paris"),
            datetime(2024, 3, 1, 10, 30, tzinfo=PARIS),
        ),
        (
            pd.Timestamp("2024-03-01 10:30:00.000001999"),  # nanoseconds dropped
            datetime(2024, 3, 1, 10, 30, 0, 1),
        ),
        (np.datetime64("2024-03-01T10:30"), datetime(2024, 3, 1, 10, 30)),
        (pd.Timedelta(seconds=90), timedelta(seconds=90)),
        (np.timedelta64(90, "s"), timedelta(seconds=90)),
        (date(2024, 3, 1), date(2024, 3, 1)),
        ([np.int64(1), "a", np.nan], [1, "a", None]),
        (np.array(["a", "b"]), ["a", "b"]),
        (("a", "b"), ["a", "b"]),
        ({"a": 1}, {"a": 1}),
    ],
)
def test_a_pandas_value_becomes_a_python_cell(value, expected):
    result = cell_converter()(value)
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(expected, datetime):
        assert result.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "column, expected",
    [
        (pd.Series([2.35, np.nan]), [2.35, None]),
        (pd.Series([2.35, np.nan], dtype="float32"), [2.35, None]),
        (pd.Series([2.35, None], dtype="Float32"), [2.35, None]),
        (pd.Series([1, 2], dtype="int64"), [1, 2]),
        (pd.Series([1, 2], dtype="uint8"), [1, 2]),
        (pd.Series([True, False]), [True, False]),
        (pd.Series([1, None], dtype="Int64"), [1, None]),
        (pd.Series([True, None], dtype="boolean"), [True, None]),
        (pd.Series(["x", None], dtype="string"), ["x", None]),
        (pd.Series(["x", None]), ["x", None]),
        (pd.Series(["x", None], dtype=object), ["x", None]),
        (pd.Series(["u", None, "u"], dtype="category"), ["u", None, "u"]),
        (pd.Series([1, None], dtype="category"), [1, None]),
        (
            pd.Series(pd.to_datetime(["2024-03-01 10:30", None])),
            [datetime(2024, 3, 1, 10, 30), None],
        ),
        (
            pd.Series(pd.to_datetime(["2024-03-01 10:30"]).tz_localize("UTC")),
            [datetime(2024, 3, 1, 10, 30, tzinfo=UTC)],
        ),
        (
            pd.Series(pd.to_datetime(["1969-12-31 23:59:59.999999999", None])),
            [datetime(1969, 12, 31, 23, 59, 59, 999999), None],  # ns dropped
        ),
        (
            pd.Series(pd.to_datetime(["2024-03-01 10:30+01:00"])).dt.tz_convert(PARIS),
            [datetime(2024, 3, 1, 9, 30, tzinfo=UTC)],  # aware, in UTC
        ),
        (pd.Series([Decimal("1.50"), None]), [Decimal("1.50"), None]),
        (
            pd.Series(pd.to_timedelta([90, None], unit="s")),
            [timedelta(seconds=90), None],
        ),
    ],
    ids=lambda v: str(v.dtype) if isinstance(v, pd.Series) else None,
)
def test_a_column_of_each_dtype_becomes_python_cells(column, expected):
    frame = pd.DataFrame({"c": column})
    cells = [row.cells[0] for row in FrameReader(frame)]
    assert cells == expected
    assert [type(c) for c in cells] == [type(e) for e in expected]


def test_rows_carry_their_position_and_index_label():
    frame = pd.DataFrame({"a": [1, 2, 3]}, index=["x", "y", "z"])
    rows = list(FrameReader(frame, batch_size=2))
    assert [(r.line, r.index, r.cells) for r in rows] == [
        (1, "x", [1]),
        (2, "y", [2]),
        (3, "z", [3]),
    ]
    stamped = pd.DataFrame({"a": [1]}, index=pd.to_datetime(["2024-03-01"]))
    assert next(iter(FrameReader(stamped))).index == "2024-03-01 00:00:00"
    multi = pd.DataFrame({"a": [1]}, index=pd.MultiIndex.from_tuples([("p", 7)]))
    assert next(iter(FrameReader(multi))).index == ("p", 7)


def test_the_frame_is_read_in_slices_never_copied_whole():
    size = 200_000
    frame = pd.DataFrame(
        {
            "a": np.arange(size, dtype="int64"),
            "b": np.arange(size, dtype="float64"),
            "c": pd.array(np.arange(size), dtype="Int64"),
        }
    )
    whole = int(frame.memory_usage(index=False).sum())  # 5.2 MB
    tracemalloc.start()
    try:
        count = sum(1 for _ in FrameReader(frame, batch_size=1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == size
    assert peak < whole / 4, f"peak {peak} bytes while reading a {whole}-byte frame"


def test_is_frame_needs_no_pandas_import_and_tells_frames():
    assert is_frame(pd.DataFrame())
    assert not is_frame([{"a": 1}])
    assert not is_frame(pd.Series([1]))


# -- through the pipeline -------------------------------------------------------------
def posts_frame(index=None, **overrides) -> pd.DataFrame:
    data = {
        "slug": ["one", "two"],
        "title": ["One", "Two"],
        "author": ["ada", "ada"],
        "body": ["text", "text"],
    }
    data.update(overrides)
    return pd.DataFrame(data, index=index)


@pytest.mark.django_db
def test_a_frame_imports_as_a_file_would():
    AuthorFactory(username="ada")
    CategoryFactory(slug="news")
    frame = posts_frame(
        category=pd.Categorical(["news", None]),
        status=pd.array(["published", None], dtype="string"),
        views=pd.array([7, None], dtype="Int64"),  # missing: the field's default
        rating=[2.35, np.nan],
        published_at=pd.to_datetime(["2024-03-01 10:30", None]).tz_localize(
            "America/New_York"
        ),
        tags=[["django", "orm"], []],
    )
    report = run_import([(PostImporter, frame)])
    assert report.ok, report.files[0].errors
    assert report.total("create") == 2
    one, two = Post.objects.order_by("slug")
    assert (one.category.slug, one.status, one.views) == ("news", "published", 7)
    assert one.rating == Decimal("2.35")
    assert one.published_at == datetime(2024, 3, 1, 15, 30, tzinfo=UTC)
    assert sorted(t.name for t in one.tags.all()) == ["django", "orm"]
    assert (two.category, two.status, two.views) == (None, "draft", 0)
    assert (two.rating, two.published_at, list(two.tags.all())) == (None, None, [])
    again = run_import([(PostImporter, frame)])
    assert again.total("unchanged") == 2


@pytest.mark.django_db
def test_naive_timestamps_are_in_the_current_time_zone_as_in_files():
    AuthorFactory(username="ada")
    frame = posts_frame(published_at=pd.to_datetime(["2024-03-01 10:30", None]))
    with timezone.override(PARIS):
        run_import([(PostImporter, frame)])
    one = Post.objects.get(slug="one")
    assert one.published_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_nan_in_a_required_text_column_is_missing_not_the_text_nan():
    AuthorFactory(username="ada")
    frame = posts_frame(title=["One", np.nan], index=["first", "second"])
    report = run_import([(PostImporter, frame)], ImportOptions(on_error="skip"))
    assert report.total("create") == 1
    (error,) = report.files[0].errors
    assert (error.file, error.line, error.index) == ("DataFrame", 2, "second")
    assert (error.column, error.code) == ("title", "null")
    assert str(error).startswith("DataFrame:2 [item second]: column 'title'")
    assert not Post.objects.filter(title="nan").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, stored",
    [
        (2.35, Decimal("2.35")),  # through repr: not 2.34999999999999986677
        (np.float32(2.35), Decimal("2.35")),
        (Decimal("1234.5"), Decimal("1234.50")),
        (4, Decimal("4.00")),
        (np.int64(4), Decimal("4.00")),
    ],
)
def test_floats_and_decimals_reach_a_decimal_field_without_float_noise(amount, stored):
    frame = pd.DataFrame({"key": ["k"], "amount": pd.Series([amount], dtype=object)})
    report = run_import([(TypedImporter, frame)])
    assert report.ok, report.files[0].errors
    assert Typed.objects.get().amount == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, code",
    [(2.345, "max_decimal_places"), (12345.0, "max_whole_digits"), (np.inf, "invalid")],
)
def test_decimals_that_do_not_fit_the_places_are_rejected(amount, code):
    frame = pd.DataFrame({"key": ["k"], "amount": [amount]}, index=[41])
    report = run_import([(TypedImporter, frame)], ImportOptions(on_error="skip"))
    (error,) = report.files[0].errors
    assert (error.index, error.column, error.code) == (41, "amount", code)
    assert not Typed.objects.exists()


@pytest.mark.django_db
def test_nullable_extension_dtypes_and_numpy_types_fill_every_field_kind():
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    frame = pd.DataFrame(
        {
            "key": pd.array(["a", "b"], dtype="string"),
            "label": pd.array(["x", pd.NA], dtype="string"),  # blank text: ""
            "flag": pd.array([True, None], dtype="boolean"),
            "count": pd.array([3, None], dtype="Int64"),
            "ratio": np.array([0.5, np.nan], dtype="float32"),
            "day": pd.to_datetime(["2024-03-01", None]),  # midnight: a date
            "at": pd.to_datetime(["2024-03-01 10:30:00+01:00", None]),
            "span": pd.to_timedelta(["1h", None]),
            "uid": [str(key), None],
        }
    )
    import_file(frame, TypedImporter)
    a, b = Typed.objects.order_by("key")
    assert (a.label, a.flag, a.count, a.ratio) == ("x", True, 3, 0.5)
    assert (a.day, a.span, a.uid) == (date(2024, 3, 1), timedelta(hours=1), key)
    assert a.at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert (b.label, b.flag, b.count, b.ratio, b.day, b.at, b.span, b.uid) == (
        "",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )


@pytest.mark.django_db
def test_the_testing_helpers_take_frames():
    frame = pd.DataFrame({"username": ["ada"], "name": ["Ada"]})
    import_file(frame, importer=AuthorImporter)
    import_file(Records("authors", frame.assign(name=["Ada L."])))
    assert Author.objects.get().name == "Ada L."
    with pytest.raises(LookupError, match="Records"):
        import_file(frame)
    with pytest.raises(AssertionError, match=r"DataFrame:1 \[item 0\]"):
        import_file(frame.assign(name=[None]), importer="authors")


@pytest.mark.django_db
@pytest.mark.django_db
def test_an_empty_frame_is_zero_rows_as_a_header_only_file():
    empty = pd.DataFrame({"username": [], "name": []})
    report = run_import([(AuthorImporter, empty)])
    assert report.ok and report.as_dict()["totals"]["rows"] == 0


@pytest.mark.django_db
def test_a_rejected_frame_row_goes_to_the_errors_file_with_its_cells(tmp_path):
    AuthorFactory(username="ada")
    frame = posts_frame(title=["One", None], tags=[["a"], ["b", "c"]])
    errors = tmp_path / "errors.csv"
    report = run_import(
        [(PostImporter, frame)], ImportOptions(on_error="skip", errors_file=errors)
    )
    assert report.total("create") == 1
    lines = errors.read_text().splitlines()
    assert lines[0] == "slug,title,author,body,tags,line,error"
    assert lines[1].startswith('two,,ada,text,"[""b"", ""c""]",2,title: ')
