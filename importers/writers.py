"""Write a planned batch: bulk inserts, bulk updates, many-to-many links in bulk.

A batch is written inside a savepoint. If the database rejects it for a reason
validation could not see (a constraint only the database has), the batch is split
until the offending rows are found; they become row errors and the rest is written.
"""

from __future__ import annotations

from typing import Any

from django.db import DataError, IntegrityError, connections, models, transaction
from django.db.models.fields import AutoFieldMixin

from .planning import BatchPlan, Change, comparable
from .results import RowError
from .statements import KeyProbe, LinkStatements, Statements, needs_orm
from .validation import Record

#: database errors that belong to a row's data (others abort the import)
ROW_ERRORS = (IntegrityError, DataError)


class Writer:
    """Write batches of one model, with the fields the file provides."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        using: str,
        mode: str,
        key: tuple[str, ...],
        fields: list[str],
        defaults: dict[str, Any],
        file: str,
        native: bool = True,
    ) -> None:
        self.model = model
        self.using = using
        self.mode = mode
        self.key = key
        self.file = file
        self.defaults = defaults
        opts = model._meta
        in_file = [opts.get_field(n) for n in fields]
        self.many = [f for f in in_file if f.many_to_many]
        self.manager = model._base_manager.db_manager(using)
        # Updates touch only what the file provides; defaults fill new rows only.
        self.update_fields = [
            f.name for f in in_file if not f.many_to_many and f.name not in key
        ]
        self.connection = connections[using]
        self.upsert = (
            mode == "upsert"
            and bool(key)
            and self.connection.features.supports_update_conflicts_with_target
        )
        self.key_fields = [opts.get_field(n) for n in key]
        self.probe = (
            KeyProbe.for_field(model, self.key_fields[0], self.connection)
            if len(key) == 1
            else None
        )
        # Plain statements need the key to find new rows' ids for their links.
        self.statements = None
        if native and not needs_orm(model) and (self.key or not self.many):
            self.statements = self.build_statements(in_file)

    def build_statements(self, in_file: list[models.Field]) -> Statements:
        given = {f.name for f in in_file}
        insert_fields = [
            f
            for f in self.model._meta.concrete_fields
            if not (
                f.primary_key and isinstance(f, AutoFieldMixin) and f.name not in given
            )
        ]
        by_name = {f.name: f for f in in_file}
        statements = Statements(
            self.model,
            self.connection,
            insert_fields=insert_fields,
            update_fields=[by_name[n] for n in self.update_fields],
            key=self.key_fields,
        )
        # Fields the file lacks take the importer's default, else the model's.
        self.params_of = statements.params_builder(
            {
                i: f.get_default
                for i, f in enumerate(insert_fields)
                if f.name not in given and f.name not in self.defaults
            }
        )
        return statements

    def insert_params(self, records: list[Record]) -> list[tuple[Any, ...]]:
        """Return the INSERT parameters of these records."""
        params_of, defaults = self.params_of, self.defaults
        if defaults:
            return [params_of({**defaults, **r.values}) for r in records]
        return [params_of(r.values) for r in records]

    def instance(self, record: Record) -> models.Model:
        values = {**self.defaults, **record.values}
        for f in self.many:
            values.pop(f.name, None)
        return self.model(**values)

    def write(self, plan: BatchPlan) -> list[tuple[Record, RowError]]:
        """Write the batch's creates and updates; return rows the database refused."""
        items: list[Record | Change] = [*plan.creates, *plan.updates]
        refused: list[tuple[Record, RowError]] = []
        self.write_or_split(items, refused)
        return refused

    def write_or_split(
        self, items: list[Record | Change], refused: list[tuple[Record, RowError]]
    ) -> None:
        if not items:
            return
        try:
            with transaction.atomic(using=self.using, savepoint=True):
                self.write_items(items)
        except ROW_ERRORS as exc:
            if len(items) == 1:
                item = items[0]
                record = item.record if isinstance(item, Change) else item
                refused.append((record, self.database_error(record, exc)))
                return
            middle = len(items) // 2
            self.write_or_split(items[:middle], refused)
            self.write_or_split(items[middle:], refused)

    def database_error(self, record: Record, exc: Exception) -> RowError:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        return RowError(
            file=self.file,
            line=record.line,
            index=record.index,
            message=f"the database refused this row: {message}",
            code="database",
        )

    def write_items(self, items: list[Record | Change]) -> None:
        if self.statements is None:
            self.write_with_orm(items)
        else:
            self.write_with_statements(items)

    def write_with_statements(self, items: list[Record | Change]) -> None:
        statements = self.statements
        creates = [i for i in items if isinstance(i, Record)]
        updates = [i for i in items if isinstance(i, Change)]
        with self.connection.cursor() as cursor:
            params = self.insert_params(creates)
            upserted = False
            if self.upsert:
                upserted = self.insert_or_upsert(cursor, params)
            else:
                kind = "ignore" if self.mode == "skip" else "insert"
                statements.insert_rows(cursor, kind, params)
            if updates and statements.update_fields:
                params = statements.update_params(
                    [
                        ([c.record.values[n] for n in self.update_fields], c.pk)
                        for c in updates
                    ]
                )
                cursor.executemany(statements.update, params)
        if self.many:
            pks = self.new_pks(creates)
            rows = [(r, pks.get(self.key_value(r))) for r in creates]
            rows += [(c.record, c.pk) for c in updates]
            # Rows another import inserted meanwhile may have links of its own.
            replace = {id(r) for r in creates} if upserted else set()
            self.link_pks(
                [(r, pk) for r, pk in rows if pk is not None],
                replace=replace | {id(c.record) for c in updates},
            )

    def insert_or_upsert(self, cursor: Any, params: list[tuple]) -> bool:
        """Insert rows planned as new; upsert them if another import came first.

        A plain INSERT (or COPY) is 2-3x faster than INSERT ... ON CONFLICT DO
        UPDATE; the plan says these keys were absent, so the upsert is only the
        fallback for a concurrent import that inserted some of them meanwhile.
        Return whether it was needed.
        """
        if not params:
            return False
        try:
            with transaction.atomic(using=self.using, savepoint=True):
                self.statements.insert_rows(cursor, "insert", params)
        except IntegrityError:
            self.statements.insert_rows(cursor, "upsert", params)
            return True
        return False

    def key_value(self, record: Record) -> Any:
        values = [comparable(record.values[f.name]) for f in self.key_fields]
        return values[0] if len(values) == 1 else tuple(values)

    def new_pks(self, creates: list[Record]) -> dict[Any, Any]:
        """Return the ids of rows just inserted, by key (one query per batch)."""
        if not creates:
            return {}
        attnames = [f.attname for f in self.key_fields]
        keys = [self.key_value(r) for r in creates]
        if len(attnames) == 1:
            if self.probe is not None:
                return self.probe.stored(keys)
            rows = self.manager.filter(**{f"{attnames[0]}__in": keys})
            return dict(rows.values_list(attnames[0], "pk"))
        wanted = set(keys)
        rows = self.manager.filter(**{f"{attnames[0]}__in": [k[0] for k in keys]})
        found = {}
        for values in rows.values_list(*attnames, "pk"):
            if values[:-1] in wanted:
                found[values[:-1]] = values[-1]
        return found

    def write_with_orm(self, items: list[Record | Change]) -> None:
        creates = [i for i in items if isinstance(i, Record)]
        updates = [i for i in items if isinstance(i, Change)]
        if self.upsert:
            # One statement for both: a row inserted meanwhile by another import
            # is updated instead of failing.
            rows = [(r, self.instance(r)) for r in creates]
            rows += [(c.record, self.existing_instance(c)) for c in updates]
            self.insert([obj for _, obj in rows], conflicts=True)
            self.link(rows, replace={id(c.record) for c in updates})
            return
        if creates:
            rows = [(r, self.instance(r)) for r in creates]
            self.insert([obj for _, obj in rows], conflicts=False)
            self.link(rows, replace=set())
        if updates:
            rows = [(c.record, self.existing_instance(c)) for c in updates]
            changed = sorted(
                {n for c in updates for n in c.changed if n in self.update_fields}
            )
            if changed:
                self.manager.bulk_update([obj for _, obj in rows], changed)
            self.link(rows, replace={id(c.record) for c in updates})

    def existing_instance(self, change: Change) -> models.Model:
        obj = self.instance(change.record)
        obj.pk = change.pk
        obj._state.adding = False
        return obj

    def insert(self, objs: list[models.Model], *, conflicts: bool) -> None:
        if not objs:
            return
        if conflicts:
            self.manager.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=list(self.key),
                update_fields=self.update_fields or None,
            )
        elif self.mode == "skip":
            self.manager.bulk_create(objs, ignore_conflicts=True)
        else:
            self.manager.bulk_create(objs)

    def link(
        self, rows: list[tuple[Record, models.Model]], *, replace: set[int]
    ) -> None:
        if not self.many:
            return
        if self.key and any(obj.pk is None for _, obj in rows):
            # ignore_conflicts inserts do not return ids: read them by key.
            pks = self.new_pks([r for r, obj in rows if obj.pk is None])
            for record, obj in rows:
                if obj.pk is None:
                    obj.pk = pks.get(self.key_value(record))
        self.link_pks(
            [(r, obj.pk) for r, obj in rows if obj.pk is not None], replace=replace
        )

    def link_pks(self, rows: list[tuple[Record, Any]], *, replace: set[int]) -> None:
        """Write many-to-many links in bulk through each through table."""
        for f in self.many:
            through = f.remote_field.through
            source = through._meta.get_field(f.m2m_field_name())
            target = through._meta.get_field(f.m2m_reverse_field_name())
            manager = through._base_manager.db_manager(self.using)
            present = [(r, pk) for r, pk in rows if f.name in r.values]
            stale = [pk for r, pk in present if id(r) in replace]
            if stale:
                manager.filter(**{f"{source.attname}__in": stale})._raw_delete(
                    self.using
                )
            pairs = [
                (pk, comparable(t))
                for r, pk in present
                for t in dict.fromkeys(r.values[f.name])
            ]
            statements = LinkStatements(
                through._meta.db_table, source.column, target.column, self.connection
            )
            with self.connection.cursor() as cursor:
                statements.insert_rows(cursor, pairs)
