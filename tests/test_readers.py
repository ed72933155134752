"""Tests for importers/readers/: CSV, TSV, JSON, JSON Lines and the registry."""

import bz2
import gc
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import tracemalloc
from collections import deque
from decimal import Decimal
from itertools import islice

import pytest

import importers.readers
from importers.errors import SourceError
from importers.readers import (
    Reader,
    ReadOptions,
    Row,
    formats,
    get_reader,
    reader_for,
    register_reader,
)
from importers.readers.csv import CSVReader, TSVReader, sniff
from importers.readers.json import CHUNK, JSONArrayReader, JSONLinesReader
from importers.sources import open_source


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


DEFAULT = ReadOptions()
OLD_LIMITS = ReadOptions(field_size_limit=1 << 20, record_size_limit=4 << 20)


def read(tmp_path, name, data, options=DEFAULT, **kwargs):
    """Return (columns, rows) of a file holding `data`."""
    with open_source(write(tmp_path, name, data), **kwargs) as source:
        reader = reader_for(source)(source, options)
        return reader.columns, list(reader)


def failure(tmp_path, name, data, options=DEFAULT, **kwargs):
    with pytest.raises(SourceError) as info:
        read(tmp_path, name, data, options, **kwargs)
    return info.value


def brief(rows):
    """Rows as (line, cells) or (line, cells, code) when the row has an error."""
    return [row[:2] if row.error is None else (*row[:2], row.code) for row in rows]


# --- CSV -------------------------------------------------------------------------

valid_csv = [
    # name, file name, bytes, open_source() keywords, columns, brief(rows)
    ("simple", "p.csv", "a,b\n1,2\n", {}, ["a", "b"], [(2, ["1", "2"])]),
    ("BOM", "p.csv", "\ufeffslug,n\r\nx,1\r\n", {}, ["slug", "n"], [(2, ["x", "1"])]),
    (
        "cp1252 with --encoding",
        "p.csv",
        "nom;prix\r\ncafé;2,50 €\r\n".encode("cp1252"),
        {"encoding": "cp1252"},
        ["nom", "prix"],
        [(2, ["café", "2,50 €"])],
    ),
    (
        "semicolons from European Excel",
        "p.csv",
        "slug;rating;note\r\nx;2,35;a, b\r\n",
        {},
        ["slug", "rating", "note"],
        [(2, ["x", "2,35", "a, b"])],
    ),
    (
        "tabs sniffed",
        "p.csv",
        "a\tb\tc,d\n1\t2\t3,4\n",
        {},
        ["a", "b", "c,d"],
        [(2, ["1", "2", "3,4"])],
    ),
    ("pipes", "p.csv", "a|b\n1|2\n", {}, ["a", "b"], [(2, ["1", "2"])]),
    ("tsv", "p.tsv", 'a\tb\n"1"\t2;3\n', {}, ["a", "b"], [(2, ["1", "2;3"])]),
    (
        "sniffed outside quotes",
        "p.csv",
        '"a;b;c",d\n1,2\n',
        {},
        ["a;b;c", "d"],
        [(2, ["1", "2"])],
    ),
    (
        "CRLF without a final newline",
        "p.csv",
        "a,b\r\n1,2\r\n3,4",
        {},
        ["a", "b"],
        [(2, ["1", "2"]), (3, ["3", "4"])],
    ),
    (
        "quoted newlines move the line numbers",
        "p.csv",
        'a,b\n1,"x\ny\nz"\n2,"say ""hi"", ok"\r\n3,"\r\n"\n4,w\n',
        {},
        ["a", "b"],
        [
            (2, ["1", "x\ny\nz"]),
            (5, ["2", 'say "hi", ok']),
            (6, ["3", "\r\n"]),
            (8, ["4", "w"]),
        ],
    ),
    (
        "blank lines skipped",
        "p.csv",
        "\n\na,b\n\n1,2\n\n\n3,4\n",
        {},
        ["a", "b"],
        [(5, ["1", "2"]), (8, ["3", "4"])],
    ),
    (
        "ragged rows go on",
        "p.csv",
        "a,b,c\n1,2\n1,2,3\n1,2,3,4\n",
        {},
        ["a", "b", "c"],
        [
            (2, ["1", "2"], "ragged"),
            (3, ["1", "2", "3"]),
            (4, ["1", "2", "3", "4"], "ragged"),
        ],
    ),
    ("header only", "p.csv", "a,b\r\n", {}, ["a", "b"], []),
    ("header only, no newline", "p.csv", "a,b", {}, ["a", "b"], []),
    (
        "header cells as they are",
        "p.csv",
        " A , ,b\n1,2,3\n",
        {},
        [" A ", " ", "b"],
        [(2, ["1", "2", "3"])],
    ),
    (
        "old Mac line ends",
        "p.csv",
        "a,b\r1,2\r3,4\r",
        {},
        ["a", "b"],
        [(2, ["1", "2"]), (3, ["3", "4"])],
    ),
    (
        "odd line breaks stay in cells",
        "p.csv",
        "a,b\nx\x0cy,p\u2028q\x1dr\n",
        {},
        ["a", "b"],
        [(2, ["x\x0cy", "p\u2028q\x1dr"])],
    ),
    (
        "quote inside a bare field",
        "p.csv",
        'a,b\n5" disk,x\n',
        {},
        ["a", "b"],
        [(2, ['5" disk', "x"])],
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "kwargs", "columns", "rows"),
    [case[1:] for case in valid_csv],
    ids=[case[0] for case in valid_csv],
)
def test_csv_valid_inputs(tmp_path, name, data, kwargs, columns, rows):
    got_columns, got_rows = read(tmp_path, name, data, **kwargs)
    assert (got_columns, brief(got_rows)) == (columns, rows)


