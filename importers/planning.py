"""Decide each valid record's action by its key: create, update, unchanged or skip.

One query per batch finds the existing rows (and one per many-to-many field their
links); duplicate keys inside the file and unique conflicts become row errors here,
before anything is written.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models
from django.db.models import Q
from django.db.models.fields import AutoFieldMixin

from .importer import Importer
from .keys import KeyIndex
from .presave import PreSave
from .probes import probe_for
from .results import RowError
from .validation import Record

MISSING = object()


@dataclass(slots=True)
class Change:
    """A record that updates an existing row: its pk and each changed field."""

    record: Record
    pk: Any
    changed: dict[str, tuple[Any, Any]]


@dataclass
class BatchPlan:
    creates: list[Record] = field(default_factory=list)
    updates: list[Change] = field(default_factory=list)
    unchanged: list[Record] = field(default_factory=list)
    skipped: list[Record] = field(default_factory=list)
    rejected: list[tuple[Record, RowError]] = field(default_factory=list)


class SeenKeys:
    """The keys met so far in this run, to reject duplicates inside the files."""

    def __init__(self) -> None:
        self.indexes: dict[Hashable, KeyIndex] = {}
        # dry run: (model, field name) -> the index marking keys it would create
        self.pending: dict[tuple[Any, str], KeyIndex] = {}

    def pending_for(self, model: Any, attr: str) -> KeyIndex:
        """Return the model's key index, where a dry run marks what it creates."""
        index = self.indexes.setdefault(model, KeyIndex())
        return self.pending.setdefault((model, attr), index)

    def first_lines(
        self, space: Hashable, keys: list[Any], lines: list[int]
    ) -> list[int | None]:
        """Remember keys (of one model or field) at their lines; return repeats'."""
        index = self.indexes.get(space)
        if index is None:
            index = self.indexes[space] = KeyIndex()
        return index.first_lines(keys, lines)


def stored_value(field: models.Field, value: Any) -> Any:
    """Return what a record's value is stored as in `field.attname`.

    A related row is stored as its target field's value: the pk, or the
    `to_field` (what ForeignKey.get_db_prep_save writes).
    """
    if isinstance(value, models.Model):
        return getattr(value, field.target_field.attname)
    return value


def link_ends(
    field: models.ManyToManyField,
) -> tuple[models.ForeignKey, models.ForeignKey]:
    """Return the through table's foreign keys to the source and to the target."""
    through = field.remote_field.through._meta
    return (
        through.get_field(field.m2m_field_name()),
        through.get_field(field.m2m_reverse_field_name()),
    )


