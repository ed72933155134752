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
- The path is checked before any row is read (`check_path`), and refused when it
  is one of the run's input files or a database file of any configured alias
  (compared by real path and inode), when its folder does not exist (no folder is
  ever created) or cannot be written, and when the file exists, unless the user
  asked to overwrite it (`--overwrite-errors-file`).
- The file is created at the first rejected row, not before: after a run, it
  exists exactly when that run rejected a row. A run that rejects nothing leaves
  no file (and removes the one it was allowed to overwrite), so an errors file
  left by an earlier run never passes for this one's.
- Each row is flushed as it is written: a run that is killed leaves whole rows.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from .errors import ConfigurationError, SourceError

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


def same_file(a: Path, b: Path) -> bool:
    """Return whether two paths name one file (same inode, or same real path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def database_files() -> list[Path]:
    """Return the files of every configured SQLite database, test databases too."""
    from django.db import connections

    files = []
    for alias in connections:
        settings = connections.settings[alias]
        if "sqlite" not in settings.get("ENGINE", ""):
            continue
        names = [settings.get("NAME"), (settings.get("TEST") or {}).get("NAME")]
        for name in names:
            name = str(name or "")
            if not name or name == ":memory:" or name.startswith("file:"):
                continue
            files += [
                Path(name + suffix) for suffix in ("", "-wal", "-shm", "-journal")
            ]
    return files


def check_path(path: Path, *, inputs: Iterable[Path], overwrite: bool) -> None:
    """Refuse an errors file that would destroy data or cannot be written, now."""

    def refuse(why: str, code: str) -> ConfigurationError:
        return ConfigurationError(f"--errors-file {path}: {why}", name="", code=code)

    for other in inputs:
        if same_file(path, other):
            raise refuse("it is an input file of this run", "errors_file_is_input")
    for other in database_files():
        if same_file(path, other):
            raise refuse("it is a database file", "errors_file_is_database")
    folder = path.parent
    if not folder.is_dir():
        raise refuse(f"no such folder {str(folder)!r}", "errors_file_folder")
    if path.is_dir():
        raise refuse("it is a folder", "errors_file_folder")
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise refuse(
                "the file exists; pass --overwrite-errors-file to replace it",
                "errors_file_exists",
            )
        if not os.access(path, os.W_OK):
            raise refuse("the file cannot be written", "unwritable")
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"the folder {str(folder)!r} cannot be written", "unwritable")


class ErrorsFile:
    """Collect rejected rows of every file of a run into one CSV file.

    The file is created at the first rejected row: a run that rejects nothing
    leaves none (`finish()` removes one it was allowed to overwrite).
    """

    def __init__(
        self,
        path: Path,
        *,
        raw: bool = False,
        several_files: bool = False,
        overwrite: bool = False,
    ):
        self.path = Path(path)
        self.raw = raw
        self.several_files = several_files
        self.overwrite = overwrite
        self.writer: Any = None
        self.stream: IO[str] | None = None
        self.columns: list[str] | None = None
        self.written = 0

    def open(self) -> IO[str]:
        try:
            return self.path.open(
                "w" if self.overwrite else "x",
                newline="",
                encoding="utf-8",
                errors="backslashreplace",
            )
        except OSError as exc:
            raise SourceError(
                f"cannot write the errors file: {exc.strerror or exc}",
                name=str(self.path),
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
            self.stream = self.open()
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
        """Close the file; remove a stale one this run was allowed to replace."""
        if self.stream is not None:
            self.stream.close()
        elif self.overwrite:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