def test_ragged_row_message(tmp_path):
    _, rows = read(tmp_path, "p.csv", "a,b,c\n1,2,3,4,5\n")
    assert rows == [
        Row(
            2,
            ["1", "2", "3", "4", "5"],
            None,
            "row has 5 cells, header has 3",
            "ragged",
        )
    ]


invalid_csv = [
    # name, bytes, ReadOptions, code, line, text in the message
    (
        "unbalanced quote",
        'a,b\n1,2\n3,"oops\n4,5\n',
        None,
        "unbalanced_quote",
        3,
        "unbalanced quote",
    ),
    (
        "stray quote",
        'a,b\n1,2\n"x"y,2\n',
        None,
        "bad_quote",
        3,
        "after a closing quote",
    ),
    (
        "NUL byte",
        "a,b\n1,2\n3,\x004\n",
        None,
        "nul_byte",
        3,
        "line 3 contains a NUL byte",
    ),
    ("binary garbage", bytes(range(1, 256)) * 40, None, "decode", 3, "0x80"),
    (
        "png named .csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        None,
        "decode",
        1,
        "0x89",
    ),
    ("empty", b"", None, "empty", None, "the file is empty"),
    ("only a BOM", b"\xef\xbb\xbf", None, "empty", None, "the file is empty"),
    ("only blank lines", "\n \r\n\t\n", None, "empty", None, "the file is empty"),
    (
        "duplicate header",
        "id,Name,x, name \n",
        None,
        "duplicate_column",
        1,
        "columns 2 and 4",
    ),
    (
        "cp1252 read as utf-8",
        "a\nb\ncafé\n".encode("cp1252"),
        None,
        "decode",
        3,
        "cp1252",
    ),
    (
        "big field",
        'a,b\n1,"' + "x" * 200 + '"\n',
        ReadOptions(field_size_limit=100),
        "too_large",
        2,
        "field size limit",
    ),
    (
        "long line",
        "a,b\n1," + "x" * 200 + "\n",
        ReadOptions(record_size_limit=100),
        "too_large",
        2,
        "record size limit",
    ),
    (
        "long record over lines",
        'a,b\n1,2\n"' + "x\n" * 40 + '","' + "y\n" * 40 + '"\n',
        ReadOptions(record_size_limit=100),
        "too_large",
        3,
        "record size limit",
    ),
    (
        "quote left open swallows",
        'a,b\n1,"' + "x,y\n" * 100,
        ReadOptions(field_size_limit=100),
        "too_large",
        2,
        "quote left open",
    ),
]


@pytest.mark.parametrize(
    ("data", "options", "code", "line", "message"),
    [case[1:] for case in invalid_csv],
    ids=[case[0] for case in invalid_csv],
)
def test_csv_invalid_inputs(tmp_path, data, options, code, line, message):
    error = failure(tmp_path, "posts.csv", data, options or ReadOptions())
    assert (error.code, error.line) == (code, line)
    assert message in str(error)
    assert str(error).startswith(str(tmp_path / "posts.csv"))


