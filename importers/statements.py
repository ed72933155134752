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
from django.db import models, transaction
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
        # Related rows arrive as instances; the column holds the target field's
        # value (the pk, or a `to_field`), as ForeignKey.get_db_prep_save stores.
        target = field.target_field
        attname = target.attname
        if isinstance(target, models.IntegerField) and target.primary_key:
            return lambda value: None if value is None else value.pk
        prep_target = target.get_db_prep_save
        return lambda value: (
            None if value is None else prep_target(getattr(value, attname), connection)
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
        self.key_columns = [f"{self.table}.{q(f.column)}" for f in key]
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
        """Insert rows: kind "insert" (plain, or COPY on PostgreSQL)."""
        if not params:
            return
        if not self.copy:
            cursor.executemany(self.insert, params)
            return
        copy_rows(cursor, f"COPY {self.table} ({self.columns}) FROM STDIN", params)

    def insert_own_rows(
        self, cursor: Any, kind: str, params: list[tuple], positions: list[int]
    ) -> list[bool] | None:
        """Insert rows skipping ("ignore") or updating ("upsert") existing keys.

        Return, per row, whether this statement inserted it (False: the key was
        there, put by another import meanwhile), or None when all were inserted.
        `positions` are the key's places in a row. PostgreSQL says which rows it
        inserted with RETURNING (`xmax = 0` tells an insert from an update);
        SQLite's row count tells whether all were, else rows go one by one.
        """
        if not params:
            return None
        if not self.copy:
            return self.sqlite_own_rows(cursor, kind, params)
        # Every batch: a rolled-back savepoint may have taken the table with it.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} AS "
            f"SELECT {self.columns} FROM {self.table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {self.stage}")
        copy_rows(cursor, f"COPY {self.stage} ({self.columns}) FROM STDIN", params)
        updating = kind == "upsert" and bool(self.suffixes["upsert"])
        suffix = self.suffixes["upsert" if updating else "ignore"]
        returning = ", ".join(self.key_columns) + (
            ", (xmax = 0)" if updating else ", true"
        )
        cursor.execute(
            f"INSERT INTO {self.table} ({self.columns}) "
            f"SELECT {self.columns} FROM {self.stage} {suffix} RETURNING {returning}"
        )
        width = len(self.key_columns)
        mine = {tuple(row[:width]) for row in cursor.fetchall() if row[width]}
        flags = [tuple(p[i] for i in positions) in mine for p in params]
        return None if all(flags) else flags

    def sqlite_own_rows(
        self, cursor: Any, kind: str, params: list[tuple]
    ) -> list[bool] | None:
        try:
            with transaction.atomic(using=cursor.db.alias, savepoint=True):
                cursor.executemany(self.insert_ignore, params)
                if cursor.rowcount == len(params):
                    return None
                raise Recount
        except Recount:
            pass
        flags = []
        for row in params:
            cursor.execute(self.insert_ignore, row)
            inserted = cursor.rowcount == 1
            if not inserted and kind == "upsert":
                cursor.execute(self.upsert, row)
            flags.append(inserted)
        return flags

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


class Recount(Exception):
    """Some rows were not inserted: roll back and insert them one by one."""


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
