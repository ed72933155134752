"""What one import run is asked to do: the command's options as one frozen value.

The command parses its options into `ImportOptions`; the engine reads only this,
never `**kwargs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MODES = ("create", "upsert", "update", "skip")
ON_ERROR = ("abort", "skip")


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
    # reading
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
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

    @property
    def stops_at_first_error(self) -> bool:
        """A real run with --on-error abort stops; a dry run checks everything."""
        return self.on_error == "abort" and not self.dry_run
