"""Write a planned batch: bulk inserts, bulk updates, many-to-many links in bulk.

A batch is written inside a savepoint. If the database rejects it for a reason
validation could not see (a constraint only the database has), the batch is split
until the offending rows are found; they become row errors and the rest is written.
"""

from __future__ import annotations

from typing import Any

from django.db import DataError, IntegrityError, connections, models, transaction

from .planning import BatchPlan, Change, comparable
from .results import RowError
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
        self.upsert = (
            mode == "upsert"
            and bool(key)
            and connections[using].features.supports_update_conflicts_with_target
        )

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

    def link(self, rows: list[tuple[Record, models.Model]], *, replace: set[int]) -> None:
        """Write many-to-many links in bulk through each through table."""
        for f in self.many:
            through = f.remote_field.through
            source = f"{f.m2m_field_name()}_id"
            target = f"{f.m2m_reverse_field_name()}_id"
            manager = through._base_manager.db_manager(self.using)
            present = [(r, obj) for r, obj in rows if f.name in r.values]
            stale = [obj.pk for r, obj in present if id(r) in replace]
            if stale:
                manager.filter(**{f"{source}__in": stale}).delete()
            links = [
                through(**{source: obj.pk, target: comparable(t)})
                for r, obj in present
                for t in dict.fromkeys(r.values[f.name])
            ]
            if links:
                manager.bulk_create(links)