def test_rows_before_an_error_are_read(tmp_path):
    path = write(tmp_path, "p.csv", "a,b\n1,2\n3,4\n5,\xe9\n".encode("latin-1"))
    rows = []
    with open_source(path) as source, pytest.raises(SourceError) as info:
        rows.extend(CSVReader(source))
    assert [row.line for row in rows] == [2, 3]
    assert info.value.line == 4


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("a,b", ","),
        ("a;b;c,d", ";"),
        ("a\tb", "\t"),
        ("a|b", "|"),
        ("abc", ","),
        ('"a,b,c";d', ";"),
    ],
)
def test_sniff(line, delimiter):
    assert sniff(line) == delimiter


def test_given_delimiter_wins(tmp_path):
    columns, rows = read(
        tmp_path, "p.csv", "a;b,c\n1;2,3\n", ReadOptions(delimiter=",")
    )
    assert (columns, rows) == (["a;b", "c"], [Row(2, ["1;2", "3"])])
    _, rows = read(tmp_path, "p.tsv", "a,b;c\n1,2;3\n")
    assert rows == [Row(2, ["1,2;3"])]


@pytest.mark.parametrize("given", ["\t", "\\t", "tab"])
def test_tab_delimiter(tmp_path, given):
    columns, _ = read(tmp_path, "p.csv", "a,b\tc\n", ReadOptions(delimiter=given))
    assert columns == ["a,b", "c"]


@pytest.mark.parametrize("given", [";;", '"', "\n"])
def test_bad_delimiter(tmp_path, given):
    error = failure(tmp_path, "p.csv", "a\n", ReadOptions(delimiter=given))
    assert error.code == "bad_delimiter"


def test_header_known_after_init(tmp_path):
    with open_source(write(tmp_path, "p.csv", "x,y\n1,2\n")) as source:
        reader = CSVReader(source)
        assert reader.columns == ["x", "y"]
        assert next(iter(reader)) == Row(2, ["1", "2"])


def test_csv_field_limit_is_restored(tmp_path):
    import csv

    before = csv.field_size_limit()
    read(tmp_path, "p.csv", "a\n1\n", ReadOptions(field_size_limit=10))
    assert csv.field_size_limit() == before


def peak_memory(function):
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_memory_is_bounded(tmp_path):
    data = "id,name,n\n" + "".join(f"{i},name {i},{i * 7}\n" for i in range(200_000))
    path = write(tmp_path, "big.csv", data)

    def run():
        with open_source(path) as source:
            assert sum(1 for _ in CSVReader(source)) == 200_000

    assert peak_memory(run) < len(data) / 4


@pytest.mark.parametrize("quoted", [True, False])
def test_50mb_field_fails_in_bounded_memory(tmp_path, quoted):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as file:
        file.write(b'a,b\n1,"' if quoted else b"a,b\n1,")
        for _ in range(50):
            file.write(b"x" * (1 << 20))
        file.write(b'"\n' if quoted else b"\n")

    def run():
        with open_source(path) as source, pytest.raises(SourceError) as info:
            list(CSVReader(source, OLD_LIMITS))
        assert (info.value.code, info.value.line) == ("too_large", 2)

    assert peak_memory(run) < 20 << 20


# --- JSON array ------------------------------------------------------------------

PRETTY = json.dumps([{"slug": "a", "n": 1}, {"slug": "b", "tags": ["x"]}], indent=2)

valid_json = [
    # name, text, [(line, index, cells or error code)]
    ("empty array", " [ ]\n", []),
    ("one line", '[{"a": 1},{"a": 2}]', [(1, 0, {"a": 1}), (1, 1, {"a": 2})]),
    (
        "pretty",
        PRETTY,
        [(2, 0, {"slug": "a", "n": 1}), (6, 1, {"slug": "b", "tags": ["x"]})],
    ),
    ("BOM", '\ufeff[{"a": "é"}]', [(1, 0, {"a": "é"})]),
    (
        "numbers",
        '[{"r": 2.35, "n": -3, "e": 1e3, "big": 12345678901234567890}]',
        [
            (
                1,
                0,
                {
                    "r": Decimal("2.35"),
                    "n": -3,
                    "e": Decimal("1E+3"),
                    "big": 12345678901234567890,
                },
            )
        ],
    ),
    (
        "nested values as they are",
        '[{"a": {"b": [1, null, true]}, "s": "\\u00e9\\ud83d\\ude00"}]',
        [(1, 0, {"a": {"b": [1, None, True]}, "s": "é😀"})],
    ),
    (
        "items that are not objects",
        '[{"a": 1},\n 2, [3], "x",\n null, true, 1.5]',
        [
            (1, 0, {"a": 1}),
            (2, 1, "not_an_object"),
            (2, 2, "not_an_object"),
            (2, 3, "not_an_object"),
            (3, 4, "not_an_object"),
            (3, 5, "not_an_object"),
            (3, 6, "not_an_object"),
        ],
    ),
]


