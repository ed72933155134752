"""JSON readers: step 2 of the pipeline, a Source's text as Rows of objects.

    sources.py  ->  readers/json.py  ->  pipeline.py

"json" is one top-level array of objects, streamed: the json module's C scanner
decodes one item at a time from a buffer of a chunk or so, never the whole file.
"jsonl" is one object per line. Numbers with a fraction or exponent are Decimals,
others ints; NaN and Infinity are not JSON and are rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from importers.errors import SourceError
from importers.readers.base import Reader, Row

CHUNK = 1 << 16  # characters read at a time
_SPACE = re.compile(r"[ \t\n\r]*")
_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
_KINDS.update({int: "a number", Decimal: "a number", type(None): "null"})
_STARTS = {"{": "an object", '"': "a string", "t": "a boolean", "f": "a boolean"}
_STARTS.update({"n": "null", "-": "a number", **dict.fromkeys("0123456789", "a number")})
_NEAR_END = 16  # an error this close to the buffer's end may just need more text


class _NotJSON(ValueError):
    pass


def _reject(constant: str) -> Any:
    raise _NotJSON(f"{constant} is not valid JSON")


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "a value")


class JSONArrayReader(Reader):
    """One top-level JSON array of objects, read item by item."""

    format = "json"
    extensions = (".json",)

    def __iter__(self) -> Iterator[Row]:
        read, scan = self.source.text().read, _decoder().scan_once
        limit, space = self.options.record_size_limit, _SPACE.match
        buf, pos, eof = "", 0, False
        line, seen = 1, 0  # buf[seen] is on line `line`
        dropped, line_start = 0, 0  # offsets in the text: of buf[0], of line `line`

        def more() -> bool:
            """Drop the text before pos and read on; False at the end of the file."""
            nonlocal buf, pos, eof, line, seen, dropped, line_start
            line += buf.count("\n", seen, pos)
            if (newline := buf.rfind("\n", 0, pos)) >= 0:
                line_start = dropped + newline + 1
            text = "" if eof else read(max(CHUNK, len(buf) - pos))  # grows big items
            buf, pos, seen, dropped, eof = buf[pos:] + text, 0, 0, dropped + pos, not text
            return not eof

        def peek() -> str:
            """Skip white space; return the next character, "" at the end."""
            nonlocal pos
            while (pos := space(buf, pos).end()) == len(buf):
                if not more():
                    return ""
            return buf[pos]

        def fail(message: str, at: int, code: str = "invalid_json") -> SourceError:
            newline = buf.rfind("\n", 0, at)
            column = at - newline if newline >= 0 else dropped + at - line_start + 1
            if code != "not_an_array":
                message += f" (column {column})"
            at_line = line + buf.count("\n", seen, at)
            return self.error(message, line=at_line, code=code)

        if (first := peek()) != "[":
            if not first:
                raise self.error("the file is empty", code="empty")
            found = _STARTS.get(first)
            message = f"expected a JSON array of objects, found {found or repr(first)}"
            raise fail(message, pos, "not_an_array" if found else "invalid_json")
        pos += 1
        index, char = 0, peek()
        while char != "]":
            if not char:
                raise fail(f"the file ends before item {index}", pos, "truncated")
            line, seen = line + buf.count("\n", seen, pos), pos
            while True:  # decode one item, reading more until it is whole
                try:
                    value, end = scan(buf, pos)
                    if end < len(buf) or eof:
                        break
                    problem = None  # a number may go on in the next chunk
                except StopIteration as exc:  # a value should start at exc.value
                    problem, at = "Expecting value", exc.value
                except json.JSONDecodeError as exc:
                    problem, at = exc.msg, exc.pos
                except _NotJSON as exc:
                    raise fail(str(exc), pos) from None
                if problem:
                    cut = at >= len(buf) or problem.startswith("Unterminated")
                    if cut and eof:
                        message = f"the file ends in the middle of item {index}"
                        raise fail(message, at, "truncated")
                    if not cut and (eof or at < len(buf) - _NEAR_END):
                        raise fail(f"invalid JSON in item {index}: {problem}", at)
                if len(buf) - pos > limit:
                    raise self._too_large(index, line)
                more()
            if end - pos > limit:
                raise self._too_large(index, line)
            if type(value) is dict:
                yield Row(line, value, index)
            else:
                message = f"item {index} is {_kind(value)}, expected an object"
                yield Row(line, {}, index, message, "not_an_object")
            pos, index = end, index + 1
            char = peek()
            if char == ",":
                pos += 1
                if (char := peek()) == "]":
                    raise fail("trailing comma before ']'", pos)
            elif not char:
                raise fail(f"the file ends after item {index - 1}", pos, "truncated")
            elif char != "]":
                raise fail(f"expected ',' or ']' after item {index - 1}", pos)
        pos += 1
        if peek():
            raise fail("unexpected text after the array", pos)

    def _too_large(self, index: int, line: int) -> SourceError:
        limit = self.options.record_size_limit
        message = f"item {index} is longer than {limit:,} characters (the record size limit)"
        return self.error(message, line=line, code="too_large")


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
                message = f"invalid JSON: {exc.msg} (column {exc.colno})"
                yield Row(number, {}, None, message, "invalid_json")
            except _NotJSON as exc:
                yield Row(number, {}, None, f"invalid JSON: {exc}", "invalid_json")
            else:
                if type(value) is dict:
                    yield Row(number, value)
                else:
                    message = f"line is {_kind(value)}, expected an object"
                    yield Row(number, {}, None, message, "not_an_object")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_float=Decimal, parse_constant=_reject)
