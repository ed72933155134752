"""Match a file's columns to model fields, before any row is read.

Headers match a field's name, its verbose name, or an alias (`Importer.columns`,
`--map`), case-insensitively after trimming. Unknown and missing columns fail here,
up front, with a suggestion of the closest field.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.db import models

from .errors import SourceError
from .importer import Importer


def normalize(name: str) -> str:
    return " ".join(str(name).split()).casefold()


@dataclass(frozen=True)
class ColumnMap:
    """Which column fills which field: `sources[field_name] = column` (index or key)."""

    sources: dict[str, int | str]
    columns: dict[str, str]  # field name -> the column's header as written
    ignored: tuple[str, ...]
    #: ignored (non-blank) columns -> the field they were probably meant for
    hints: dict[str, str | None] = field(default_factory=dict)


def field_aliases(
    importer: type[Importer], fields: list[models.Field], extra: dict[str, str]
) -> dict[str, str]:
    """Return every accepted header spelling (normalized) -> field name."""
    names = {f.name for f in fields}
    aliases: dict[str, str] = {}
    for f in fields:
        aliases[normalize(f.verbose_name)] = f.name
        if f.attname != f.name:
            aliases[normalize(f.attname)] = f.name
    for f in fields:
        aliases[normalize(f.name)] = f.name
    for column, name in [*importer.columns.items(), *extra.items()]:
        if name not in names:
            raise SourceError(
                f"--map {column}={name}: {importer.model._meta.label} has no "
                f"importable field {name!r} (fields: {', '.join(sorted(names))})",
                code="unknown_field",
            )
        aliases[normalize(column)] = name
    return aliases


def unknown_column(
    importer: type[Importer],
    aliases: dict[str, str],
    header: str,
    *,
    file: str,
    line: int | None,
) -> SourceError:
    """Return the error for a column (or JSON key) that names no field."""
    hint = difflib.get_close_matches(normalize(header), list(aliases), n=1)
    suggestion = f"; did you mean {aliases[hint[0]]!r}?" if hint else ""
    return SourceError(
        f"column {header!r} matches no field of {importer.model._meta.label}"
        f"{suggestion} (use --ignorenonexistent to skip unknown columns)",
        name=file,
        line=line,
        column=header,
        code="unknown_column",
    )


class KeyResolver:
    """Match each JSON object's own keys to fields (objects may be ragged).

    An object is read by its keys, not by the first object's: a key that names a
    field fills it wherever it appears, and an object that omits a key leaves that
    field out of its record (see planning.Planner.complete).
    """

    def __init__(
        self, importer: type[Importer], *, file: str, extra_map: dict[str, str]
    ) -> None:
        self.importer = importer
        self.file = file
        self.aliases = field_aliases(importer, importer.get_fields(), extra_map)

    def field_of(self, key: str) -> str | None:
        return self.aliases.get(normalize(key))

    def unknown(self, key: str, line: int | None) -> SourceError:
        return unknown_column(
            self.importer, self.aliases, key, file=self.file, line=line
        )

    def duplicate(self, first: str, second: str, name: str, line: int) -> SourceError:
        return SourceError(
            f"keys {first!r} and {second!r} both fill field {name!r}",
            name=self.file,
            line=line,
            column=second,
            code="duplicate_column",
        )


def is_required(field: models.Field, importer: type[Importer]) -> bool:
    """Return whether a new row cannot be created without this field's column."""
    if field.many_to_many or field.name in importer.defaults:
        return False
    return not (
        field.blank or field.null or field.has_default() or field.has_db_default()
    )


def map_columns(
    importer: type[Importer],
    headers: list[str],
    *,
    file: str,
    extra_map: dict[str, str],
    ignore_nonexistent: bool,
    needs_required: bool,
    key: tuple[str, ...],
    positional: bool,
) -> ColumnMap:
    """Return how `headers` fill the importer's fields, or fail naming the column."""
    fields = importer.get_fields()
    aliases = field_aliases(importer, fields, extra_map)
    sources: dict[str, int | str] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    hints: dict[str, str | None] = {}
    for position, header in enumerate(headers):
        name = aliases.get(normalize(header))
        if name is None:
            hint = difflib.get_close_matches(normalize(header), list(aliases), n=1)
            if ignore_nonexistent or not str(header).strip():
                ignored.append(header)
                if str(header).strip():
                    hints[str(header)] = aliases[hint[0]] if hint else None
                continue
            raise unknown_column(
                importer, aliases, header, file=file, line=1 if positional else None
            )
        if name in sources:
            raise SourceError(
                f"columns {columns[name]!r} and {header!r} both fill field {name!r}",
                name=file,
                line=1 if positional else None,
                column=header,
                code="duplicate_column",
            )
        sources[name] = position if positional else header
        columns[name] = header
    missing = [n for n in key if n not in sources]
    if needs_required:
        missing += [
            f.name
            for f in fields
            if is_required(f, importer) and f.name not in sources and f.name not in key
        ]
    if missing:
        raise SourceError(
            f"missing required column{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)}",
            name=file,
            line=1 if positional else None,
            code="missing_column",
        )
    # A misspelt column whose field stays unfilled is what -i hides: say it.
    hints = {c: h if h not in sources else None for c, h in hints.items()}
    return ColumnMap(sources, columns, tuple(ignored), hints)