def json_brief(rows):
    return [(row.line, row.index, row.code or row.cells) for row in rows]


@pytest.mark.parametrize(
    ("text", "rows"),
    [case[1:] for case in valid_json],
    ids=[case[0] for case in valid_json],
)
def test_json_valid_inputs(tmp_path, text, rows):
    columns, got = read(tmp_path, "p.json", text)
    assert columns is None
    assert json_brief(got) == rows


def test_json_not_an_object_message(tmp_path):
    _, rows = read(tmp_path, "p.json", '[{"a": 1}, 2, null, [], "s", false]')
    assert [row.error for row in rows[1:]] == [
        "item 1 is a number, expected an object",
        "item 2 is null, expected an object",
        "item 3 is an array, expected an object",
        "item 4 is a string, expected an object",
        "item 5 is a boolean, expected an object",
    ]
    assert rows[1].cells == {}


invalid_json = [
    # name, text, ReadOptions, code, line, text in the message
    ("empty", "", None, "empty", None, "the file is empty"),
    ("blank", " \n\n ", None, "empty", None, "the file is empty"),
    (
        "top-level object",
        '\n{"a": 1}',
        None,
        "not_an_array",
        2,
        "expected a JSON array of objects, found an object",
    ),
    ("top-level number", "3", None, "not_an_array", 1, "found a number"),
    ("not JSON", "hello", None, "invalid_json", 1, "found 'h'"),
    (
        "NaN",
        '[{"a": 1},\n {"a": NaN}]',
        None,
        "invalid_json",
        2,
        "NaN is not valid JSON",
    ),
    (
        "Infinity",
        '[{"a": Infinity}]',
        None,
        "invalid_json",
        1,
        "Infinity is not valid JSON",
    ),
    (
        "-Infinity",
        '[{"a": -Infinity}]',
        None,
        "invalid_json",
        1,
        "-Infinity is not valid JSON",
    ),
    ("trailing comma", '[{"a": 1},\n]', None, "invalid_json", 2, "trailing comma"),
    (
        "missing comma",
        '[{"a": 1}\n {"a": 2}]',
        None,
        "invalid_json",
        2,
        "expected ',' or ']' after item 0 (column 2)",
    ),
    (
        "bad item",
        '[{"a": 1},\n{"a" 2}]',
        None,
        "invalid_json",
        2,
        "invalid JSON in item 1: Expecting ':' delimiter (column 6)",
    ),
    (
        "truncated in an item",
        '[{"a": 1},\n {"a": "x',
        None,
        "truncated",
        2,
        "ends in the middle of item 1",
    ),
    ("truncated after an item", '[{"a": 1}', None, "truncated", 1, "ends after item 0"),
    (
        "truncated after a comma",
        '[{"a": 1},',
        None,
        "truncated",
        1,
        "ends before item 1",
    ),
    ("truncated open", "[", None, "truncated", 1, "ends before item 0"),
    (
        "text after",
        '[{"a": 1}] []',
        None,
        "invalid_json",
        1,
        "unexpected text after the array",
    ),
    (
        "big item",
        '[{"a": "' + "x" * 200 + '"}]',
        ReadOptions(record_size_limit=100),
        "too_large",
        1,
        "item 0 is longer",
    ),
    (
        "long string",
        '[{"a": 1},\n{"a": {"b": ["' + "x" * 200 + '"]}}]',
        ReadOptions(field_size_limit=100),
        "too_large",
        2,
        "item 1 holds a value longer than 100 characters (the field size limit,",
    ),
    (
        "long key",
        '[{"' + "k" * 200 + '": 1}]',
        ReadOptions(field_size_limit=100),
        "too_large",
        1,
        "field size limit",
    ),
]


@pytest.mark.parametrize(
    ("text", "options", "code", "line", "message"),
    [case[1:] for case in invalid_json],
    ids=[case[0] for case in invalid_json],
)
def test_json_invalid_inputs(tmp_path, text, options, code, line, message):
    error = failure(tmp_path, "posts.json", text, options or ReadOptions())
    assert (error.code, error.line) == (code, line)
    assert message in str(error)


