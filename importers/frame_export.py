"""DataFrames out: `read_frame()`, the rows of a table as an import file has them.

    database  ->  frame_export.py  ->  DataFrame  ->  run_import (frames.py)

The reverse of an import, so a frame read here and imported back reports every row
unchanged: one column per importable field, named as the field; related rows by
the natural key the importer names them by, many-to-many as lists of keys; dtypes
that hold the values exactly (Int64 and boolean where a field is nullable, aware
datetime64 in UTC, Decimal objects). The rows are streamed from the database in
chunks (`iterator(chunk_size=...)`) and each chunk becomes typed column arrays:
no list of model instances is ever built. pandas is imported only when called.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, models

from .importer import Importer
from .registry import importer_for_model

if TYPE_CHECKING:
    from pandas import DataFrame

CHUNK_SIZE = 2000
INSTALL = "read_frame() needs pandas (the 'pandas' extra): pip install pandas"


def read_frame(
    source: models.QuerySet | type[models.Model],
    importer: type[Importer] | None = None,
    columns: Sequence[str] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> DataFrame:
    """Return the rows of a queryset (or a model's table) as a file would have them.

    `importer` names related rows (default: the one registered for the model);
    `columns` picks and orders fields by name (default: the importer's fields).
    """
    try:
        import pandas
    except ImportError:
        raise ImportError(INSTALL) from None
    queryset = (
        source._default_manager.all()
        if isinstance(source, type) and issubclass(source, models.Model)
        else source
    )
    model = queryset.model
    importer = importer or importer_for_model(model)
    if not issubclass(model, importer.model):
        raise ValueError(
            f"{importer.__qualname__} imports {importer.model._meta.label}, "
            f"not {model._meta.label}"
        )
    fields = chosen_fields(importer, columns)
    concrete = [f for f in fields if not f.many_to_many]
    many = [f for f in fields if f.many_to_many]
    paths = [value_path(importer, f) for f in concrete]
    kinds = {f.name: column_kind(importer, f) for f in fields}
    rows = queryset.values_list("pk", *paths).iterator(chunk_size=chunk_size)
    chunks = []
    while chunk := list(itertools.islice(rows, chunk_size)):
        pks, *values = zip(*chunk, strict=True)
        data = dict(zip([f.name for f in concrete], values, strict=True))
        for f in many:
            data[f.name] = linked_keys(importer, f, pks, queryset.db)
        chunks.append(frame_of(pandas, fields, kinds, data, len(chunk)))
    if not chunks:
        empty = {f.name: [] for f in fields}
        return frame_of(pandas, fields, kinds, empty, 0)
    if len(chunks) == 1:
        return chunks[0]
    return pandas.concat(chunks, ignore_index=True)


def chosen_fields(
    importer: type[Importer], columns: Sequence[str] | None
) -> list[models.Field]:
    """Return the importer's fields, or those named in `columns`, in that order."""
    fields = importer.get_fields()
    if columns is None:
        return fields
    by_name = {f.name: f for f in fields}
    unknown = [name for name in columns if name not in by_name]
    if unknown:
        raise ValueError(
            f"{importer.__qualname__} has no importable field "
            f"{', '.join(map(repr, unknown))} (fields: {', '.join(by_name)})"
        )
    return [by_name[name] for name in columns]


def value_path(importer: type[Importer], field: models.Field) -> str:
    """Return the lookup that reads a field as a file writes it."""
    if field.is_relation:
        return f"{field.name}__{importer.get_lookup(field)}"
    return field.attname


def linked_keys(
    importer: type[Importer], field: models.Field, pks: Sequence[Any], using: str
) -> list[list[Any]]:
    """Return, per row, the natural keys of its many-to-many targets (one query)."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = f"{field.m2m_reverse_field_name()}__{importer.get_lookup(field)}"
    found: dict[Any, list[Any]] = {pk: [] for pk in pks}
    # A query has a bounded number of parameters (SQLite's is 999 by default).
    step = connections[using].features.max_query_params or len(pks)
    manager = through._base_manager.db_manager(using)
    for start in range(0, len(pks), step):
        part = pks[start : start + step]
        pairs = manager.filter(**{f"{source}__in": part}).order_by("pk")
        for pk, key in pairs.values_list(source, target):
            found[pk].append(key)
    return [found[pk] for pk in pks]


def column_kind(importer: type[Importer], field: models.Field) -> str | None:
    """Return the pandas dtype that holds a field's values exactly (None: objects)."""
    if field.many_to_many:
        return None
    nullable = field.null
    if field.is_relation:
        field = field.related_model._meta.get_field(importer.get_lookup(field))
    if isinstance(field, models.BooleanField):
        return "boolean" if nullable else "bool"
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return "Int64" if nullable else "int64"
    if isinstance(field, models.FloatField):
        return "float64"
    if isinstance(field, models.DateTimeField):
        return "datetime64[us, UTC]" if settings.USE_TZ else "datetime64[us]"
    if isinstance(field, models.DurationField):
        return "timedelta64[us]"
    if isinstance(field, (models.CharField, models.TextField)):
        return "string"
    if isinstance(field, models.UUIDField):
        return "uuid"
    return None  # Decimal, date, time, JSON, bytes...: exact as Python objects


def frame_of(
    pandas: Any,
    fields: list[models.Field],
    kinds: dict[str, str | None],
    data: dict[str, Sequence[Any]],
    size: int,
) -> DataFrame:
    """Build one chunk's frame from its column lists, each in its exact dtype."""
    import numpy

    arrays = {}
    for f in fields:
        kind, values = kinds[f.name], data[f.name]
        if kind == "uuid":
            kind, values = "string", [None if v is None else str(v) for v in values]
        if kind is None:
            array = numpy.empty(size, dtype=object)
            for i, value in enumerate(values):  # lists stay lists, not a 2-D array
                array[i] = value
        else:
            array = pandas.array(values, dtype=kind)
        arrays[f.name] = array
    return pandas.DataFrame(arrays, index=pandas.RangeIndex(size), copy=False)
