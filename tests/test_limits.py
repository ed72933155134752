"""Size limits: a small hostile file must not take the machine (issue 10, items
1-4, 6-8). Memory is measured in a subprocess (its own peak RSS)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

import importers.readers
from importers.errors import SourceError
from importers.options import ImportOptions, format_size, parse_size
from importers.readers import ReadOptions
from importers.readers.csv import CSVReader
from importers.readers.xlsx import XLSXReader
from importers.sources import open_source
from tests.zoo.models import Doc

from .conftest import ROOT, run

MB = 1 << 20
SHEET1, STRINGS = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
SMALL = ReadOptions(field_size_limit=MB, record_size_limit=4 * MB)

PEAK = """
import resource, sys
from importers.errors import SourceError
from importers.readers import ReadOptions
from importers.readers.csv import CSVReader
from importers.readers.xlsx import XLSXReader
from importers.sources import open_source
options = ReadOptions(**{options!r})
try:
    with open_source({path!r}, max_size=options.file_size_limit) as source:
        for _ in {reader}(source, options):
            pass
    print("ok")
except SourceError as exc:
    print(exc.code, exc, sep="|")
try:  # this process's own high-water mark: ru_maxrss may count the parent's too
    with open("/proc/self/status") as status:
        hwm = [line for line in status if line.startswith("VmHWM:")][0]
    print(int(hwm.split()[1]) // 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def read_in_subprocess(path: Path, reader: str, **options: int) -> tuple[str, int]:
    """Read a file in a fresh process; return how it ended and its peak RSS in MB."""
    code = PEAK.format(options=options, path=str(path), reader=reader)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    *lines, peak = done.stdout.strip().splitlines()
    return lines[-1], int(peak)


def one_line(text: str) -> str:
    assert "Traceback" not in text
    assert "\n" not in text.strip(), text
    return text.strip()


@pytest.fixture
def xlsx_enabled(monkeypatch, settings):
    monkeypatch.setattr(importers.readers, "_registered", {})
    monkeypatch.setattr(importers.readers, "_plugins", {})
    settings.IMPORTERS_READERS = ["importers.readers.xlsx.XLSXReader"]


def read_csv(data: str, options: ReadOptions = SMALL) -> tuple[CSVReader, list]:
    stdin = io.BytesIO(data.encode())
    with open_source("-", format="csv", stdin=stdin) as source:
        reader = CSVReader(source, options)
        return reader, [(row.line, row.cells, row.code) for row in reader]


# -- item 7: the limits are options and settings, with defaults for real content ----


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", MB),
        ("64M", 64 * MB),
        ("4G", 4 << 30),
        ("512k", 512 << 10),
        ("2 MiB", 2 * MB),
        (1000, 1000),
    ],
)
def test_sizes_parse_with_binary_suffixes(text, size):
    assert parse_size(text) == size
    assert parse_size(format_size(size)) == size


@pytest.mark.parametrize("text", ["", "lots", "-1", "0", "1.5M", "4X", True])
def test_bad_sizes_are_refused(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_defaults_admit_tens_of_megabytes_a_field(settings):
    read = ImportOptions().read_options()
    assert (read.field_size_limit, read.record_size_limit) == (32 * MB, 64 * MB)
    assert read.file_size_limit == 4 << 30
    settings.IMPORTERS_MAX_FIELD_SIZE = "2M"
    assert ImportOptions().read_options().field_size_limit == 2 * MB
    assert ImportOptions(max_field_size=5).read_options().field_size_limit == 5


def json_doc_csv(path: Path) -> tuple[Path, dict]:
    """A CSV with a 1.4 MB JSON document in one cell, as a real export holds."""
    doc = {"items": [{"n": i, "text": "lorem ipsum " * 10} for i in range(10_000)]}
    cell = json.dumps(doc)
    assert len(cell) > 1_400_000
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["key", "data"], ["doc", cell]])
    path.write_text(out.getvalue())
    return path, doc


