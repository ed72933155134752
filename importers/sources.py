"""Step 1 of the pipeline: open a file (or stdin) as strictly decoded text.

    FILE | "-"  ->  sources.py  ->  readers/  ->  pipeline.py  ->  ...

`open_source()` decompresses .gz/.bz2/.xz/.zip on the fly (at most `max_size` bytes:
a decompression bomb ends in a clear error), tells the format from the extension and
counts the bytes read for a progress bar. `Source.text()` decodes in
large chunks, so `csv.reader` runs at full speed over it, and strictly: a BOM is
dropped, and a byte invalid in the encoding (or a NUL) is a `SourceError` naming its
line, never a silent U+FFFD. Plain Python: no Django here.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any, BinaryIO

from importers.errors import SourceError

CHUNK_SIZE = 1 << 17  # bytes decoded at a time: big for speed, small for memory
MERGE = 16  # blank lines in a block worth merging (TextStream.blocks)
# A run of "\n" (fast), a line with its end, or a run of other line ends.
_LINES = re.compile(r"\n+|[^\r\n]+(?:\r?\n|\r)?|(?:\r?\n|\r)+")
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
DECOMPRESSORS: dict[str, Callable[[Any], BinaryIO]] = {
    ".gz": lambda file: gzip.GzipFile(fileobj=file, mode="rb"),
    ".bz2": bz2.BZ2File,
    ".xz": lzma.LZMAFile,
}
_CORRUPT = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_MAGIC = {  # how binary files that fail to decode start
    b"\x1f\x8b": "gzip data",
    b"BZh": "bzip2 data",
    b"\xfd7zXZ": "xz data",
    b"PK\x03\x04": "a zip archive (an .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
}


@dataclass(eq=False)
class Source:
    """One opened input: its name, format and encoding; its bytes and its text."""

    name: str
    format: str | None
    encoding: str
    size: int | None
    extension: str = ""  # ".csv": lower case, of the .zip member, without .gz etc.
    _stream: Any = field(default=None, repr=False)
    _tell: Callable[[], int] = field(default=int, repr=False)
    _handles: list[Any] = field(default_factory=list, repr=False)
    _text: TextStream | None = field(default=None, repr=False)

    def binary(self) -> BinaryIO:
        """Return the decompressed byte stream."""
        return self._stream

    def text(self) -> TextStream:
        """Return the decoded text stream (the same one on every call)."""
        if self._text is None:
            self._text = TextStream(self._stream, self.encoding, self.name)
        return self._text

    def position(self) -> int:
        """Return how many bytes of the file on disk were read so far."""
        return self._tell()

    def close(self) -> None:
        """Close the file and any decompressor."""
        while self._handles:
            self._handles.pop().close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_source(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    format: str | None = None,
    stdin: BinaryIO | None = None,
    max_size: int | None = None,
) -> Source:
    """Open a file, or standard input for "-", for a reader; a compressed file
    that unpacks to more than `max_size` bytes is a SourceError when read."""
    encoding = _codec_name(encoding)
    format = format.lower().lstrip(".") if format else None
    name = os.fsdecode(path)
    if name == "-":
        if not format:
            raise SourceError(
                "reading standard input needs --format",
                name="<stdin>",
                code="format_required",
            )
        counter = _Counter(sys.stdin.buffer if stdin is None else stdin)
        return Source("<stdin>", format, encoding, None, "", counter, counter.tell)
    file = _open_file(name)
    source = Source(name, format, encoding, os.fstat(file.fileno()).st_size)
    source._handles.append(file)
    source._tell = file.tell
    try:
        base, extension = os.path.splitext(name.lower())
        stream: Any = file
        if extension in DECOMPRESSORS:
            stream = DECOMPRESSORS[extension](file)
            source._handles.append(stream)
            stream = _Guarded(stream, name, max_size)
            extension = os.path.splitext(base)[1]
        elif extension == ".zip":
            stream, member = _open_zip(file, name, source._handles, max_size)
            extension = os.path.splitext(member.lower())[1]
            size = source.size  # the central directory after the member is not read
            source._tell = lambda: size if stream.done else file.tell()
    except BaseException:
        source.close()
        raise
    source._stream, source.extension = stream, extension
    source.format = format or FORMATS.get(extension)
    return source


class TextStream:
    """The text of a source, decoded strictly in chunks of CHUNK_SIZE bytes.

    Iterate for lines (ends kept; split at "\\r\\n", "\\n" or "\\r", as a file opened
    with newline="" does), or call read(n) / readline(); use one way per stream.
    """

    def __init__(self, raw: BinaryIO, encoding: str, name: str) -> None:
        self.name = name
        self.encoding = encoding
        self._raw = raw
        self._codec = "utf-8-sig" if encoding == "utf-8" else encoding
        self._chunks = self._decode()
        self._head = b""  # the first bytes, to recognise a binary file
        self._lines = 0  # line ends in the text handed out so far
        self._buffer = ""  # for read() and readline()
        self._pos = 0

    def __iter__(self) -> Iterator[str]:
        return self.lines()

    def lines(self, max_line: int | None = None, newline: str = "") -> Iterator[str]:
        """Iterate over lines; a line over `max_line` characters is a SourceError.

        Lines are split from big blocks in C, so iterating costs no Python code per
        line; memory holds a block and the longest line.
        """
        return chain.from_iterable(self._blocks(max_line, newline))

    def blocks(
        self, max_line: int | None = None, merge_blank: bool = False
    ) -> Iterator[list[str]]:
        """Iterate over lists of lines (as lines() does), a block of text at a time.

        With `merge_blank`, a run of blank lines may come as one item, so a block
        of them costs no step per line (line_count still counts every line).
        """
        return self._blocks(max_line, "", merge_blank)

    @property
    def line_count(self) -> int:
        """Return how many lines were handed out so far."""
        return self._lines

    def read(self, size: int = -1) -> str:
        """Return up to `size` characters (all the rest if negative); "" at the end."""
        if size < 0:
            size = sys.maxsize
        if len(self._buffer) - self._pos < size:
            parts, have = [self._buffer[self._pos :]], len(self._buffer) - self._pos
            while have < size and (text := self._next()):
                parts.append(text)
                have += len(text)
            self._buffer, self._pos = "".join(parts), 0
        text = self._buffer[self._pos : self._pos + size]
        self._pos += len(text)
        return text

    def readline(self, size: int = -1) -> str:
        """Return the next line with its "\\n", or its first `size` characters."""
        while (end := self._buffer.find("\n", self._pos) + 1) == 0:
            available = len(self._buffer) - self._pos
            if 0 <= size <= available or not self._fill():
                end = len(self._buffer)
                break
        if size >= 0:
            end = min(end, self._pos + size)
        line = self._buffer[self._pos : end]
        self._pos = end
        return line

    def _fill(self) -> bool:
        text = self._next()
        self._buffer = self._buffer[self._pos :] + text
        self._pos = 0
        return bool(text)

    def _next(self) -> str:
        """Return the next decoded chunk ("" at the end) for read() and readline()."""
        text = next(self._chunks, "")
        if not isinstance(text, str):
            raise text(self._lines + 1)
        self._lines += text.count("\n")
        return text

    def _blocks(
        self, max_line: int | None, newline: str, merge: bool = False
    ) -> Iterator[list[str]]:
        """Yield the lines of the text, a block of them at a time."""
        rest, self._buffer, self._pos = self._buffer[self._pos :], "", 0
        pending: list[str] = []  # the start of a line that goes on in the next chunk
        size = 0
        for text in chain([rest], self._chunks):
            if not isinstance(text, str):  # the text ended with an error
                raise text(self._lines + line_ends("".join(pending)) + 1)
            if not text:
                continue
            cut = text.rfind("\n") + 1
            if newline == "":  # a "\r" at the very end may be half of a "\r\n"
                cut = max(cut, text.rfind("\r", 0, len(text) - 1) + 1)
            if not cut:
                pending.append(text)
                size += len(text)
                if max_line is not None and size > max_line:
                    raise self._too_long(max_line, self._lines + 1)
                continue
            block = "".join([*pending, text[:cut]]) if pending else text[:cut]
            pending = [text[cut:]] if cut < len(text) else []
            size = len(text) - cut
            yield self._split(block, max_line, newline, merge)
        if pending:
            yield self._split("".join(pending), max_line, newline, merge)

    def _split(
        self, block: str, max_line: int | None, newline: str, merge: bool = False
    ) -> list[str]:
        if merge and _blank_head(block):  # likely a run: splitting it costs more
            return self._merge(block, max_line)
        if _plain(block) and (newline == "" or "\r" not in block):
            lines = block.splitlines(keepends=True)
        else:  # splitlines() would also split at "\f", "\x1c", "\u2028" ...
            lines = list(io.StringIO(block, newline=newline))
        if merge and _blank_lines(lines) >= MERGE:
            return self._merge(block, max_line)
        if max_line is not None and len(block) > max_line:
            for number, line in enumerate(lines, self._lines + 1):
                if len(line) > max_line:
                    raise self._too_long(max_line, number)
        self._lines += len(lines)
        return lines

    def _merge(self, block: str, max_line: int | None) -> list[str]:
        """Split a block at "\r\n", "\n" or "\r", each run of blank lines one item."""
        lines = _LINES.findall(block)
        if max_line is not None and len(block) > max_line:
            number = self._lines
            for line in lines:
                blank = line[0] in "\r\n"
                number += line_ends(line) if blank else 1
                if not blank and len(line) > max_line:
                    raise self._too_long(max_line, number)
        self._lines += line_ends(block) + (block[-1] not in "\r\n")
        return lines

    def _too_long(self, limit: int, line: int) -> SourceError:
        return SourceError(
            f"line {line} is longer than {limit:,} characters"
            " (the record size limit, --max-record-size)",
            name=self.name,
            line=line,
            code="too_large",
        )

    def _decode(self) -> Iterator[str | Callable[[int], SourceError]]:
        """Yield decoded chunks. At a bad byte or a NUL, yield the whole lines before
        it, then a function making the SourceError from the line number."""
        decoder = codecs.getincrementaldecoder(self._codec)()
        offset = 0  # of `data` in the decompressed bytes
        while True:
            try:
                data = self._raw.read(CHUNK_SIZE)
            except SourceError as exc:  # corrupt compressed data
                yield partial(_at_line, exc)
                return
            self._head = self._head or data[:8]
            state = decoder.getstate()
            failure: Callable[[int], SourceError] | None = None
            try:
                text = decoder.decode(data, not data)
            except UnicodeDecodeError as exc:
                text = self._decodable_prefix(exc, data, state)
                failure = partial(self._decode_error, exc, data, offset)
            except UnicodeError as exc:  # e.g. "UTF-16 stream does not start with BOM"
                text, failure = "", partial(self._codec_error, exc)
            if (nul := text.find("\x00")) >= 0:
                text, failure = text[:nul], self._nul_error
            if failure is None:
                if text:
                    yield text
                if not data:
                    return
                offset += len(data)
                continue
            if whole := max(text.rfind("\n"), text.rfind("\r")) + 1:
                yield text[:whole]
            yield failure
            return

    def _decodable_prefix(
        self, exc: UnicodeDecodeError, data: bytes, state: tuple[bytes, int]
    ) -> str:
        """Return the text of `data` before the bytes that failed to decode."""
        end = max(len(data) - (len(exc.object) - exc.start), 0)
        try:
            decoder = codecs.getincrementaldecoder(self._codec)()
            decoder.setstate(state)
            return decoder.decode(data[:end])
        except (UnicodeDecodeError, TypeError, ValueError):  # an unusual codec
            return data[:end].decode("latin-1")

    def _decode_error(
        self, exc: UnicodeDecodeError, data: bytes, offset: int, line: int
    ) -> SourceError:
        bad = exc.object[exc.start : exc.end][:8]
        shown = " ".join(f"0x{byte:02x}" for byte in bad)
        message = f"cannot decode {'byte' if len(bad) == 1 else 'bytes'} {shown}"
        message += f" as {self.encoding}"
        if binary := self._binary_kind():
            message += f" ({binary})"
        elif offset == 0 and data.startswith(_UTF16_BOMS) and self._codec != "utf-16":
            message += " (the file starts with a UTF-16 BOM: try --encoding utf-16)"
        elif exc.reason == "unexpected end of data":
            message += " (the file ends in the middle of a character)"
        elif self.encoding == "utf-8":
            message += " (is the file cp1252? try --encoding cp1252)"
        else:
            message += " (try another --encoding)"
        return SourceError(message, name=self.name, line=line, code="decode")

    def _codec_error(self, exc: UnicodeError, line: int) -> SourceError:
        message = f"cannot decode the text as {self.encoding}: {exc}"
        if self._codec == "utf-16":
            message += " (try --encoding utf-16-le or utf-16-be)"
        return SourceError(message, name=self.name, line=line, code="decode")

    def _nul_error(self, line: int) -> SourceError:
        message = f"line {line} contains a NUL byte; "
        if binary := self._binary_kind():
            message += binary
        else:
            message += "is this a binary file (or UTF-16: try --encoding utf-16)?"
        return SourceError(message, name=self.name, line=line, code="nul_byte")

    def _binary_kind(self) -> str:
        for magic, kind in _MAGIC.items():
            if self._head.startswith(magic):
                return f"this is {kind}, not text"
        return ""


def _blank_lines(lines: list[str]) -> int:
    """Count the blank lines in a list of lines, cheaply (str.count of "\n\n"
    costs more than a list's count)."""
    return lines.count("\n") + lines.count("\r\n") + lines.count("\r")


def _blank_head(text: str) -> bool:
    """Tell whether `text` starts with blank lines among its first characters."""
    head = text[:256]
    return "\n\n\n\n" in head or "\r\n\r\n\r\n" in head or "\r\r\r\r" in head


def _plain(text: str) -> bool:
    """Tell whether "\\r", "\\n" and "\\r\\n" are the only line breaks in `text`."""
    if any(char in text for char in "\x0b\x0c\x1c\x1d\x1e"):
        return False
    return text.isascii() or not any(char in text for char in "\x85\u2028\u2029")


def line_ends(text: str) -> int:
    """Count the line ends in `text`: "\r\n", "\n" or "\r"."""
    count = text.count("\n")
    if "\r" in text:
        count += text.count("\r") - text.count("\r\n")
    return count


def _at_line(error: SourceError, line: int) -> SourceError:
    error.line = line
    return error


def _codec_name(encoding: str | None) -> str:
    if encoding is None:
        return "utf-8"
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise SourceError(f"unknown encoding {encoding!r}", code="unknown_encoding")
    return info.name


def _open_file(name: str) -> BinaryIO:
    if os.path.isdir(name):
        raise SourceError("is a directory, not a file", name=name, code="not_a_file")
    try:
        return open(name, "rb")
    except FileNotFoundError:
        raise SourceError("no such file", name=name, code="not_found") from None
    except OSError as exc:
        message = f"cannot open: {exc.strerror}"
        raise SourceError(message, name=name, code="unreadable") from None


def _open_zip(
    file: BinaryIO, name: str, handles: list[Any], max_size: int | None
) -> tuple[Any, str]:
    """Return a stream of the one file in a zip archive, and that file's name."""
    try:
        archive = zipfile.ZipFile(file)
        handles.append(archive)
        members = [
            info
            for info in archive.infolist()
            # Not info.is_dir(): it indexes the name, empty in a mangled archive.
            if info.filename
            and not info.filename.endswith("/")
            and not info.filename.startswith("__MACOSX/")
        ]
        if len(members) != 1:
            names = ", ".join(info.filename for info in members[:5])
            found = f"{len(members)}: {names}" if members else "none"
            message = f"a .zip must hold exactly one file; this one holds {found}"
            raise SourceError(message, name=name, code="zip_members")
        stream = archive.open(members[0])
    except (
        zipfile.BadZipFile,
        RuntimeError,
        NotImplementedError,
        OSError,
        EOFError,
        ValueError,
    ) as exc:
        raise SourceError(
            f"cannot read the zip: {exc}", name=name, code="corrupt"
        ) from None
    handles.append(stream)
    return _Guarded(stream, name, max_size), members[0].filename


class _Guarded:
    """A decompressing byte stream on which corrupt data, or more than `limit`
    bytes, is a SourceError."""

    def __init__(self, raw: BinaryIO, name: str, limit: int | None = None) -> None:
        self._raw = raw
        self._name = name
        self._limit = limit
        self.count = 0  # bytes read
        self.done = False  # read to the end

    def read(self, size: int = -1) -> bytes:
        if self._limit is not None and (size < 0 or size > self._limit):
            size = self._limit + 1  # never unpack much more than the limit
        try:
            data = self._raw.read(size)
        except _CORRUPT as exc:
            raise SourceError(
                f"the compressed data is truncated or corrupt ({exc})",
                name=self._name,
                code="corrupt",
            ) from None
        self.done = self.done or (not data and size != 0)
        self.count += len(data)
        if self._limit is not None and self.count > self._limit:
            raise too_big(self._name, self._limit, "unpacks to")
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()


def too_big(name: str, limit: int, what: str) -> SourceError:
    """Return the error of a file over the file size limit (a decompression bomb?)."""
    return SourceError(
        f"the file {what} more than {limit:,} bytes (the file size limit, "
        "--max-file-size)",
        name=name,
        code="too_large",
    )


class _Counter:
    """A byte stream that counts the bytes read (standard input cannot tell())."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data

    def tell(self) -> int:
        return self.count

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass  # standard input is not ours to close
