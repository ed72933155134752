"""Tests for importers/sources.py: opening, decompressing, strictly decoding."""

import bz2
import gzip
import io
import lzma
import zipfile

import pytest

from importers.errors import SourceError
from importers.sources import CHUNK_SIZE, open_source


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def read_text(path, **kwargs):
    with open_source(path, **kwargs) as source:
        return "".join(source.text())


def failure(path, **kwargs):
    with pytest.raises(SourceError) as info:
        read_text(path, **kwargs)
    return info.value


def zipped(*members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_source_error_str():
    error = SourceError("unbalanced quote", name="posts.csv", line=12, code="x")
    assert str(error) == "posts.csv:12: unbalanced quote"
    assert (error.message, error.name, error.line, error.code) == (
        "unbalanced quote",
        "posts.csv",
        12,
        "x",
    )
    assert str(SourceError("no such file", name="a.csv")) == "a.csv: no such file"
    assert str(SourceError("bad", line=3)) == "line 3: bad"
    assert str(SourceError("bad")) == "bad"
    assert SourceError("bad").code == "invalid"


valid_inputs = [
    # name, bytes on disk, open_source() keywords, text read
    ("plain", b"a,b\n1,2\n", {}, "a,b\n1,2\n"),
    ("crlf kept", b"a,b\r\n1,2", {}, "a,b\r\n1,2"),
    ("utf-8 BOM dropped", b"\xef\xbb\xbfslug\n", {}, "slug\n"),
    ("utf-8 BOM dropped, named", b"\xef\xbb\xbfslug\n", {"encoding": "UTF8"}, "slug\n"),
    ("only a BOM", b"\xef\xbb\xbf", {}, ""),
    ("empty", b"", {}, ""),
    ("utf-8", "café,€\n".encode(), {}, "café,€\n"),
    ("cp1252", "café,€\n".encode("cp1252"), {"encoding": "cp1252"}, "café,€\n"),
    ("latin-1", "café\n".encode("latin-1"), {"encoding": "latin-1"}, "café\n"),
    ("utf-16", "a,é\r\n".encode("utf-16"), {"encoding": "utf-16"}, "a,é\r\n"),
    ("BOM kept by cp1252", b"\xef\xbb\xbfa", {"encoding": "cp1252"}, "ï»¿a"),
]


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [case[1:] for case in valid_inputs],
    ids=[case[0] for case in valid_inputs],
)
def test_valid_inputs(tmp_path, data, kwargs, expected):
    assert read_text(write(tmp_path, "f.csv", data), **kwargs) == expected


invalid_inputs = [
    # name, bytes, keywords, code, line, text in the message
    (
        "cp1252 read as utf-8",
        "a\nb\ncafé\n".encode("cp1252"),
        {},
        "decode",
        3,
        "cannot decode byte 0xe9 as utf-8 (is the file cp1252? try --encoding cp1252)",
    ),
    (
        "utf-8 read as cp1252",
        "a\nÁ\n".encode(),
        {"encoding": "cp1252"},
        "decode",
        2,
        "0x81",
    ),
    ("cut in a character", "a\né".encode()[:-1], {}, "decode", 2, "ends in the middle"),
    ("utf-16 read as utf-8", "a".encode("utf-16"), {}, "decode", 1, "utf-16"),
    ("NUL byte", b"a,b\n1,2\n3,\x004\n", {}, "nul_byte", 3, "binary file"),
    ("binary", bytes(range(256)) * 8, {}, "nul_byte", 1, "line 1 contains a NUL"),
    ("gzip named .csv", gzip.compress(b"a,b\n"), {}, "decode", 1, "this is gzip data"),
    ("xls named .csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", {}, "decode", 1, ".xls"),
    (
        "xlsx named .csv",
        zipped(("xl/workbook.xml", "<a/>")),
        {},
        "nul_byte",
        1,
        ".xlsx",
    ),
    ("unknown codec", b"a", {"encoding": "klingon"}, "unknown_encoding", None, ""),
    ("not a text codec", b"a", {"encoding": "base64"}, "unknown_encoding", None, ""),
]


@pytest.mark.parametrize(
    ("data", "kwargs", "code", "line", "message"),
    [case[1:] for case in invalid_inputs],
    ids=[case[0] for case in invalid_inputs],
)
def test_invalid_inputs(tmp_path, data, kwargs, code, line, message):
    error = failure(write(tmp_path, "posts.csv", data), **kwargs)
    assert (error.code, error.line) == (code, line)
    assert message in str(error)
    if line is not None:
        assert str(error).startswith(f"{tmp_path / 'posts.csv'}:{line}: ")