@pytest.mark.django_db
def test_a_megabytes_json_cell_imports_with_the_default_limits(tmp_path):
    path, doc = json_doc_csv(tmp_path / "docs.csv")
    result = run("load_data", str(path), "--model", "zoo.Doc")
    assert result.error is None, result.error
    data = Doc.objects.get(key="doc").data  # the cell's text, as the ORM stores it
    assert (json.loads(data) if isinstance(data, str) else data) == doc


@pytest.mark.django_db
def test_the_field_limit_follows_the_option_and_the_setting(tmp_path, settings):
    path, _ = json_doc_csv(tmp_path / "docs.csv")
    result = run("load_data", str(path), "--model", "zoo.Doc", "--max-field-size", "1M")
    assert result.returncode == 1
    assert "a field is longer than 1,048,576 characters" in one_line(result.error)
    assert "--max-field-size" in result.error
    settings.IMPORTERS_MAX_FIELD_SIZE = 1 << 20
    result = run("load_data", str(path), "--model", "zoo.Doc")
    assert "a field is longer than 1,048,576 characters" in one_line(result.error)
    assert not Doc.objects.exists()


def test_a_bad_size_option_is_a_usage_error(manage, tmp_path):
    path, _ = json_doc_csv(tmp_path / "docs.csv")
    done = manage("load_data", str(path), "--max-record-size", "lots")
    assert done.returncode == 2
    last = one_line(done.stderr.decode().strip().splitlines()[-1])
    assert "--max-record-size" in last and "lots" in last


# -- item 4: the record limit bounds memory while the record is read ---------------


def test_a_record_of_many_multiline_fields_stops_at_the_record_limit(tmp_path):
    """600 KB of gzip held one record of 300 quoted fields of 500 KB, each under
    the field limit: the record limit must stop it, not the end of the record."""
    path = tmp_path / "authors.csv.gz"
    field = '"' + ("x" * 999 + "\n") * 500 + '"'
    with gzip.open(path, "wt", compresslevel=1) as file:
        file.write("username,name,email\n" + field)
        for _ in range(299):
            file.write("," + field)
        file.write("\n")
    assert path.stat().st_size < 2 * MB
    outcome, peak = read_in_subprocess(
        path, "CSVReader", field_size_limit=MB, record_size_limit=4 * MB
    )
    assert outcome.startswith("too_large|"), outcome
    assert ":2: the record is longer than 4,194,304 characters" in outcome
    assert peak < 100, f"peak RSS {peak} MB for a 4 MiB record limit"


def test_the_record_limit_while_reading_is_one_clear_line(tmp_path):
    field = '"' + ("y" * 99 + "\n") * 50 + '"'
    data = "a,b\n1,2\n" + ",".join([field] * 100) + "\n3,4\n"
    with pytest.raises(SourceError) as info:
        read_csv(data, ReadOptions(field_size_limit=10_000, record_size_limit=100_000))
    assert info.value.code == "too_large" and info.value.line == 3
    assert "the record is longer than 100,000 characters" in one_line(str(info.value))


# -- item 6: blank lines are skipped in bulk ----------------------------------------


def reference(data: str) -> list:
    """What csv.reader makes of `data`, line by line: (line, cells) of each record."""
    lines = io.StringIO(data, newline="").readlines()
    records = csv.reader(lines, strict=True)
    header, last, rows = next(records), records.line_num, []
    for cells in records:
        line, last = last + 1, records.line_num
        if cells:
            rows.append((line, cells, None if len(cells) == len(header) else "ragged"))
    return rows


