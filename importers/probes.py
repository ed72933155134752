"""Find which keys of a batch are stored: one plain SELECT per batch (per chunk).

Planning asks which records' keys exist; writing asks the ids of rows it has just
inserted. Django's `__in` lookup prepares every value in Python, and a composite
key as an OR of `Q` objects builds an expression tree per row (SQLite refuses
trees deeper than 1000). These probes send the keys as parameters of one statement
instead: `= ANY(array)` or `IN (...)` for one column, a join against the keys as a
VALUES list (unnest of one array per column on PostgreSQL) for several.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from .statements import adapter, is_identity


class KeyProbe:
    """Find which single-column keys are stored, with one plain SELECT.

    Django's `__in` lookup prepares every value in Python (about 9 us a value); a
    fresh load asks for thousands of keys that are not there. Used only for keys
    whose values go to the database unchanged (text, integers), else None.
    """

    def __init__(self, model: type[models.Model], field: models.Field, connection):
        q = connection.ops.quote_name
        self.connection = connection
        self.sql = (
            f"SELECT {q(field.column)}, {q(model._meta.pk.column)} "
            f"FROM {q(model._meta.db_table)} WHERE {q(field.column)} IN "
        )
        self.chunk = max_params(connection)
        # PostgreSQL parses one array parameter faster than a thousand of them.
        self.array = connection.vendor == "postgresql"
        self.sql_any = self.sql.removesuffix(" IN ") + " = ANY(%s)"

    @classmethod
    def for_field(cls, model, field, connection) -> KeyProbe | None:
        usable = is_identity(field) and not field.is_relation
        return cls(model, field, connection) if usable else None

    def stored(self, keys: list[Any]) -> dict[Any, Any]:
        """Return {key: pk} for the keys that are stored."""
        found: dict[Any, Any] = {}
        with self.connection.cursor() as cursor:
            if self.array:
                cursor.execute(self.sql_any, [list(keys)])
                return dict(cursor.fetchall())
            for start in range(0, len(keys), self.chunk):
                part = keys[start : start + self.chunk]
                cursor.execute(
                    self.sql + "(" + ", ".join(["%s"] * len(part)) + ")", part
                )
                found.update(cursor.fetchall())
        return found


class CompositeProbe:
    """Find which keys of several columns are stored: a join against the keys.

    Keys are sent numbered, and rows come back by number, so a stored value never
    has to be decoded and compared in Python (a date is text on SQLite).
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[models.Field],
        connection: Any,
    ) -> None:
        q = connection.ops.quote_name
        self.connection = connection
        # Keys arrive as stored values: a related row by its target field's value.
        self.adapters = [
            adapter(f.target_field if f.is_relation else f, connection) for f in fields
        ]
        table = q(model._meta.db_table)
        names = [f"k{i}" for i in range(len(fields))]
        on = " AND ".join(
            f"t.{q(f.column)} = v.{name}" for f, name in zip(fields, names, strict=True)
        )
        pk = q(model._meta.pk.column)
        self.array = connection.vendor == "postgresql"
        if self.array:
            arrays = ", ".join(f"%s::{array_type(f, connection)}[]" for f in fields)
            # LIMIT 1 keeps the subquery a lateral one, looked up in the key's
            # index per key: joined, PostgreSQL hashes the whole table instead.
            self.sql = (
                f"SELECT v.n, t.{pk} FROM unnest({arrays}) WITH ORDINALITY "
                f"AS v({', '.join(names)}, n) CROSS JOIN LATERAL "
                f"(SELECT t.{pk} FROM {table} t WHERE {on} "
                "LIMIT 1) t"
            )
        else:
            self.head = f"WITH v(n, {', '.join(names)}) AS (VALUES "
            self.tail = f") SELECT v.n, t.{pk} FROM v JOIN {table} t ON {on}"
            self.row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
            self.chunk = max(1, max_params(connection) // (len(fields) + 1))

    def params(self, keys: list[tuple]) -> list[tuple]:
        """Return the keys as the driver's parameters (each field's db_prep_save)."""
        columns = list(zip(*keys, strict=True)) if keys else []
        adapted = []
        for column, to_db in zip(columns, self.adapters, strict=True):
            adapted.append(
                list(column) if to_db is None else [to_db(v) for v in column]
            )
        return adapted

    def stored(self, keys: list[tuple]) -> dict[tuple, Any]:
        """Return {key: pk} for the keys that are stored."""
        if not keys:
            return {}
        columns = self.params(keys)
        found: dict[tuple, Any] = {}
        with self.connection.cursor() as cursor:
            if self.array:
                cursor.execute(self.sql, columns)
                # WITH ORDINALITY counts from 1
                return {keys[n - 1]: pk for n, pk in cursor.fetchall()}
            rows = list(zip(range(len(keys)), *columns, strict=True))
            for start in range(0, len(rows), self.chunk):
                part = rows[start : start + self.chunk]
                sql = self.head + ", ".join([self.row] * len(part)) + self.tail
                cursor.execute(sql, [v for row in part for v in row])
                found.update((keys[n], pk) for n, pk in cursor.fetchall())
        return found


def array_type(field: models.Field, connection: Any) -> str:
    """Return the SQL type an array of this field's values is cast to."""
    return field.cast_db_type(connection) or "text"


def probe_for(
    model: type[models.Model], fields: Sequence[models.Field], connection: Any
) -> KeyProbe | CompositeProbe | None:
    """Return the probe of a key, or None where Django's `__in` must do.

    A key inherited from a multi-table parent lives in the parent's table, where
    rows of other children are too: the ORM's join is needed.
    """
    concrete = model._meta.concrete_model
    if any(f.model._meta.concrete_model is not concrete for f in fields):
        return None
    if len(fields) == 1:
        return KeyProbe.for_field(model, fields[0], connection)
    return CompositeProbe(model, fields, connection)


def max_params(connection: Any) -> int:
    """Return how many parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 30_000