class Planner:
    """Plan the batches of one importer in one mode against one database."""

    def __init__(
        self,
        importer: type[Importer],
        *,
        dry_run: bool,
        mode: str,
        key: tuple[str, ...],
        fields: list[str],
        using: str,
        file: str,
        columns: dict[str, str],
        seen: SeenKeys,
        ragged: bool = False,
    ) -> None:
        self.model = importer.model
        self.ragged = ragged
        self.defaults = importer.defaults
        self.mode = mode
        self.key = key
        self.using = using
        self.file = file
        self.columns = columns
        self.seen = seen
        self.pending = (
            seen.pending_for(self.model, key[0]) if dry_run and len(key) == 1 else None
        )
        opts = self.model._meta
        self.fields = [opts.get_field(name) for name in fields]
        self.concrete = [f for f in self.fields if not f.many_to_many]
        self.many = [f for f in self.fields if f.many_to_many]
        self.link_sources = [link_ends(f)[0] for f in self.many]
        self.presave = PreSave(self.model, set(fields))
        self.manager = self.model._base_manager.db_manager(using)
        self.key_fields = [opts.get_field(name) for name in key]
        self.probe = (
            probe_for(self.model, self.key_fields, connections[using]) if key else None
        )
        self.pk = opts.pk
        self.uniques = [
            f
            for f in self.concrete
            if f.unique
            and not f.primary_key
            and f.name not in key
            and not f.is_relation
        ]

    def key_of(self, values: dict[str, Any]) -> Any:
        if len(self.key_fields) == 1:
            f = self.key_fields[0]
            return stored_value(f, values.get(f.name))
        return tuple(stored_value(f, values.get(f.name)) for f in self.key_fields)

    def without_key(self, records: list[Record], plan: BatchPlan) -> list[Record]:
        """Set apart records whose key is empty: NULL never matches a stored row.

        In --mode create they are created (NULLs are distinct in a unique index);
        in every mode that finds rows by key they are row errors, since each run
        would otherwise add the same row again.
        """
        keyed = []
        for record in records:
            key = self.key_of(record.values)
            if key is not None and not (isinstance(key, tuple) and None in key):
                keyed.append(record)
            elif self.mode == "create":
                plan.creates.append(record)
            else:
                plan.rejected.append(
                    (
                        record,
                        self.error(
                            record,
                            f"the key ({self.key_label}) is empty, so this row could "
                            "never be found again and each run would add it anew; "
                            "fill it, or use --mode create to add such rows",
                            "null_key",
                        ),
                    )
                )
        return keyed

    def error(self, record: Record, message: str, code: str) -> RowError:
        column = self.columns.get(self.key[0]) if self.key else None
        value = self.key_of(record.values) if self.key else None
        return RowError(
            file=self.file,
            line=record.line,
            index=record.index,
            column=column,
            value=value,
            message=message,
            code=code,
        )

    def plan(self, records: list[Record]) -> BatchPlan:
        plan = BatchPlan()
        if not self.key:
            plan.creates = records
            if self.ragged:
                self.fill_defaults(plan)
            if self.uniques:
                self.check_uniques(plan)
            return plan
        keys = [self.key_of(record.values) for record in records]
        if None in keys or (len(self.key) > 1 and any(None in k for k in keys)):
            records = self.without_key(records, plan)
            keys = [self.key_of(record.values) for record in records]
        earlier_lines = self.seen.first_lines(
            self.model, keys, [record.line for record in records]
        )
        keyed: dict[Any, Record] = {}
        for record, key, earlier in zip(records, keys, earlier_lines, strict=True):
            if earlier is None:
                keyed[key] = record
                continue
            plan.rejected.append(
                (
                    record,
                    self.error(
                        record,
                        f"duplicate key: the same {self.key_label} is on line "
                        f"{earlier}",
                        "duplicate_key",
                    ),
                )
            )
        existing = self.existing(list(keyed))
        links = self.links(list(existing.values())) if self.many else {}
        for key, record in keyed.items():
            row = existing.get(key)
            if row is None:
                if self.mode == "update":
                    plan.rejected.append(
                        (
                            record,
                            self.error(
                                record,
                                f"no {self.model._meta.verbose_name} with this "
                                f"{self.key_label} exists to update",
                                "does_not_exist",
                            ),
                        )
                    )
                else:
                    plan.creates.append(record)
            elif self.mode == "create":
                plan.rejected.append(
                    (
                        record,
                        self.error(
                            record,
                            f"{self.model._meta.verbose_name.capitalize()} with this "
                            f"{self.key_label} already exists.",
                            "unique",
                        ),
                    )
                )
            elif self.mode == "skip":
                plan.skipped.append(record)
            elif self.moves_pk(record.values, row):
                plan.rejected.append(
                    (
                        record,
                        self.error(
                            record,
                            f"the stored row with this {self.key_label} has "
                            f"{self.pk.name} {row['pk']!r}: a primary key is never "
                            "changed",
                            "pk_changed",
                        ),
                    )
                )
            else:
                changed = self.changes(record.values, row, links.get(row["pk"], {}))
                if changed:
                    plan.updates.append(Change(record, row["pk"], changed))
                    if self.ragged:
                        self.keep_stored(record, row)
                else:
                    plan.unchanged.append(record)
        if self.ragged:
            self.fill_defaults(plan)
        if self.uniques:
            self.check_uniques(plan)
        if self.pending is not None:
            new_keys = [self.key_of(r.values) for r in plan.creates]
            self.pending.mark([k for k in new_keys if k is not None])
        return plan

    def keep_stored(self, record: Record, row: dict[str, Any]) -> None:
        """Give an update the stored value of each field its object omits.

        A missing key is not a value (an explicit null is): the row keeps what it
        has, so the writer, which updates every field of the file, writes it back.
        """
        values = record.values
        for f in self.concrete:
            if f.name in values:
                continue
            stored = row[f.attname]
            if f.is_relation and stored is not None:
                stored = f.related_model(**{f.target_field.attname: stored})
            values[f.name] = stored

    def fill_defaults(self, plan: BatchPlan) -> None:
        """Give a new row the default of each field its object omits, as save() does.

        The importer's `defaults` first, else the model field's; a field with
        neither that cannot be null makes the row an error.
        """
        refused = set()
        for record in plan.creates:
            values = record.values
            for f in self.concrete:
                if f.name in values:
                    continue
                if f.name in self.defaults:
                    value = self.defaults[f.name]
                elif f.primary_key and isinstance(f, AutoFieldMixin):
                    continue
                else:
                    value = f.get_default()
                if value is None and not f.null:
                    refused.add(id(record))
                    plan.rejected.append(
                        (
                            record,
                            RowError(
                                file=self.file,
                                line=record.line,
                                index=record.index,
                                column=self.columns.get(f.name, f.name),
                                value=None,
                                message=f"the object has no {f.name!r} and the "
                                "field has no default: "
                                + str(f.error_messages["null"]),
                                code="required",
                            ),
                        )
                    )
                    break
                values[f.name] = value
        if refused:
            plan.creates = [r for r in plan.creates if id(r) not in refused]

    def check_uniques(self, plan: BatchPlan) -> None:
        """Reject rows whose other unique fields clash inside the file or with rows."""
        writes: list[tuple[Record, Any]] = [(r, None) for r in plan.creates]
        writes += [(c.record, c.pk) for c in plan.updates]
        clashing: set[int] = set()
        for f in self.uniques:
            values = {
                r.values[f.name] for r, _ in writes if r.values.get(f.name) is not None
            }
            taken = dict(
                self.manager.filter(**{f"{f.attname}__in": values}).values_list(
                    f.attname, "pk"
                )
            )
            candidates = [
                (record, pk, record.values[f.name])
                for record, pk in writes
                if record.values.get(f.name) is not None and id(record) not in clashing
            ]
            earlier_lines = self.seen.first_lines(
                (self.model, f.name),
                [value for _, _, value in candidates],
                [record.line for record, _, _ in candidates],
            )
            for (record, pk, value), earlier in zip(
                candidates, earlier_lines, strict=True
            ):
                owner = taken.get(value, pk)
                if earlier is None and owner == pk:
                    continue
                where = f"line {earlier}" if earlier is not None else "an existing row"
                clashing.add(id(record))
                plan.rejected.append(
                    (
                        record,
                        RowError(
                            file=self.file,
                            line=record.line,
                            index=record.index,
                            column=self.columns.get(f.name, f.name),
                            value=value,
                            message=f"{f.verbose_name} must be unique; {where} "
                            "has the same value",
                            code="unique",
                        ),
                    )
                )
        if clashing:
            plan.creates = [r for r in plan.creates if id(r) not in clashing]
            plan.updates = [c for c in plan.updates if id(c.record) not in clashing]

    @property
    def key_label(self) -> str:
        opts = self.model._meta
        return " and ".join(str(opts.get_field(name).verbose_name) for name in self.key)

    def existing(self, keys: list[Any]) -> dict[Any, dict[str, Any]]:
        """Return the stored rows with these keys: key -> {attname: value, "pk": pk}.

        The probe finds which keys are stored (on a fresh load: none, one cheap
        query); only those rows are then read, through the ORM's converters.
        """
        if not keys:
            return {}
        attnames = [f.attname for f in self.concrete]
        attnames += [f.target_field.attname for f in self.link_sources]
        key_attnames = [f.attname for f in self.key_fields]
        columns = list(dict.fromkeys(["pk", *attnames, *key_attnames]))
        if len(self.key) > 1 and self.probe is None:  # a key in a parent's table
            query = Q()
            for key in keys:
                query |= Q(**dict(zip(key_attnames, key, strict=True)))
            rows = self.manager.filter(query).values(*columns)
            return {tuple(row[a] for a in key_attnames): row for row in rows}
        if len(self.key) > 1:
            pks = self.probe.stored(keys)
            if not pks:
                return {}
            by_pk = {pk: key for key, pk in pks.items()}
            rows = self.manager.filter(pk__in=list(by_pk)).values(*columns)
            return {by_pk[row["pk"]]: row for row in rows}
        if self.probe is not None:
            keys = list(self.probe.stored(keys))
            if not keys:
                return {}
        rows = self.manager.filter(**{f"{key_attnames[0]}__in": keys}).values(*columns)
        return {row[key_attnames[0]]: row for row in rows}

    def links(self, rows: list[dict[str, Any]]) -> dict[Any, dict[str, set[Any]]]:
        """Return the current many-to-many targets of these rows, by pk and field.

        A through table's foreign keys may target `to_field`s: rows are found by
        the source's target value and targets compared by theirs.
        """
        current: dict[Any, dict[str, set[Any]]] = {}
        for f, source in zip(self.many, self.link_sources, strict=True):
            _, target = link_ends(f)
            by_value = {row[source.target_field.attname]: row["pk"] for row in rows}
            through = f.remote_field.through
            pairs = through._base_manager.db_manager(self.using).filter(
                **{f"{source.attname}__in": list(by_value)}
            )
            for value, target_value in pairs.values_list(
                source.attname, target.attname
            ):
                pk = by_value[value]
                current.setdefault(pk, {}).setdefault(f.name, set()).add(target_value)
        return current

    def moves_pk(self, values: dict[str, Any], row: dict[str, Any]) -> bool:
        """Return whether a file's primary key differs from the found row's."""
        new = values.get(self.pk.name, MISSING)
        return new is not MISSING and stored_value(self.pk, new) != row["pk"]

    def changes(
        self, values: dict[str, Any], row: dict[str, Any], links: dict[str, set]
    ) -> dict[str, tuple[Any, Any]]:
        changed: dict[str, tuple[Any, Any]] = {}
        # Compared as stored: what pre_save makes of the file's value.
        values = self.presave.stored(values, row["pk"])
        for f in self.concrete:
            new = values.get(f.name, MISSING)
            if new is MISSING or f.name in self.key or f.primary_key:
                continue
            old = row[f.attname]
            if stored_value(f, new) != old:
                changed[f.name] = (old, new)
        for f in self.many:
            new = values.get(f.name, MISSING)
            if new is MISSING:
                continue
            _, target = link_ends(f)
            new_values = {stored_value(target, obj) for obj in new}
            old_values = links.get(f.name, set())
            if new_values != old_values or None in new_values:
                changed[f.name] = (sorted(old_values), [str(o) for o in new])
        return changed