BLANKS = [
    ("runs between rows", "a,b\n1,2\n" + "\n" * 40 + "3,4\n" + "\n" * 20 + "5,6\n"),
    ("CRLF runs", "a,b\r\n1,2\r\n" + "\r\n" * 40 + "3,4\r\n"),
    ("a run in a quoted field", 'a,b\n1,"x' + "\n" * 40 + 'y"\n' + "\n" * 17 + "2,z\n"),
    ("a run before a ragged row", "a,b\n" + "\n" * 30 + "1,2,3\n4,5\n"),
    ("a run at the end", "a,b\n1,2\n" + "\n" * 50),
    ("mixed ends", "a,b\n" + "\r\n\n\r" * 20 + "1,2\n" + '"q\n' + "\n" * 20 + '",w\n'),
]


@pytest.mark.parametrize(("name", "data"), BLANKS, ids=[b[0] for b in BLANKS])
def test_runs_of_blank_lines_read_as_line_by_line(name, data):
    _, rows = read_csv(data)
    assert rows == reference(data)


def test_blank_lines_before_the_header_are_counted():
    _, rows = read_csv("\n" * 100 + "a,b\n" + "\n" * 100 + "1,2\n")
    assert rows == [(202, ["1", "2"], None)]


def test_blank_lines_before_the_header_are_not_a_record():
    data = "\n" * (3 * MB) + "a,b\n" + "\n" * (3 * MB) + "1,2\n"
    options = ReadOptions(field_size_limit=1000, record_size_limit=MB)
    _, rows = read_csv(data, options)
    assert rows == [(6 * MB + 2, ["1", "2"], None)]


def test_a_million_blank_lines_cost_the_csv_module_a_step_a_run():
    """Each blank line used to cost a csv step and a Python loop turn (a 1 GiB .gz
    of blank lines took 189 s): runs now go through as one line each."""
    data = "a,b\n" + "\n" * 1_000_000 + "1,2\n"
    reader, rows = read_csv(data)
    assert rows == [(1_000_002, ["1", "2"], None)]
    assert reader._records.line_num < 1_000


def test_a_gz_of_blank_lines_has_no_rows(tmp_path):
    path = tmp_path / "authors.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as file:
        file.write(b"username,name,email\n")
        for _ in range(50):
            file.write(b"\n" * MB)
    with open_source(path) as source:
        assert list(CSVReader(source)) == []


# -- item 8: a stray quote names the line where its field began ---------------------


def test_an_unclosed_quote_is_reported_where_it_opened():
    lines = ["n,text\n"] + [f"{n},row {n}\n" for n in range(2, 101)]
    lines += ['101,"never closed\n'] + [f"{n},row {n}\n" for n in range(102, 303)]
    lines += ['303,"z"x\n', "304,end\n"]
    with pytest.raises(SourceError) as info:
        read_csv("".join(lines))
    error = info.value
    assert (error.code, error.line) == ("bad_quote", 101)
    message = one_line(str(error))
    assert "starting on line 101 runs on to line 303" in message


def test_a_quote_never_closed_says_where_the_file_ends():
    with pytest.raises(SourceError) as info:
        read_csv('a,b\n1,2\n3,"open\n4,5\n6,7\n')
    assert (info.value.code, info.value.line) == ("unbalanced_quote", 3)
    assert "the file ends on line 5" in str(info.value)


def test_a_stray_quote_on_one_line_is_reported_on_that_line():
    with pytest.raises(SourceError) as info:
        read_csv('a,b\n1,2\n3,"x"y\n')
    assert (info.value.code, info.value.line) == ("bad_quote", 3)


# -- item 1: what is unpacked or spooled is capped ----------------------------------


def test_a_gz_unpacking_past_the_file_limit_stops_there(tmp_path):
    path = tmp_path / "authors.csv.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"username,name,email\n" + b"u,n,\n" * (MB // 2))
    with pytest.raises(SourceError) as info, open_source(path, max_size=MB) as source:
        list(CSVReader(source))
    assert info.value.code == "too_large"
    assert "unpacks to more than 1,048,576 bytes" in one_line(str(info.value))


