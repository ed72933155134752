"""`--errors-file`: every rejected row as CSV, its cells plus `line` and `error`.

Cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR)
are prefixed with a quote, as OWASP advises against CSV injection, unless raw values
are asked for.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """Return `text` so that a spreadsheet shows it instead of evaluating it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class ErrorsFile:
    """Collect rejected rows of every file of a run into one CSV file."""

    def __init__(self, path: Path, *, raw: bool = False, several_files: bool = False):
        self.path = Path(path)
        self.raw = raw
        self.several_files = several_files
        self.stream: IO[str] | None = None
        self.writer: Any = None
        self.columns: list[str] | None = None
        self.written = 0

    def add(
        self,
        *,
        file: str,
        columns: list[str],
        cells: Any,
        line: int | None,
        error: str,
    ) -> None:
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.stream = self.path.open("w", newline="", encoding="utf-8")
            self.writer = csv.writer(self.stream)
            self.columns = list(columns)
            extra = ["line", "error"]
            self.writer.writerow(
                (["file"] if self.several_files else []) + self.columns + extra
            )
        if isinstance(cells, dict):
            values = [cells.get(c) for c in self.columns]
        else:
            values = list(cells)[: len(self.columns)]
            values += [""] * (len(self.columns) - len(values))
        texts = [cell_text(v) for v in values] + [
            "" if line is None else str(line),
            error,
        ]
        if not self.raw:
            texts = [neutralize(t) for t in texts]
        self.writer.writerow(([file] if self.several_files else []) + texts)
        self.written += 1

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
