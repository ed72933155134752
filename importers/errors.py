"""Errors of the first two pipeline steps (sources.py, readers/): unreadable files.

A `SourceError` aborts one file; an error in a single record that lets the file go on
is not an exception but `Row.error` (see readers/base.py).
"""


class SourceError(Exception):
    """A file that cannot be read on: names where and why. Aborts that file."""

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        line: int | None = None,
        column: str | None = None,
        code: str = "invalid",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.line = line
        self.column = column
        self.code = code

    def __str__(self) -> str:
        if self.name:
            where = self.name if self.line is None else f"{self.name}:{self.line}"
        else:
            where = "" if self.line is None else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message

    def __repr__(self) -> str:
        return f"SourceError({str(self)!r}, code={self.code!r})"


class ConfigurationError(SourceError):
    """The run asks for something the model cannot do (a key, a lookup, a path).

    Raised before any row is read; a command reports it as a usage error.
    """