def test_xlsx_from_stdin_is_spooled_up_to_the_limit(manage):
    done = manage(
        "load_data",
        "-",
        "--model",
        "blog.Author",
        "--format",
        "xlsx",
        "--max-file-size",
        "1M",
        input=b"\0" * (3 * MB),
    )
    assert done.returncode == 1
    last = one_line(done.stderr.decode().strip().splitlines()[-1])
    assert "<stdin>: the file is more than 1,048,576 bytes" in last
    assert "--max-file-size" in last


def test_an_xlsx_gz_of_zeros_stops_at_the_limit(manage, tmp_path):
    path = tmp_path / "authors.xlsx.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"\0" * (3 * MB))
    done = manage("load_data", str(path), "--max-file-size", "1M")
    assert done.returncode == 1
    last = one_line(done.stderr.decode().strip().splitlines()[-1])
    assert "unpacks to more than 1,048,576 bytes" in last


def workbook(path: Path, *rows: list) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_a_workbook_unpacking_past_the_limit_is_refused(tmp_path):
    path = workbook(tmp_path / "a.xlsx", ["a"], [1])
    with pytest.raises(SourceError) as info, open_source(path) as source:
        XLSXReader(source, ReadOptions(file_size_limit=1000))
    assert info.value.code == "too_large"
    assert "unpacks to more than 1,000 bytes" in str(info.value)


# -- item 2: the xlsx reader keeps the field and record limits ----------------------


def replace_parts(path: Path, names: dict[str, Callable[[bytes], bytes]]) -> Path:
    """Rewrite parts of a zip through `make(old_bytes) -> bytes`; add new ones."""
    with zipfile.ZipFile(path) as old:
        items = {info.filename: old.read(info) for info in old.infolist()}
    for name, make in names.items():
        items[name] = make(items.get(name, b""))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in items.items():
            new.writestr(name, data)
    return path


def inline_cell(path: Path, value: bytes) -> Path:
    """Put `value` as B2's inline string (openpyxl writes text inline)."""
    return replace_parts(
        path, {SHEET1: lambda data: data.replace(b"PLACEHOLDER", value)}
    )


def shared_cell(path: Path, value: bytes) -> Path:
    """Put `value` in a shared string table, as Excel writes text, for cell B2."""
    main = b"http://schemas.openxmlformats.org/"
    rel = main + b"officeDocument/2006/relationships/sharedStrings"
    kind = (
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    )
    cell = b'<c r="B2" t="inlineStr"><is><t>PLACEHOLDER</t></is></c>'
    return replace_parts(
        path,
        {
            STRINGS: lambda _: (
                b'<sst xmlns="'
                + main
                + b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
                + value
                + b"</t></si></sst>"
            ),
            SHEET1: lambda data: data.replace(cell, b'<c r="B2" t="s"><v>0</v></c>'),
            "xl/_rels/workbook.xml.rels": lambda data: data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdSS" Type="'
                + rel
                + b'" Target="sharedStrings.xml"/></Relationships>',
            ),
            "[Content_Types].xml": lambda data: data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                + kind
                + b'"/></Types>',
            ),
        },
    )


def test_a_shared_string_reads(tmp_path):
    path = shared_cell(
        workbook(tmp_path / "a.xlsx", ["a", "b"], ["x", "PLACEHOLDER"]), b"shared"
    )
    with open_source(path) as source:
        assert [row.cells for row in XLSXReader(source)] == [["x", "shared"]]


@pytest.mark.parametrize("put", [shared_cell, inline_cell])
def test_an_xlsx_cell_over_the_field_limit_is_refused(tmp_path, put):
    path = workbook(tmp_path / "a.xlsx", ["a", "b"], ["x", "PLACEHOLDER"])
    put(path, b"y" * (2 * MB))
    with pytest.raises(SourceError) as info, open_source(path) as source:
        list(XLSXReader(source, SMALL))
    assert info.value.code == "too_large"
    assert "a cell is longer than 1,048,576 characters" in one_line(str(info.value))


