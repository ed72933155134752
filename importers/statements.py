"""Native SQL for a batch: one prepared statement with `executemany`, or COPY.

Faster than `bulk_create` (no model instance, no SQL compiled per batch) and the
same result: values go through each field's `get_db_prep_save`, conflict clauses
come from the backend's own `insert_statement` / `on_conflict_suffix_sql`, and
names are quoted by the backend. On PostgreSQL rows travel by COPY (into the table,
or into a temporary staging table and on with INSERT ... SELECT ... ON CONFLICT).
Data never becomes SQL text: only parameters and COPY rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.constants import OnConflict

Adapter = Callable[[Any], Any]

#: `get_prep_value` implementations that only coerce to the type converters give
IDENTITY_PREP = {
    models.CharField.get_prep_value,
    models.TextField.get_prep_value,
    models.IntegerField.get_prep_value,
    models.BooleanField.get_prep_value,
    models.FloatField.get_prep_value,
}


def needs_orm(model: type[models.Model]) -> bool:
    """Return whether rows of `model` must be written through the ORM.

    Multi-table inheritance writes several tables, and auto_now fields compute
    their value in `pre_save`: plain statements would skip both.
    """
    if model._meta.parents:
        return True
    return any(
        getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        for f in model._meta.concrete_fields
    )


def is_identity(field: models.Field) -> bool:
    """Return whether the field stores a converter's value unchanged."""
    kind = type(field)
    return (
        kind.get_db_prep_save is models.Field.get_db_prep_save
        and kind.get_db_prep_value is models.Field.get_db_prep_value
        and kind.get_prep_value in IDENTITY_PREP
    )


def adapter(field: models.Field, connection: Any) -> Adapter | None:
    """Return a function turning a record's value into the driver's parameter.

    None means the value needs no change: the common case, kept free of calls.
    """
    if field.is_relation:
        target = field.target_field
        if isinstance(target, models.IntegerField):
            # Related rows arrive as instances; integer keys go as they are.
            return lambda value: None if value is None else value.pk
        prep_target = target.get_db_prep_save
        return lambda value: (
            None if value is None else prep_target(value.pk, connection)
        )
    if is_identity(field):
        return None
    kind, ops = type(field), type(connection.ops)
    if (
        kind.get_db_prep_save is models.Field.get_db_prep_save
        and kind.get_db_prep_value is models.IntegerField.get_db_prep_value
        and kind.get_prep_value is models.IntegerField.get_prep_value
        and ops.adapt_integerfield_value
        is BaseDatabaseOperations.adapt_integerfield_value
    ):
        return None  # the backend's integer adaptation is `return value`
    if (
        type(field) is models.DateTimeField
        and connection.vendor == "sqlite"
        and settings.USE_TZ
    ):
        # What SQLite's adapt_datetimefield_value does, without three calls.
        db_timezone = connection.timezone

        def sqlite_datetime(value: Any) -> Any:
            if value is None:
                return None
            if value.utcoffset() is not None:
                value = value.astimezone(db_timezone).replace(tzinfo=None)
            return str(value)

        return sqlite_datetime
    prep = field.get_db_prep_save
    if (
        type(field) is models.DecimalField
        and ops.adapt_decimalfield_value
        is BaseDatabaseOperations.adapt_decimalfield_value
    ):
        # Django's chain ends in `return value` for a Decimal: skip the chain.
        return lambda value: (
            value
            if value.__class__ is Decimal
            else (None if value is None else prep(value, connection))
        )
    if (
        type(field) is models.DateTimeField
        and connection.vendor == "postgresql"
        and settings.USE_TZ
    ):
        # PostgreSQL's adapt_datetimefield_value returns an aware value as is.
        return lambda value: (
            value
            if value.__class__ is datetime and value.tzinfo is not None
            else (None if value is None else prep(value, connection))
        )
    return lambda value: None if value is None else prep(value, connection)


