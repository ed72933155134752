"""Write a planned batch: bulk inserts, bulk updates, many-to-many links in bulk.

The path (native statements, the ORM's bulk methods, or save() per row) is chosen
once per file by `routes.choose_route`. A batch is written inside a savepoint. If
the database rejects it for a reason validation could not see (a constraint only
the database has), the batch is split until the offending rows are found; they
become row errors and the rest is written.
"""

from __future__ import annotations

from typing import Any

from django.core.management.color import no_style
from django.db import DataError, IntegrityError, connections, models, transaction
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin

from .links import write_links
from .planning import BatchPlan, Change, stored_value
from .presave import PreSave
from .probes import probe_for
from .results import RowError
from .routes import SAVE, SQL, Route, choose_route
from .statements import Statements
from .validation import Record

#: database errors that belong to a row's data (others abort the import)
ROW_ERRORS = (IntegrityError, DataError)

#: what a planned create became when another run inserted its key first
SKIPPED, UPDATED, UNCHANGED = "skip", "update", "unchanged"


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
        bulk: bool = False,
    ) -> None:
        self.model = model
        self.using = using
        self.mode = mode
        self.key = key
        self.file = file
        self.defaults = defaults
        opts = model._meta
        in_file = [opts.get_field(n) for n in fields]
        given = {f.name for f in in_file}
        self.many = [f for f in in_file if f.many_to_many]
        # Fields the database fills when an object omits them (db_default only).
        self.db_defaults = [
            f.name
            for f in in_file
            if not f.many_to_many and f.has_db_default() and not f.has_default()
        ]
        self.manager = model._base_manager.db_manager(using)
        self.presave = PreSave(model, given)
        # Updates touch only what the file provides (and what pre_save computes on
        # update); defaults fill new rows only; a primary key never changes.
        self.update_fields = list(
            dict.fromkeys(
                [
                    f.name
                    for f in in_file
                    if not f.many_to_many and f.name not in key and not f.primary_key
                ]
                + [f.name for f in self.presave.on_update]
            )
        )
        self.connection = connections[using]
        self.upsert = (
            mode == "upsert"
            and bool(key)
            and self.connection.features.supports_update_conflicts_with_target
        )
        self.key_fields = [opts.get_field(n) for n in key]
        self.probe = probe_for(model, self.key_fields, self.connection) if key else None
        pk = opts.pk
        self.explicit_pk = pk.name in given and isinstance(pk, AutoFieldMixin)
        self.route: Route = choose_route(
            model, native=native, bulk=bulk, can_read_ids=bool(key) or not self.many
        )
        #: per record written by this batch: what a planned create became instead
        self.outcomes: dict[int, str] = {}
        self.statements = None
        if self.route.path == SQL:
            self.statements = self.build_statements(in_file)

    def build_statements(self, in_file: list[models.Field]) -> Statements:
        given = {f.name for f in in_file} | {f.name for f in self.presave.on_create}
        insert_fields = [
            f
            for f in self.model._meta.concrete_fields
            if f.name in given
            or f.name in self.defaults
            or not (
                (f.primary_key and isinstance(f, AutoFieldMixin))
                # The database fills its own default, as save() lets it.
                or (f.has_db_default() and not f.has_default())
            )
        ]
        by_name = {f.name: f for f in self.model._meta.concrete_fields}
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

    def insert_values(self, record: Record) -> dict[str, Any]:
        """Return what a new row stores: defaults, the file's values, pre_save's."""
        values = {**self.defaults, **record.values} if self.defaults else record.values
        if self.presave:
            values = {**values, **self.presave.created(values)}
        return values

    def update_values(self, change: Change) -> dict[str, Any]:
        values = change.record.values
        if self.presave.on_update:
            values = {**values, **self.presave.updated(values, change.pk)}
        return values

    def instance(self, record: Record) -> models.Model:
        values = {**self.defaults, **record.values}
        for f in self.many:
            values.pop(f.name, None)
        return self.model(**values)

    def write(self, plan: BatchPlan) -> list[tuple[Record, RowError]]:
        """Write the batch's creates and updates; return rows the database refused.

        Creates that another run inserted first are moved to the plan's skipped
        (--mode skip) or updates (the upsert fallback): only rows this run
        inserted are counted as created.
        """
        items: list[Record | Change] = [*plan.creates, *plan.updates]
        refused: list[tuple[Record, RowError]] = []
        self.outcomes = {}
        self.write_or_split(items, refused)
        if self.explicit_pk and plan.creates:
            self.reset_sequence()
        if self.outcomes:
            outcomes = self.outcomes
            moved = [r for r in plan.creates if id(r) in outcomes]
            plan.creates = [r for r in plan.creates if id(r) not in outcomes]
            plan.skipped += [r for r in moved if outcomes[id(r)] == SKIPPED]
            plan.unchanged += [r for r in moved if outcomes[id(r)] == UNCHANGED]
            plan.updates += [
                Change(r, None, {}) for r in moved if outcomes[id(r)] == UPDATED
            ]
        return refused

    def reset_sequence(self) -> None:
        """After explicit ids, move the id sequence past them (as loaddata does)."""
        sql = self.connection.ops.sequence_reset_sql(no_style(), [self.model])
        if sql:
            with self.connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)

    def write_or_split(
        self, items: list[Record | Change], refused: list[tuple[Record, RowError]]
    ) -> None:
        if not items:
            return
        try:
            with transaction.atomic(using=self.using, savepoint=True):
                outcomes = self.write_items(items)
        except ROW_ERRORS as exc:
            if len(items) == 1:
                item = items[0]
                record = item.record if isinstance(item, Change) else item
                refused.append((record, self.database_error(record, exc)))
                return
            middle = len(items) // 2
            self.write_or_split(items[:middle], refused)
            self.write_or_split(items[middle:], refused)
            return
        self.outcomes.update(outcomes)

    def database_error(self, record: Record, exc: Exception) -> RowError:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        return RowError(
            file=self.file,
            line=record.line,
            index=record.index,
            message=f"the database refused this row: {message}",
            code="database",
        )

    def write_items(self, items: list[Record | Change]) -> dict[int, str]:
        if self.route.path == SAVE:
            self.write_with_save(items)
            return {}
        if self.statements is None:
            self.write_with_orm(items)
            return {}
        if self.db_defaults:
            # An object that omits a db_default field leaves it to the database:
            # a column the statement's fixed list cannot leave out, so such new
            # rows go through bulk_create, which writes DEFAULT as save() does.
            deferred = [
                i
                for i in items
                if isinstance(i, Record)
                and any(
                    isinstance(i.values.get(name), DatabaseDefault)
                    for name in self.db_defaults
                )
            ]
            if deferred:
                self.write_with_orm(deferred)
                gone = {id(i) for i in deferred}
                items = [i for i in items if id(i) not in gone]
        return self.write_with_statements(items)

    # -- native statements -------------------------------------------------------
    def write_with_statements(self, items: list[Record | Change]) -> dict[int, str]:
        statements = self.statements
        creates = [i for i in items if isinstance(i, Record)]
        updates = [i for i in items if isinstance(i, Change)]
        outcomes: dict[int, str] = {}
        with self.connection.cursor() as cursor:
            params = [self.params_of(self.insert_values(r)) for r in creates]
            kind = "ignore" if self.mode == "skip" and not self.upsert else "insert"
            flags = self.insert(cursor, kind, params) if creates else None
            if flags is not None:
                instead = SKIPPED if kind == "ignore" else UPDATED
                if instead == UPDATED and not statements.update_fields:
                    instead = UNCHANGED
                for record, mine in zip(creates, flags, strict=True):
                    if not mine:
                        outcomes[id(record)] = instead
            if updates and statements.update_fields:
                names = self.update_fields
                rows = []
                for c in updates:
                    values = self.update_values(c)
                    rows.append(([values[n] for n in names], c.pk))
                cursor.executemany(statements.update, statements.update_params(rows))
        if self.many:
            # Only rows this run wrote get its links (not another run's rows).
            written = [r for r in creates if outcomes.get(id(r)) in (None, UPDATED)]
            pks = self.new_pks(written)
            rows = [(r, pks.get(self.key_value(r))) for r in written]
            rows += [(c.record, c.pk) for c in updates]
            # Rows another import inserted meanwhile may have links of its own.
            replace = {id(r) for r in written if id(r) in outcomes}
            self.link_pks(
                [(r, pk) for r, pk in rows if pk is not None],
                replace=replace | {id(c.record) for c in updates},
            )
        return outcomes

    def insert(self, cursor: Any, kind: str, params: list[tuple]) -> list[bool] | None:
        """Insert rows planned as new; return which this run inserted (None: all).

        A plain INSERT (or COPY) is 2-3x faster than INSERT ... ON CONFLICT, so an
        upsert inserts first and falls back to INSERT ... ON CONFLICT DO UPDATE
        only when a concurrent import inserted some keys meanwhile; --mode skip
        inserts with ON CONFLICT DO NOTHING. Either way the statement says which
        rows were this run's.
        """
        statements = self.statements
        if kind == "insert":
            if not self.upsert:
                statements.insert_rows(cursor, "insert", params)
                return None
            try:
                with transaction.atomic(using=self.using, savepoint=True):
                    statements.insert_rows(cursor, "insert", params)
                return None
            except IntegrityError:
                kind = "upsert"
        positions = [statements.insert_fields.index(f) for f in self.key_fields]
        return statements.insert_own_rows(cursor, kind, params, positions)

    def key_value(self, record: Record) -> Any:
        values = [stored_value(f, record.values[f.name]) for f in self.key_fields]
        return values[0] if len(values) == 1 else tuple(values)

    def new_pks(self, creates: list[Record]) -> dict[Any, Any]:
        """Return the ids of rows just inserted, by key (one query per batch)."""
        if not creates:
            return {}
        keys = [self.key_value(r) for r in creates]
        if self.probe is not None:
            return self.probe.stored(keys)
        attnames = [f.attname for f in self.key_fields]
        if len(attnames) == 1:
            rows = self.manager.filter(**{f"{attnames[0]}__in": keys})
            return dict(rows.values_list(attnames[0], "pk"))
        wanted = set(keys)
        rows = self.manager.filter(**{f"{attnames[0]}__in": [k[0] for k in keys]})
        return {
            values[:-1]: values[-1]
            for values in rows.values_list(*attnames, "pk")
            if values[:-1] in wanted
        }

    # -- the ORM's bulk methods --------------------------------------------------
    def write_with_orm(self, items: list[Record | Change]) -> None:
        creates = [i for i in items if isinstance(i, Record)]
        updates = [i for i in items if isinstance(i, Change)]
        if self.upsert:
            # One statement for both: a row inserted meanwhile by another import
            # is updated instead of failing.
            rows = [(r, self.instance(r)) for r in creates]
            rows += [(c.record, self.existing_instance(c)) for c in updates]
            self.bulk_insert([obj for _, obj in rows], conflicts=True)
            self.link(rows, replace={id(c.record) for c in updates})
            return
        if creates:
            rows = [(r, self.instance(r)) for r in creates]
            self.bulk_insert([obj for _, obj in rows], conflicts=False)
            self.link(rows, replace=set())
        if updates:
            rows = [(c.record, self.existing_instance(c)) for c in updates]
            changed = sorted(
                {n for c in updates for n in c.changed if n in self.update_fields}
                | {f.name for f in self.presave.on_update}
            )
            if changed:
                self.manager.bulk_update([obj for _, obj in rows], changed)
            self.link(rows, replace={id(c.record) for c in updates})

    def existing_instance(self, change: Change) -> models.Model:
        obj = self.instance(change.record)
        obj.pk = change.pk
        obj._state.adding = False
        for f in self.presave.on_update:  # bulk_update does not call pre_save
            f.pre_save(obj, False)
        return obj

    def bulk_insert(self, objs: list[models.Model], *, conflicts: bool) -> None:
        if not objs:
            return
        if conflicts and self.update_fields:
            self.manager.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=list(self.key),
                update_fields=self.update_fields,
            )
        elif conflicts or self.mode == "skip":
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

    # -- save() per row ----------------------------------------------------------
    def write_with_save(self, items: list[Record | Change]) -> None:
        """Call save() on each row, as the oracle does: signals and overrides run.

        A new row is `Model(**values).save()`; an update loads the stored rows
        (one query per batch), sets the file's values and calls save(), so a
        save() override sees every field, not only the file's.
        """
        using = self.using
        rows: list[tuple[Record, models.Model]] = []
        updates = [i for i in items if isinstance(i, Change)]
        stored = self.manager.in_bulk([c.pk for c in updates]) if updates else {}
        for item in items:
            if isinstance(item, Record):
                obj = self.instance(item)
                obj.save(using=using)
                rows.append((item, obj))
                continue
            obj = stored.get(item.pk)
            if obj is None:  # deleted since planning: pinned on its row
                raise IntegrityError(
                    f"the {self.model._meta.verbose_name} to update was deleted "
                    "meanwhile"
                )
            for name, value in item.record.values.items():
                if not self.model._meta.get_field(name).many_to_many:
                    setattr(obj, name, value)
            obj.save(using=using)
            rows.append((item.record, obj))
        self.link_pks(
            [(r, obj.pk) for r, obj in rows], replace={id(c.record) for c in updates}
        )

    # -- many-to-many --------------------------------------------------------------
    def link_pks(self, rows: list[tuple[Record, Any]], *, replace: set[int]) -> None:
        """Write many-to-many links in bulk through each through table."""
        write_links(
            self.many, rows, replace=replace, manager=self.manager, using=self.using
        )