@pytest.mark.parametrize("shift", range(45))
def test_json_items_across_read_chunks(tmp_path, shift):
    """Numbers, escapes and literals cut by the reader's chunk boundary."""
    item = '{"n": 1234567890, "s": "\\u00e9\\ud83d\\ude00", "t": true, "f": null}'
    text = "[" + " " * (CHUNK - 20 - shift) + item + ", 123456789, " + item + "]"
    _, rows = read(tmp_path, "p.json", text)
    expected = {"n": 1234567890, "s": "é😀", "t": True, "f": None}
    assert [row.cells for row in rows] == [expected, {}, expected]
    assert [row.index for row in rows] == [0, 1, 2]


def test_json_item_far_larger_than_a_chunk(tmp_path):
    big = {"body": "é" * (5 * CHUNK), "n": 1}
    _, rows = read(tmp_path, "p.json", json.dumps([{"a": 1}, big, {"a": 2}]))
    assert [row.cells for row in rows] == [{"a": 1}, big, {"a": 2}]


def test_json_array_is_streamed(tmp_path):
    """200,000 objects on one line: rows come before the file is read, memory stays."""
    text = "[" + ",".join(f'{{"id": {i}, "x": "é"}}' for i in range(200_000)) + "]"
    path = write(tmp_path, "one-line.json", text)
    size = path.stat().st_size
    with open_source(path) as source:
        rows = iter(JSONArrayReader(source))
        assert next(rows) == Row(1, {"id": 0, "x": "é"}, 0)
        assert source.position() < size / 10  # read a chunk or so, not the file
        assert sum(1 for _ in rows) == 199_999

    def run():  # reading the whole file at once would peak over its size
        with open_source(path) as source:
            last = deque(islice(JSONArrayReader(source), 50_000), maxlen=1)
            assert last[0] == Row(1, {"id": 49_999, "x": "é"}, 49_999)

    assert peak_memory(run) < size / 5


# --- JSON Lines ------------------------------------------------------------------


def test_jsonl_rows_and_errors(tmp_path):
    text = (
        '{"a": 1, "r": 0.1}\r\n'
        "\n"
        '{"a": 2 "b": 3}\n'
        "[1, 2]\n"
        '{"a": NaN}\n'
        "  \n"
        '{"a": "x\u2028y"}\n'
        '{"a": 4}'
    )
    _, rows = read(tmp_path, "p.jsonl", text)
    assert rows == [
        Row(1, {"a": 1, "r": Decimal("0.1")}),
        Row(
            3,
            {},
            None,
            "invalid JSON: Expecting ',' delimiter (column 9)",
            "invalid_json",
        ),
        Row(4, {}, None, "line is an array, expected an object", "not_an_object"),
        Row(5, {}, None, "invalid JSON: NaN is not valid JSON", "invalid_json"),
        Row(7, {"a": "x\u2028y"}),
        Row(8, {"a": 4}),
    ]


def test_jsonl_line_too_long(tmp_path):
    text = '{"a": 1}\n{"a": "' + "x" * 300 + '"}\n{"a": 2}\n'
    error = failure(tmp_path, "p.ndjson", text, ReadOptions(record_size_limit=100))
    assert (error.code, error.line) == ("too_large", 2)


def test_jsonl_long_string(tmp_path):
    text = '{"a": 1}\n{"a": "' + "x" * 300 + '"}\n'
    error = failure(tmp_path, "p.jsonl", text, ReadOptions(field_size_limit=100))
    assert (error.code, error.line) == ("too_large", 2)
    assert "the line holds a value longer than 100 characters" in str(error)


def test_json_huge_item_fails_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.write(b'[{"a": 1},\n {"a": "')
        for _ in range(50):
            file.write(b"x" * (1 << 20))
        file.write(b'"}]')

    def run():
        with open_source(path) as source, pytest.raises(SourceError) as info:
            list(JSONArrayReader(source, OLD_LIMITS))
        assert (info.value.code, info.value.line) == ("too_large", 2)

    assert peak_memory(run) < 30 << 20


def test_jsonl_huge_line_fails_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as file:
        file.write(b'{"a": 1}\n{"a": "')
        for _ in range(50):
            file.write(b"x" * (1 << 20))
        file.write(b'"}\n')

    def run():
        with open_source(path) as source, pytest.raises(SourceError) as info:
            list(JSONLinesReader(source, OLD_LIMITS))
        assert (info.value.code, info.value.line) == ("too_large", 2)

    assert peak_memory(run) < 20 << 20