class Statements:
    """The INSERT / upsert / UPDATE statements of one model for a set of columns."""

    def __init__(
        self,
        model: type[models.Model],
        connection: Any,
        *,
        insert_fields: Sequence[models.Field],
        update_fields: Sequence[models.Field],
        key: Sequence[models.Field],
    ) -> None:
        ops = connection.ops
        q = ops.quote_name
        self.table = q(model._meta.db_table)
        self.insert_fields = list(insert_fields)
        columns = ", ".join(q(f.column) for f in self.insert_fields)
        self.copy = connection.vendor == "postgresql"
        self.columns = columns
        self.stage = q(f"importers_stage_{model._meta.db_table}")
        self.suffixes = {
            "ignore": ops.on_conflict_suffix_sql(
                self.insert_fields,
                OnConflict.IGNORE,
                [f.column for f in update_fields],
                [f.column for f in key],
            ),
            "upsert": ops.on_conflict_suffix_sql(
                self.insert_fields,
                OnConflict.UPDATE,
                [f.column for f in update_fields],
                [f.column for f in key],
            )
            if update_fields and key
            else "",
        }
        placeholders = ", ".join(["%s"] * len(self.insert_fields))
        values = f"({columns}) VALUES ({placeholders})"
        key_columns = [f.column for f in key]
        update_columns = [f.column for f in update_fields]
        self.insert = f"{ops.insert_statement()} {self.table} {values}"
        self.insert_ignore = " ".join(
            s
            for s in (
                ops.insert_statement(on_conflict=OnConflict.IGNORE),
                self.table,
                values,
                ops.on_conflict_suffix_sql(
                    self.insert_fields, OnConflict.IGNORE, update_columns, key_columns
                ),
            )
            if s
        )
        self.upsert = (
            " ".join(
                (
                    ops.insert_statement(on_conflict=OnConflict.UPDATE),
                    self.table,
                    values,
                    ops.on_conflict_suffix_sql(
                        self.insert_fields,
                        OnConflict.UPDATE,
                        update_columns,
                        key_columns,
                    ),
                )
            )
            if update_columns and key_columns
            else self.insert_ignore
        )
        pk = model._meta.pk
        self.update_fields = list(update_fields)
        sets = ", ".join(f"{q(f.column)} = %s" for f in self.update_fields)
        self.update = f"UPDATE {self.table} SET {sets} WHERE {q(pk.column)} = %s"
        self.adapters = [
            (i, a)
            for i, a in enumerate(adapter(f, connection) for f in self.insert_fields)
            if a is not None
        ]
        self.update_adapters = [
            (i, a)
            for i, a in enumerate(adapter(f, connection) for f in self.update_fields)
            if a is not None
        ]

    def insert_rows(self, cursor: Any, kind: str, params: list[tuple]) -> None:
        """Insert rows: kind "insert" (plain), "ignore" (skip conflicts), "upsert"."""
        if not params:
            return
        if not self.copy:
            sql = {"insert": self.insert, "ignore": self.insert_ignore}.get(
                kind, self.upsert
            )
            cursor.executemany(sql, params)
            return
        if kind == "insert":
            copy_rows(cursor, f"COPY {self.table} ({self.columns}) FROM STDIN", params)
            return
        # Every batch: a rolled-back savepoint may have taken the table with it.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} AS "
            f"SELECT {self.columns} FROM {self.table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {self.stage}")
        copy_rows(cursor, f"COPY {self.stage} ({self.columns}) FROM STDIN", params)
        suffix = (
            self.suffixes["upsert" if kind == "upsert" else "ignore"]
            or (self.suffixes["ignore"])
        )
        cursor.execute(
            f"INSERT INTO {self.table} ({self.columns}) "
            f"SELECT {self.columns} FROM {self.stage} {suffix}"
        )

    def params_builder(
        self, fillers: dict[int, Callable[[], Any]]
    ) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
        """Build one function: a record's values -> the INSERT's parameters.

        Generated as a tuple display (as `validation.compile_row` does): no list,
        no loop, an adapter call only where a value needs one. `fillers` give the
        value of fields the file lacks (their default), by position.
        """
        adapters = dict(self.adapters)
        namespace: dict[str, Any] = {}
        items = []
        for i, field in enumerate(self.insert_fields):
            if not field.name.isidentifier():
                raise ValueError(f"field name {field.name!r} is not an identifier")
            if i in fillers:
                namespace[f"g{i}"] = fillers[i]
                expr = f"g{i}()"
            else:
                expr = f"values.get({field.name!r})"
            if i in adapters:
                namespace[f"a{i}"] = adapters[i]
                expr = f"a{i}({expr})"
            items.append(expr)
        args = ", ".join(["values", *(f"{name}={name}" for name in namespace)])
        code = f"def params({args}):\n    return ({', '.join(items)},)\n"
        exec(code, namespace)  # code built from identifiers and ints only
        return namespace["params"]

    def update_params(self, rows: list[tuple[list[Any], Any]]) -> list[tuple[Any, ...]]:
        """Return parameters of (values in `update_fields` order, pk) pairs."""
        return [(*adapt(values, self.update_adapters), pk) for values, pk in rows]


def adapt(row: list[Any], adapters: list[tuple[int, Adapter]]) -> tuple[Any, ...]:
    for position, to_db in adapters:
        row[position] = to_db(row[position])
    return tuple(row)


def copy_rows(cursor: Any, sql: str, params: list[tuple]) -> None:
    """Send rows with PostgreSQL's COPY through the psycopg cursor under Django's."""
    # Django's wrapper turns psycopg's errors into django.db's, as for execute().
    with cursor.db.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        write_row = copy.write_row
        for row in params:
            write_row(row)


class LinkStatements:
    """Insert many-to-many links into a through table in bulk."""

    def __init__(self, table: str, source: str, target: str, connection: Any):
        q = connection.ops.quote_name
        self.table = q(table)
        self.columns = f"{q(source)}, {q(target)}"
        self.copy = connection.vendor == "postgresql"
        self.insert = (
            f"{connection.ops.insert_statement()} {self.table} ({self.columns}) "
            "VALUES (%s, %s)"
        )

    def insert_rows(self, cursor: Any, pairs: list[tuple[Any, Any]]) -> None:
        if not pairs:
            return
        if self.copy:
            copy_rows(cursor, f"COPY {self.table} ({self.columns}) FROM STDIN", pairs)
        else:
            cursor.executemany(self.insert, pairs)


class KeyProbe:
    """Find which keys of a batch are stored, with one plain SELECT.

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


def max_params(connection: Any) -> int:
    """Return how many parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 30_000