@pytest.mark.parametrize("shift", [-2, -1, 0, 1, 2, 3 * CHUNK_SIZE + 7])
def test_decode_error_line_deep_in_the_file(tmp_path, shift):
    """The bad byte's line is exact however the chunks fall around it."""
    head = "".join(f"{n},row number {n},é\r\n" for n in range(1, 60_001)).encode()
    cut = head.rfind(b"\n", 0, 2 * CHUNK_SIZE + shift) + 1  # a line end near there
    lines_before = head[:cut].count(b"\n")
    body = head[:cut] + b"x" * 5 + b"caf\xe9\r\n" + head[cut:]
    path = write(tmp_path, "posts.csv", body)
    with open_source(path) as source:
        handed_out = []
        with pytest.raises(SourceError) as info:
            handed_out.extend(source.text())
    assert info.value.line == lines_before + 1
    assert info.value.code == "decode"
    assert "byte 0xe9" in str(info.value)
    assert len(handed_out) == lines_before  # every whole line before it
    with open_source(path) as source, pytest.raises(SourceError) as info:
        while source.text().read(10_000):
            pass
    assert info.value.line == lines_before + 1


@pytest.mark.parametrize("shift", range(-3, 4))
def test_characters_split_across_chunks(tmp_path, shift):
    data = b"a" * (CHUNK_SIZE + shift) + "é€😀\n".encode() * 3
    assert read_text(write(tmp_path, "f.csv", data)) == data.decode()


def test_nul_byte_after_a_long_partial_line(tmp_path):
    data = b"a,b\n" + b"x" * (CHUNK_SIZE + 10) + b"\x00\n"
    error = failure(write(tmp_path, "f.csv", data))
    assert (error.code, error.line) == ("nul_byte", 2)


def test_lines_split_like_newline_empty(tmp_path):
    data = b"a\rb\r\nc\nd\x0ce\xe2\x80\xa8f\x1cg\n"
    with open_source(write(tmp_path, "f.csv", data)) as source:
        assert list(source.text()) == ["a\r", "b\r\n", "c\n", "d\x0ce\u2028f\x1cg\n"]


def test_lines_too_long(tmp_path):
    path = write(tmp_path, "f.csv", b"a\n" + b"x" * (3 * CHUNK_SIZE) + b"\nz\n")
    with open_source(path) as source, pytest.raises(SourceError) as info:
        list(source.text().lines(max_line=CHUNK_SIZE))
    assert (info.value.code, info.value.line) == ("too_large", 2)
    path = write(tmp_path, "g.csv", b"a\nbb\nccc\ndddd\n")
    with open_source(path) as source, pytest.raises(SourceError) as info:
        list(source.text().lines(max_line=4))
    assert (info.value.code, info.value.line) == ("too_large", 4)


def test_read_and_readline(tmp_path):
    data = "first\r\nsecond\n" + "x" * (2 * CHUNK_SIZE) + "\nlast"
    with open_source(write(tmp_path, "f.json", data)) as source:
        text = source.text()
        assert text.readline() == "first\r\n"
        assert text.read(3) == "sec"
        assert text.readline() == "ond\n"
        assert text.readline(10) == "x" * 10
        assert len(text.readline()) == 2 * CHUNK_SIZE - 10 + 1
        assert text.read() == "last"
        assert text.read(5) == text.readline() == ""


formats = [
    # file name, open_source(format=...), Source.format, Source.extension
    ("posts.csv", None, "csv", ".csv"),
    ("POSTS.CSV", None, "csv", ".csv"),
    ("posts.txt", None, "csv", ".txt"),
    ("posts.tsv", None, "tsv", ".tsv"),
    ("posts.tab", None, "tsv", ".tab"),
    ("posts.json", None, "json", ".json"),
    ("posts.jsonl", None, "jsonl", ".jsonl"),
    ("posts.ndjson", None, "jsonl", ".ndjson"),
    ("posts.dat", None, None, ".dat"),
    ("posts", None, None, ""),
    ("posts.csv", "json", "json", ".csv"),
    ("posts.dat", "TSV", "tsv", ".dat"),
]


@pytest.mark.parametrize(("name", "given", "format", "extension"), formats)
def test_format_from_extension(tmp_path, name, given, format, extension):
    with open_source(write(tmp_path, name, b"a\n"), format=given) as source:
        assert (source.format, source.extension) == (format, extension)
        assert source.name == str(tmp_path / name)


DATA = "slug,title\r\npost-1,Café\r\n" * 1000


def stored_with_bad_crc():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.csv", DATA)
    return buffer.getvalue().replace(b"post-1", b"post-2", 1)


