"""The import pipeline run backwards: model rows out in the shape an importer reads.

    database -> exporting.py (rows, by the importer's declaration) -> exportfiles.py

Columns are the importer's: the header it reads for each field (its `columns` alias
when it declares one, else the field name), related rows by the attribute it looks
them up by. Rows are streamed with `QuerySet.iterator(chunk_size=...)` as plain
values (`values_list`, no model instances); per chunk, one query per relation fetches
the natural keys of the related rows. Values stay Python objects here (Decimal,
datetime, lists of keys); exportfiles.py decides how each format writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import models

from .importer import Importer

CHUNK_SIZE = 2000


class ExportError(Exception):
    """An export that cannot be made as asked (unknown field, missing key...)."""


@dataclass(frozen=True)
class Column:
    """One exported column: the field it writes and the header the importer reads."""

    field: models.Field
    header: str
    lookup: str | None = None  # related rows: the attribute naming them

    @property
    def many(self) -> bool:
        return bool(self.field.many_to_many)


def header_of(importer: type[Importer], field: models.Field) -> str:
    """Return the header the importer reads `field` from: its alias, else the name."""
    for alias, name in importer.columns.items():
        if name == field.name:
            return alias
    return field.name


def export_columns(
    importer: type[Importer], only: Sequence[str] | None = None
) -> list[Column]:
    """Return the importer's columns, in its order; `only` picks some by name/header.

    A subset must keep the importer's key: without it the file cannot be read back.
    """
    fields = importer.get_fields()
    columns = [
        Column(
            f, header_of(importer, f), importer.get_lookup(f) if f.is_relation else None
        )
        for f in fields
    ]
    if only is None:
        return columns
    by_name = {c.field.name: c for c in columns} | {c.header: c for c in columns}
    unknown = [name for name in only if name not in by_name]
    if unknown:
        raise ExportError(
            f"--fields: {', '.join(unknown)} not among the importer's columns "
            f"({', '.join(c.header for c in columns)})"
        )
    chosen = list(dict.fromkeys(by_name[name] for name in only))
    missing = [k for k in importer.get_key() if k not in {c.field.name for c in chosen}]
    if missing:
        raise ExportError(
            f"--fields must include the key ({', '.join(missing)}): without it the "
            "file cannot be imported back"
        )
    return chosen


def chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


class Exporter:
    """Stream a queryset's rows as lists of values, one per `Column`."""

    def __init__(
        self,
        importer: type[Importer],
        queryset: models.QuerySet,
        columns: list[Column],
        *,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.importer = importer
        self.queryset = queryset.order_by("pk")
        self.columns = columns
        self.chunk_size = chunk_size
        self.using = self.queryset.db
        self.concrete = [c for c in columns if not c.many]

    def count(self) -> int:
        return self.queryset.count()

    def __iter__(self) -> Iterator[list[Any]]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[list[Any]]]:
        """Yield the rows chunk by chunk, as they were fetched."""
        names = ["pk", *(c.field.attname for c in self.concrete)]
        rows = self.queryset.values_list(*names).iterator(chunk_size=self.chunk_size)
        fetchers = [self.related(c) for c in self.columns]
        positions = {id(c): i for i, c in enumerate(self.concrete, start=1)}
        for chunk in chunks(rows, self.chunk_size):
            resolved = [
                fetch(chunk, positions.get(id(column)))
                for column, fetch in zip(self.columns, fetchers, strict=True)
            ]
            yield [list(values) for values in zip(*resolved, strict=True)]

    def related(self, column: Column) -> Callable[[list[tuple], int | None], list]:
        """Return how a chunk's values of one column are made (a query at most)."""
        field = column.field
        if column.many:
            return self.many_keys(column)
        if not field.is_relation:
            return lambda chunk, i: [row[i] for row in chunk]
        target = field.target_field
        related = field.related_model
        attr = related._meta.get_field(column.lookup)
        if attr.attname == target.attname:
            return lambda chunk, i: [row[i] for row in chunk]
        manager = related._base_manager.db_manager(self.using)

        def natural_keys(chunk: list[tuple], i: int | None) -> list[Any]:
            ids = {row[i] for row in chunk} - {None}
            found = dict(
                manager.filter(**{f"{target.attname}__in": ids})
                .order_by()
                .values_list(target.attname, attr.attname)
            )
            return [None if row[i] is None else found[row[i]] for row in chunk]

        return natural_keys

    def many_keys(self, column: Column) -> Callable[[list[tuple], int | None], list]:
        """One join per chunk: every row's related keys, sorted for a stable file."""
        model = self.queryset.model
        path = f"{column.field.name}__{column.lookup}"
        manager = model._base_manager.db_manager(self.using)

        def keys(chunk: list[tuple], i: int | None) -> list[list[Any]]:
            found: dict[Any, list[Any]] = {row[0]: [] for row in chunk}
            pairs = (
                manager.filter(pk__in=list(found), **{f"{path}__isnull": False})
                .order_by()
                .values_list("pk", path)
            )
            for pk, key in pairs:
                found[pk].append(key)
            return [ordered(found[row[0]]) for row in chunk]

        return keys


def ordered(keys: list[Any]) -> list[Any]:
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=str)
