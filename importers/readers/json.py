"""JSON readers: step 2 of the pipeline, a Source's text as Rows of objects.

    sources.py  ->  readers/json.py  ->  pipeline.py

"json" is one top-level array of objects, streamed: the json module's C scanner
decodes one item at a time from a buffer of a chunk or so, never the whole file.
"jsonl" is one object per line. Numbers with a fraction or exponent are Decimals,
others ints; NaN and Infinity are not JSON and are rejected. So are what the json
module would take but no database can store, or would crash on: a lone surrogate
escape ("\\ud800"), an integer past Python's digit limit, nesting too deep to decode.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from importers.errors import SourceError
from importers.readers.base import Reader, Row

CHUNK = 1 << 16  # characters read at a time
_space = re.compile(r"[ \t\n\r]*").match
_comma = re.compile(r"[ \t\n\r]*,[ \t\n\r]*").match
_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
_KINDS.update({int: "a number", Decimal: "a number", type(None): "null"})
_STARTS = {"{": "an object", '"': "a string", "t": "a boolean", "f": "a boolean"}
_STARTS.update(
    {"n": "null", "-": "a number", **dict.fromkeys("0123456789", "a number")}
)
_NEAR_END = 16  # an error this close to the buffer's end may just need more text
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # cheap test before a full walk


class _NotJSON(ValueError):
    pass


def _reject(constant: str) -> Any:
    raise _NotJSON(f"{constant} is not valid JSON")


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "a value")


class _Window:
    """The part of the text being parsed, with the line and column of a position."""

    def __init__(self, read: Callable[[int], str]) -> None:
        self.read, self.text, self.pos, self.eof = read, "", 0, False
        self.line, self.seen = 1, 0  # text[seen] is on line `line`
        self.dropped, self.line_start = 0, 0  # offsets: of text[0], of line `line`

    def more(self) -> bool:
        """Drop the text before pos and read on; False at the end of the file."""
        text, pos = self.text, self.pos
        self.line_at(pos)
        if (newline := text.rfind("\n", 0, pos)) >= 0:
            self.line_start = self.dropped + newline + 1
        chunk = "" if self.eof else self.read(max(CHUNK, len(text) - pos))  # grows
        self.text, self.pos, self.seen = text[pos:] + chunk, 0, 0
        self.dropped += pos
        self.eof = not chunk
        return not self.eof

    def peek(self) -> str:
        """Skip white space; return the next character, "" at the end."""
        while (pos := _space(self.text, self.pos).end()) == len(self.text):
            self.pos = pos
            if not self.more():
                return ""
        self.pos = pos
        return self.text[pos]

    def line_at(self, at: int) -> int:
        """Return the line of text[at], for an `at` past the last one asked."""
        self.line += self.text.count("\n", self.seen, at)
        self.seen = at
        return self.line

    def column_at(self, at: int) -> int:
        newline = self.text.rfind("\n", 0, at)
        return at - newline if newline >= 0 else self.dropped + at - self.line_start + 1


class JSONArrayReader(Reader):
    """One top-level JSON array of objects, read item by item."""

    format = "json"
    extensions = (".json",)

    def __iter__(self) -> Iterator[Row]:
        window, scan = _Window(self.source.text().read), _decoder().scan_once
        limit = self.options.record_size_limit
        small = min(limit, self.options.field_size_limit)  # no need to look inside
        if (first := window.peek()) != "[":
            if not first:
                raise self.error("the file is empty", code="empty")
            found = _STARTS.get(first)
            message = f"expected a JSON array of objects, found {found or repr(first)}"
            raise self._fail(window, message, "not_an_array" if found else None)
        window.pos += 1
        index, char = 0, window.peek()
        while char != "]":
            if not char:
                raise self._fail(
                    window, f"the file ends before item {index}", "truncated"
                )
            line, start = window.line_at(window.pos), window.pos
            while True:  # decode one item, reading more until it is whole
                text = window.text
                try:
                    value, end = scan(text, start)
                    if end < len(text) or window.eof:
                        break
                    problem = None  # a number may go on in the next chunk
                except StopIteration as exc:  # a value should start at exc.value
                    problem, at = "Expecting value", exc.value
                except json.JSONDecodeError as exc:
                    problem, at = exc.msg, exc.pos
                except _NotJSON as exc:
                    raise self._fail(window, str(exc)) from None
                except (ValueError, RecursionError) as exc:
                    why, code = _unreadable(exc)
                    raise self._fail(
                        window, f"item {index} {why}", code, start
                    ) from None
                if problem:
                    cut = at >= len(text) or problem.startswith("Unterminated")
                    if cut and window.eof:
                        message = f"the file ends in the middle of item {index}"
                        raise self._fail(window, message, "truncated", at)
                    if not cut and (window.eof or at < len(text) - _NEAR_END):
                        message = f"invalid JSON in item {index}: {problem}"
                        raise self._fail(window, message, None, at)
                if len(text) - start > limit:
                    _check_size(self, None, len(text) - start, line, f"item {index}")
                window.more()
                start = window.pos
            if _SURROGATE_ESCAPE.search(text, start, end) and (
                bad := _lone_surrogate(value)
            ):
                message = f"item {index} holds {bad}"
                yield Row(line, {}, index, message, "invalid_unicode")
            elif end - start <= small and type(value) is dict:
                yield Row(line, value, index)
            else:
                yield self._row(line, index, value, end - start)
            window.pos, index = end, index + 1
            comma = _comma(window.text, end)  # the usual ", " before the next item
            after = comma.end() if comma else len(window.text)
            if (char := window.text[after : after + 1]) and char != "]":
                window.pos = after
            elif (char := window.peek()) == ",":
                window.pos += 1
                if (char := window.peek()) == "]":
                    raise self._fail(window, "trailing comma before ']'")
            elif not char:
                message = f"the file ends after item {index - 1}"
                raise self._fail(window, message, "truncated")
            elif char != "]":
                message = f"expected ',' or ']' after item {index - 1}"
                raise self._fail(window, message)
        window.pos += 1
        if window.peek():
            raise self._fail(window, "unexpected text after the array")

    def _row(self, line: int, index: int, value: Any, size: int) -> Row:
        _check_size(self, value, size, line, f"item {index}")
        if type(value) is dict:
            return Row(line, value, index)
        message = f"item {index} is {_kind(value)}, expected an object"
        return Row(line, {}, index, message, "not_an_object")

    def _fail(
        self, window: _Window, message: str, code: str | None = None, at: int = -1
    ) -> SourceError:
        at = window.pos if at < 0 else at
        if code != "not_an_array":
            message += f" (column {window.column_at(at)})"
        return self.error(message, line=window.line_at(at), code=code or "invalid_json")


class JSONLinesReader(Reader):
    """JSON Lines: one object per line; a bad line is a Row error, the file goes on."""

    format = "jsonl"
    extensions = (".jsonl", ".ndjson")

    def __iter__(self) -> Iterator[Row]:
        decode, limit = _decoder().decode, self.options.record_size_limit
        lines = self.source.text().lines(max_line=limit, newline="\n")
        for number, text in enumerate(lines, 1):
            if text.isspace():
                continue
            try:
                value = decode(text)
            except json.JSONDecodeError as exc:
                # An error at the line's end is at "column 1" of the next line.
                column = exc.colno if exc.lineno == 1 else len(text.rstrip()) + 1
                message = f"invalid JSON: {exc.msg} (column {column})"
                yield Row(number, {}, None, message, "invalid_json")
            except _NotJSON as exc:
                yield Row(number, {}, None, f"invalid JSON: {exc}", "invalid_json")
            except (ValueError, RecursionError) as exc:
                why, code = _unreadable(exc)
                yield Row(number, {}, None, f"the line {why}", code)
            else:
                _check_size(self, value, len(text), number, "the line")
                if _SURROGATE_ESCAPE.search(text) and (bad := _lone_surrogate(value)):
                    yield Row(number, {}, None, f"line holds {bad}", "invalid_unicode")
                elif type(value) is dict:
                    yield Row(number, value)
                else:
                    message = f"line is {_kind(value)}, expected an object"
                    yield Row(number, {}, None, message, "not_an_object")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_float=Decimal, parse_constant=_reject)


def _check_size(reader: Reader, value: Any, size: int, line: int, what: str) -> None:
    """Fail on a record over the record size limit, or holding a string over the
    field size limit (looked for only in records that could hold one)."""
    options = reader.options
    if size > options.record_size_limit:
        limit = f"{options.record_size_limit:,} characters"
        limit += " (the record size limit, --max-record-size)"
        raise reader.error(
            f"{what} is longer than {limit}", line=line, code="too_large"
        )
    if size > options.field_size_limit and _longest(value) > options.field_size_limit:
        limit = f"{options.field_size_limit:,} characters"
        limit += " (the field size limit, --max-field-size)"
        message = f"{what} holds a value longer than {limit}"
        raise reader.error(message, line=line, code="too_large")


def _unreadable(exc: ValueError | RecursionError) -> tuple[str, str]:
    """Say why the json module could not build a value it parsed; and a code."""
    if isinstance(exc, RecursionError):
        return "is nested too deeply", "too_deep"
    digits = sys.get_int_max_str_digits()
    return f"holds a number longer than {digits:,} digits", "too_large"


def _strings(value: Any) -> Iterator[str]:
    """Yield every string (key or value) in a JSON value; no recursion, so a
    value nested as deep as the json module allows is fine."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack += value
            stack += value.values()
        elif isinstance(value, list):
            stack += value


def _lone_surrogate(value: Any) -> str:
    """Describe a lone surrogate (not Unicode, storable nowhere) in a value, or ""."""
    for text in _strings(value):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(text[exc.start])
            return f"a lone surrogate \\u{code:04x} (not valid Unicode)"
    return ""


def _longest(value: Any) -> int:
    """Return the length of the longest string (key or value) in a JSON value."""
    return max(map(len, _strings(value)), default=0)