def test_stdin(tmp_path):
    stdin = io.BytesIO(b'{"a": 1}\n{"a": 2}\n')
    with open_source("-", format="jsonl", stdin=stdin) as source:
        assert [row.cells for row in reader_for(source)(source)] == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize(
    ("name", "data", "cells"),
    [
        ("p.csv.gz", gzip.compress(b"a,b\n1,2\n"), ["1", "2"]),
        ("p.json.bz2", bz2.compress(b'[{"a": "1"}]'), {"a": "1"}),
        ("p.jsonl.xz", lzma.compress(b'{"a": "1"}\n'), {"a": "1"}),
    ],
)
def test_compressed(tmp_path, name, data, cells):
    _, rows = read(tmp_path, name, data)
    assert [row.cells for row in rows] == [cells]


# --- registry --------------------------------------------------------------------


@pytest.fixture
def registry(monkeypatch):
    """Let a test register readers without leaking them into other tests."""
    monkeypatch.setattr(importers.readers, "_registered", {})
    monkeypatch.setattr(importers.readers, "_plugins", {})


class PipeReader(Reader):
    format = "psv"
    extensions = (".psv",)

    def __iter__(self):
        for number, line in enumerate(self.source.text(), 1):
            yield Row(number, line.rstrip("\r\n").split("|"))


@pytest.fixture
def builtins_only(registry, settings):
    """The built-in readers alone, whatever plug-ins the project's settings add."""
    settings.IMPORTERS_READERS = []


def test_builtin_formats(builtins_only):
    assert formats() == ["csv", "json", "jsonl", "parquet", "tsv"]
    assert get_reader("csv") is CSVReader
    assert get_reader("tsv") is TSVReader
    assert get_reader("json") is JSONArrayReader
    assert get_reader("jsonl") is JSONLinesReader


def test_builtin_readers_are_imported_when_used():
    code = (
        "import sys, importers.readers as r\n"
        "assert 'importers.readers.csv' not in sys.modules\n"
        "r.get_reader('jsonl')\n"
        "assert 'importers.readers.csv' not in sys.modules\n"
        "assert r.formats() == ['csv', 'json', 'jsonl', 'parquet', 'tsv']\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_unknown_format_lists_the_formats(builtins_only):
    with pytest.raises(SourceError) as info:
        get_reader("xml")
    assert info.value.code == "unknown_format"
    assert (
        str(info.value)
        == "unknown format 'xml'; known formats: csv, json, jsonl, parquet, tsv"
    )


def test_cannot_tell_the_format(tmp_path, builtins_only):
    with (
        open_source(write(tmp_path, "p.dat", "a\n")) as source,
        pytest.raises(SourceError) as info,
    ):
        reader_for(source)
    assert info.value.code == "unknown_format"
    assert str(info.value) == (
        f"cannot tell the format of {source.name}; use --format with one of: "
        "csv, json, jsonl, parquet, tsv"
    )


def test_custom_reader_picked_by_extension(tmp_path, registry):
    assert register_reader(PipeReader) is PipeReader
    assert "psv" in formats()
    _, rows = read(tmp_path, "p.psv", "a|b\n1|2\n")
    assert rows == [Row(1, ["a", "b"]), Row(2, ["1", "2"])]
    with open_source(write(tmp_path, "p.txt", "a|b\n"), format="psv") as source:
        assert reader_for(source) is PipeReader


def test_registered_reader_replaces_a_builtin(registry):
    @register_reader
    class MyCSV(CSVReader):
        pass

    assert get_reader("csv") is MyCSV


def test_register_rejects_non_readers(registry):
    with pytest.raises(TypeError):
        register_reader(object)


def test_readers_from_the_setting(registry, settings, tmp_path, monkeypatch):
    plugin = tmp_path / "needs_thing.py"
    plugin.write_text("import not_installed_thing_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.IMPORTERS_READERS = [
        "tests.test_readers.PipeReader",
        "needs_thing.Reader",
        "no_such_module_xyz.Reader",
    ]
    assert get_reader("psv") is PipeReader
    assert get_reader("csv") is CSVReader  # the broken plug-ins fail only when used
    with pytest.raises(SourceError) as info:
        get_reader("xlsx")
    message = str(info.value)
    known = "csv, json, jsonl, parquet, psv, tsv"
    assert f"unknown format 'xlsx'; known formats: {known}" in message
    assert (
        "needs 'not_installed_thing_xyz': pip install not_installed_thing_xyz"
        in message
    )
    assert "cannot import the reader no_such_module_xyz.Reader" in message