compressed = [
    ("posts.csv.gz", gzip.compress(DATA.encode()), "csv"),
    ("posts.tsv.bz2", bz2.compress(DATA.encode()), "tsv"),
    ("posts.json.xz", lzma.compress(DATA.encode()), "json"),
    ("posts.zip", zipped(("dir/posts.jsonl", DATA)), "jsonl"),
    ("posts.zip", zipped(("dir/", ""), ("posts.csv", DATA)), "csv"),
    ("mac.zip", zipped(("posts.csv", DATA), ("__MACOSX/._posts.csv", "x")), "csv"),
]


@pytest.mark.parametrize(("name", "data", "format"), compressed)
def test_compressed_round_trip(tmp_path, name, data, format):
    path = write(tmp_path, name, data)
    with open_source(path) as source:
        assert source.format == format
        assert source.size == len(data)
        assert "".join(source.text()) == DATA
        assert source.position() == len(data)


broken = [
    ("truncated gz", "posts.csv.gz", gzip.compress(DATA.encode())[:-20], "corrupt"),
    ("garbage gz", "posts.csv.gz", b"\x1f\x8b" + b"x" * 100, "corrupt"),
    ("truncated bz2", "posts.csv.bz2", bz2.compress(DATA.encode())[:-20], "corrupt"),
    ("truncated xz", "posts.csv.xz", lzma.compress(DATA.encode())[:-20], "corrupt"),
    ("not a zip", "posts.zip", b"PK\x03\x04 nope", "corrupt"),
    ("truncated zip", "posts.zip", zipped(("a.csv", DATA))[:-30], "corrupt"),
    ("bad CRC in zip", "posts.zip", stored_with_bad_crc(), "corrupt"),
    ("empty zip", "posts.zip", zipped(), "zip_members"),
    (
        "two in a zip",
        "posts.zip",
        zipped(("a.csv", "a"), ("b.csv", "b")),
        "zip_members",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [case[1:] for case in broken],
    ids=[case[0] for case in broken],
)
def test_broken_archives(tmp_path, name, data, code):
    error = failure(write(tmp_path, name, data))
    assert error.code == code
    assert str(error).startswith(str(tmp_path / name))


def test_truncated_gz_names_the_line_reached(tmp_path):
    data = "".join(f"{n},{n * 7919 % 10007}\n" for n in range(200_000)).encode()
    path = write(tmp_path, "posts.csv.gz", gzip.compress(data)[:200_000])
    with open_source(path) as source:
        lines = 0
        with pytest.raises(SourceError) as info:
            for _ in source.text():
                lines += 1
    assert info.value.code == "corrupt"
    assert "truncated or corrupt" in str(info.value)
    assert info.value.line == lines + 1


def test_stdin():
    stdin = io.BytesIO(b"\xef\xbb\xbfa,b\n1,2\n")
    with open_source("-", format="csv", stdin=stdin) as source:
        assert (source.name, source.format, source.size) == ("<stdin>", "csv", None)
        assert list(source.text()) == ["a,b\n", "1,2\n"]
        assert source.position() == 11
    assert not stdin.closed


def test_stdin_needs_a_format():
    with pytest.raises(SourceError) as info:
        open_source("-", stdin=io.BytesIO(b""))
    assert info.value.code == "format_required"
    assert "reading standard input needs --format" in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SourceError) as info:
        open_source(tmp_path / "nope.csv")
    assert info.value.code == "not_found"
    assert str(info.value) == f"{tmp_path / 'nope.csv'}: no such file"
    with pytest.raises(SourceError) as info:
        open_source(tmp_path)
    assert info.value.code == "not_a_file"


def test_position_counts_bytes_read(tmp_path):
    data = b"a,b\n" + b"1,2\n" * (CHUNK_SIZE // 2)
    with open_source(write(tmp_path, "f.csv", data)) as source:
        assert source.position() == 0
        lines = iter(source.text())
        next(lines)
        assert 0 < source.position() < len(data)
        for _ in lines:
            pass
        assert source.position() == len(data)


def test_binary_stream_and_close(tmp_path):
    path = write(tmp_path, "f.csv.gz", gzip.compress(b"abc"))
    source = open_source(path)
    assert source.binary().read() == b"abc"
    source.close()
    source.close()


def test_zip_member_with_an_empty_name_is_a_source_error(tmp_path):
    # Found by the fuzzer: ZipInfo.is_dir() raises IndexError on an empty name.
    path = tmp_path / "mangled.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo(""), "x\n1\n")
    with pytest.raises(SourceError) as info:
        open_source(path)
    assert info.value.code == "zip_members"
