"""What an import did: counts per action, rejected rows, previews, timings.

The engine fills a `Report`; the command prints it, as text or as JSON for CI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("create", "update", "unchanged", "skip", "reject")
MAX_KEPT_ERRORS = 1000
#: cells that mean "missing" in common exports (R, pandas, Excel, SQL dumps)
NULL_LIKE = frozenset(
    ["NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "none", "#N/A"]
)
DAY_MONTH_YEAR = re.compile(
    r"\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T](\d{1,2}:\d{2}(:\d{2})?))?\s*"
)
WHOLE_FLOAT = re.compile(r"\s*[+-]?\d+\.0+\s*")


@dataclass(slots=True)
class RowError:
    """Why one row of a file was rejected: where, which column, which value."""

    file: str
    line: int | None
    message: str
    code: str = "invalid"
    column: str | None = None
    value: Any = None
    index: int | None = None
    cells: Any = None

    @property
    def where(self) -> str:
        place = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.index is not None:
            place += f" [item {self.index}]"
        return place

    def __str__(self) -> str:
        text = self.where
        if self.column is not None:
            text += f": column {self.column!r}"
            if self.value is not None:
                text += f", value {shorten(self.value)!r}"
        return f"{text}: {self.message}"

    @property
    def hint(self) -> tuple[str, dict[str, str]] | None:
        """Return (code, params) of a likely fix, for a caller to phrase, or None.

        Codes: `null` (a cell like NA that means missing), `date_format` and
        `datetime_format` (a date in another order: the strptime format),
        `whole_float` (517.0 where an integer belongs, as pandas writes them).
        """
        value = self.value
        if not isinstance(value, str) or not self.code.startswith("invalid"):
            return None
        if value.strip() in NULL_LIKE:
            return "null", {}
        if "date" in self.message and (match := DAY_MONTH_YEAR.fullmatch(value)):
            first, sep, second, year, clock, seconds = match.groups()
            order = "%m{0}%d" if int(second) > 12 >= int(first) else "%d{0}%m"
            fmt = order.format(sep) + sep + ("%Y" if len(year) == 4 else "%y")
            if clock:
                fmt += " %H:%M" + (":%S" if seconds else "")
                return "datetime_format", {"format": fmt}
            return "date_format", {"format": fmt}
        if WHOLE_FLOAT.fullmatch(value) and "integer" in self.message:
            return "whole_float", {}
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "index": self.index,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "code": self.code,
            "message": self.message,
            "hint": self.hint[0] if self.hint else None,
        }


def shorten(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class FileReport:
    """The outcome of importing one file."""

    name: str
    importer: str
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    related_created: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # every error, also those past the MAX_KEPT_ERRORS kept
    ignored: dict[str, str | None] = field(default_factory=dict)  # column -> hint
    previews: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    committed: list[tuple[int, int]] = field(default_factory=list)
    seconds: float = 0.0
    aborted: str | None = None
    #: which write path ran ("sql", "orm", "save") and why, in one line
    write_path: str = ""
    write_reason: str = ""
    #: what save() would have done that the path did not (--bulk), or ""
    write_skipped: str = ""

    @property
    def rejected(self) -> int:
        return self.counts["reject"]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def add_rejected(self, errors: list[RowError]) -> None:
        """Count one rejected row; keep its errors while fewer than the cap are kept."""
        self.counts["reject"] += 1
        self.error_count += len(errors)
        room = MAX_KEPT_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def add_committed(self, first: int, last: int) -> None:
        """Note that lines first..last are now committed (for --no-atomic)."""
        if self.committed and self.committed[-1][1] + 1 >= first:
            self.committed[-1] = (self.committed[-1][0], last)
        else:
            self.committed.append((first, last))

    def summary(self, dry_run: bool = False) -> str:
        """Return the file's one-line outcome ("would create" in a dry run)."""
        if self.rows == 0:
            return f"{self.name}: no rows (the file has only a header); nothing to do"
        c = self.counts
        text = (
            f"{self.name}: {self.rows} row{'s' * (self.rows != 1)} read, "
            f"{c['create']} created, {c['update']} updated, {c['unchanged']} "
            f"unchanged, {c['skip']} skipped, {c['reject']} rejected in "
            f"{self.seconds:.2f}s ({self.rows_per_second:,.0f} rows/s)"
        )
        if self.related_created:
            made = ", ".join(f"{name} {n}" for name, n in self.related_created.items())
            what = "would create" if dry_run else "created"
            text += f"; {what} related rows: {made}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "importer": self.importer,
            "rows": self.rows,
            "created": self.counts["create"],
            "updated": self.counts["update"],
            "unchanged": self.counts["unchanged"],
            "skipped": self.counts["skip"],
            "rejected": self.counts["reject"],
            "related_created": self.related_created,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "committed_lines": [list(r) for r in self.committed],
            "write_path": self.write_path,
            "write_reason": self.write_reason,
            "write_skipped": self.write_skipped,
            "aborted": self.aborted,
            "ignored_columns": list(self.ignored),
            "errors": [e.as_dict() for e in self.errors],
            "errors_total": self.error_count,
            "errors_truncated": self.error_count > len(self.errors),
        }


@dataclass
class Report:
    """The outcome of a whole import run: one FileReport per file."""

    files: list[FileReport] = field(default_factory=list)
    dry_run: bool = False
    atomic: bool = True
    rolled_back: bool = False
    aborted: str | None = None
    finished: bool = False  # every file was read and its rows written (committed)

    def total(self, action: str) -> int:
        return sum(f.counts[action] for f in self.files)

    @property
    def ok(self) -> bool:
        return self.aborted is None and self.total("reject") == 0

    @property
    def written(self) -> bool:
        """Return whether anything of this run stays in the database."""
        if self.dry_run:
            return False
        if self.atomic:
            return self.finished
        return any(f.committed for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "atomic": self.atomic,
            "ok": self.ok,
            "rolled_back": self.rolled_back,
            "aborted": self.aborted,
            "written": self.written,
            "errors_truncated": any(f.error_count > len(f.errors) for f in self.files),
            "totals": {
                "rows": sum(f.rows for f in self.files),
                "created": self.total("create"),
                "updated": self.total("update"),
                "unchanged": self.total("unchanged"),
                "skipped": self.total("skip"),
                "rejected": self.total("reject"),
            },
            "files": [f.as_dict() for f in self.files],
        }
