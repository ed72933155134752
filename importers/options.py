"""What one import run is asked to do: the command's options as one frozen value.

The command parses its options into `ImportOptions`; the engine reads only this,
never `**kwargs`. The size limits that keep memory and disk bounded on a hostile
file come from the options, else from a setting, else from the defaults here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from importers.readers.base import ReadOptions

MODES = ("create", "upsert", "update", "skip")
ON_ERROR = ("abort", "skip")
# option name -> (setting, default). Characters for a field and a record: 32 Mi
# characters admit real documents in a cell while the worst case (the csv module
# holds a field as 4 bytes a character) stays near 250 MB. Bytes for a file once
# decompressed, or copied aside to be seekable (.xlsx from stdin or .xlsx.gz).
LIMITS = {
    "max_field_size": ("IMPORTERS_MAX_FIELD_SIZE", 32 << 20),
    "max_record_size": ("IMPORTERS_MAX_RECORD_SIZE", 64 << 20),
    "max_file_size": ("IMPORTERS_MAX_FILE_SIZE", 4 << 30),
}
_SIZE = re.compile(r"\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Parse a size such as 1048576, "64M" or "4 GiB" (K, M, G, T are powers of
    1024); a ValueError names what was expected."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str) and (match := _SIZE.fullmatch(text)):
        digits, unit = match.groups()
        value = int(digits) << (10 * " kmgt".index(unit.lower() or " "))
    else:
        raise ValueError(f"expected a size such as 1048576, 64M or 4G, not {text!r}")
    if value < 1:
        raise ValueError(f"a size must be positive, not {text!r}")
    return value


def format_size(size: int) -> str:
    """Write a size as parse_size() reads it, in the largest whole unit: "4G"."""
    for shift, unit in ((40, "T"), (30, "G"), (20, "M"), (10, "K")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift}{unit}"
    return str(size)


def setting_limit(name: str) -> int:
    """Return a limit's setting (IMPORTERS_MAX_...), else its default."""
    setting, default = LIMITS[name]
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        value = getattr(settings, setting, None)
    except ImproperlyConfigured:  # settings not configured: the engine still works
        value = None
    if value is None:
        return default
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting}: {exc}") from None


@dataclass(frozen=True)
class ImportOptions:
    """Everything that changes how files are read, checked and written."""

    mode: str | None = None  # None: upsert when the importer has a key, else create
    batch_size: int = 1000
    dry_run: bool = False
    atomic: bool = True
    on_error: str = "abort"
    max_errors: int | None = None
    limit: int | None = None
    database: str = "default"
    native: bool = True  # False: write through the ORM (bulk_create) only
    bulk: bool = False  # True: bulk writes even where save()/signals would run
    explicit_pk: bool = False  # True: a file may fill an auto-increment pk
    # reading
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    max_field_size: int | None = None  # None: the setting, else LIMITS' default
    max_record_size: int | None = None
    max_file_size: int | None = None
    null_values: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    # mapping
    column_map: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] | None = None
    ignore_nonexistent: bool = False
    # reporting
    errors_file: Path | None = None
    overwrite_errors_file: bool = False  # else an existing errors file is refused
    preview: int = 10
    keep_raw_errors: bool = False

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")

    def read_options(self) -> ReadOptions:
        """Return how to read a file: the delimiter and the size limits."""
        return ReadOptions(
            delimiter=self.delimiter,
            field_size_limit=self.size_limit("max_field_size"),
            record_size_limit=self.size_limit("max_record_size"),
            file_size_limit=self.size_limit("max_file_size"),
        )

    def size_limit(self, name: str) -> int:
        """Return a size limit: this option, else its setting, else the default."""
        value = getattr(self, name)
        return setting_limit(name) if value is None else value

    @property
    def stops_at_first_error(self) -> bool:
        """A real run with --on-error abort stops; a dry run checks everything."""
        return self.on_error == "abort" and not self.dry_run
