"""`--errors-file`: every rejected row as CSV, its cells plus `line` and `error`.

Written by pipeline.py as rows are rejected, so it can be fixed and imported again.
What it promises (tests/test_reliability_errorsfile.py):

- Formula injection (CSV injection): a spreadsheet runs a cell that starts with
  = + - @ tab or carriage return as a formula (`=HYPERLINK(...)`, `@SUM(...)`,
  `-2+3+cmd|' /C calc'!A0`). Every such cell is written with a leading `'`, as
  OWASP advises, so the spreadsheet shows it as text; that holds for the header, the
  `error` column and the file name too, since all of them may come from the data.
  The price: a cell such as `-1` is written `'-1`. `raw=True` (the command's
  `--keep-raw-errors`) writes every value exactly as it was read, for a program
  rather than a person to read.
- Nothing is lost: a ragged row's surplus cells follow the `error` column; when a
  run's files have different columns, a new header row (starting with `file`)
  comes before the first row of a file with other columns; a value that is not
  valid Unicode (a lone surrogate) is written as a `\\udxxx` escape rather than
  failing the run.
- The file is opened (and emptied) when the run starts: a path that cannot be
  written fails before anything is imported, and an errors file left by an earlier
  run never passes for this one's. A run that rejects nothing leaves it empty.
- Each row is flushed as it is written: a run that is killed leaves whole rows.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from .errors import SourceError

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
        self.writer: Any = None
        self.columns: list[str] | None = None
        self.written = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.stream: IO[str] = self.path.open(
                "w", newline="", encoding="utf-8", errors="backslashreplace"
            )
        except OSError as exc:
            raise SourceError(
                f"cannot write the errors file: {exc.strerror or exc}",
                name=str(path),
                code="unwritable",
            ) from None

    def add(
        self,
        *,
        file: str,
        columns: list[str],
        cells: Any,
        line: int | None,
        error: str,
    ) -> None:
        """Write one rejected row: its cells, its line and why it was rejected."""
        if self.writer is None:
            self.writer = csv.writer(self.stream)
        if columns != self.columns:  # the first row, or a file with other columns
            self.columns = list(columns)
            header = [*(["file"] if self.several_files else []), *self.columns]
            self.write([*header, "line", "error"])
        if isinstance(cells, dict):
            values = [cells.get(c) for c in self.columns]
            surplus: list[Any] = []
        else:
            values = list(cells)[: len(self.columns)]
            surplus = list(cells)[len(self.columns) :]
            values += [""] * (len(self.columns) - len(values))
        texts = [cell_text(v) for v in values]
        texts += ["" if line is None else str(line), error]
        texts += [cell_text(v) for v in surplus]
        self.write([file, *texts] if self.several_files else texts)
        self.written += 1

    def write(self, texts: list[str]) -> None:
        if not self.raw:
            texts = [neutralize(t) for t in texts]
        self.writer.writerow(texts)
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()