def test_an_xlsx_cell_just_over_the_field_limit_is_refused_exactly(tmp_path):
    path = workbook(tmp_path / "a.xlsx", ["a"], ["z" * 101], ["z" * 100])
    with pytest.raises(SourceError) as info, open_source(path) as source:
        list(XLSXReader(source, ReadOptions(field_size_limit=100)))
    assert (info.value.code, info.value.line) == ("too_large", 2)


def test_an_xlsx_row_over_the_record_limit_is_refused(tmp_path):
    path = workbook(tmp_path / "a.xlsx", ["a", "b", "c"], ["x" * 90] * 3)
    options = ReadOptions(field_size_limit=100, record_size_limit=200)
    with pytest.raises(SourceError) as info, open_source(path) as source:
        list(XLSXReader(source, options))
    assert (info.value.code, info.value.line) == ("too_large", 2)
    assert "a row is longer than 200 characters" in str(info.value)


def test_a_huge_xlsx_cell_is_refused_before_it_is_built(tmp_path):
    """A 300 MB cell in a 310 KB workbook took 685 MB of memory."""
    path = workbook(tmp_path / "a.xlsx", ["a", "b"], ["x", "PLACEHOLDER"])
    shared_cell(path, b"y" * (150 * MB))
    assert path.stat().st_size < 2 * MB
    outcome, peak = read_in_subprocess(path, "XLSXReader", field_size_limit=MB)
    assert outcome.startswith("too_large|"), outcome
    assert peak < 120, f"peak RSS {peak} MB for a 1 MiB field limit"


# -- item 3: malformed workbook XML is one clear line -------------------------------

SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
ROWS = (
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>VALUE</t></is></c></row>'
    b"</sheetData></worksheet>"
)
LAUGHS = (
    b'<!DOCTYPE w [<!ENTITY l0 "lol">'
    + b"".join(
        b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, 10)
    )
    + b"]>"
)
MALFORMED = [
    ("truncated sheet", lambda sheet: sheet[: len(sheet) // 2]),
    ("unclosed token", lambda sheet: SHEET + b'<sheetData><row r="1"><c'),
    ("billion laughs", lambda sheet: LAUGHS + SHEET + ROWS.replace(b"VALUE", b"&l9;")),
    (
        "XXE",
        lambda sheet: (
            b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + SHEET
            + ROWS.replace(b"VALUE", b"&x;")
        ),
    ),
]


@pytest.mark.parametrize(("name", "make"), MALFORMED, ids=[m[0] for m in MALFORMED])
@pytest.mark.django_db
def test_malformed_workbook_xml_is_one_clear_line(tmp_path, xlsx_enabled, name, make):
    path = workbook(tmp_path / "authors.xlsx", ["username"], ["ada"], ["bob"])
    replace_parts(path, {SHEET1: make})
    with pytest.raises(SourceError) as info, open_source(path) as source:
        list(XLSXReader(source))
    assert info.value.code == "invalid_xlsx"
    message = one_line(str(info.value))
    assert "root:" not in message and "passwd" not in message.replace(str(path), "")
    result = run("load_data", str(path))
    assert result.returncode == 1 and one_line(result.error)


def test_entities_in_the_shared_strings_are_refused(tmp_path):
    path = workbook(tmp_path / "a.xlsx", ["a", "b"], ["x", "PLACEHOLDER"])
    shared_cell(path, b"&l9;")
    replace_parts(path, {STRINGS: lambda data: LAUGHS + data})
    with pytest.raises(SourceError) as info, open_source(path) as source:
        list(XLSXReader(source))
    assert info.value.code == "invalid_xlsx"
    assert "entities" in str(info.value) or "malformed" in str(info.value)


def test_openpyxl_reads_through_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "the xlsx extra installs defusedxml; openpyxl must use it"
