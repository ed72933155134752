"""Rules the model declares, checked on planned rows before anything is written.

After planning (planning.py), before writing (writers.py): `Model.clean()` when the
model overrides it (in every run: `save()` never calls it, so the database cannot
catch what it refuses), and, in a dry run, the model's declared `CheckConstraint`s
and conditional or expression `UniqueConstraint`s with `Model.validate_constraints()`
semantics, so that the dry run rejects what the real run's database refuses. A real
run leaves those constraints to the database, whose refusals the writer pins on
rows: no query per row there. In a dry run each constraint costs one query per
row (Django's `Constraint.validate`), and rows repeating a conditional unique value
inside the files are caught with the run's key index.

Models that declare none of this (the blog) skip this step entirely.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint

from .importer import Importer
from .planning import BatchPlan, SeenKeys
from .results import RowError
from .validation import Record

NON_FIELD = "__all__"


def overrides_clean(model: type[models.Model]) -> bool:
    return model.clean is not models.Model.clean


def checked_constraints(model: type[models.Model]) -> list[models.BaseConstraint]:
    """Return the declared constraints a dry run checks row by row."""
    return [
        c
        for c in model._meta.constraints
        if isinstance(c, CheckConstraint)
        or (
            isinstance(c, UniqueConstraint)
            and (c.condition is not None or c.expressions)
        )
    ]


class Unsupported(Exception):
    """A condition the Python evaluator does not know: ask the database."""


COMPARISONS = {
    "exact": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def evaluate(condition: Any, instance: models.Model) -> bool | None:
    """Evaluate a Q of plain comparisons on an instance, with SQL's NULL logic.

    Covers field <op> value / F(field), `in`, `isnull`, AND / OR / NOT: what check
    constraints usually say. Anything else raises Unsupported, and the caller asks
    the database as Django's `Q.check()` does (a query per row).
    """
    if isinstance(condition, Q):
        results = [evaluate(child, instance) for child in condition.children]
        if condition.connector == Q.AND:
            value: bool | None = (
                False if False in results else (None if None in results else True)
            )
        else:
            value = True if True in results else (None if None in results else False)
        if condition.negated:
            value = None if value is None else not value
        return value
    if not isinstance(condition, tuple) or len(condition) != 2:
        raise Unsupported
    lookup, right = condition
    name, _, op = lookup.partition("__")
    op = op or "exact"
    left = operand(models.F(name), instance)
    if op == "isnull":
        if not isinstance(right, bool):
            raise Unsupported
        return (left is None) is right
    if op == "in":
        # Django's `in` drops None from the list (NULL never equals anything).
        values = [v for v in (operand(v, instance) for v in right) if v is not None]
        return None if left is None else left in values
    compare = COMPARISONS.get(op)
    if compare is None:
        raise Unsupported
    right = operand(right, instance)
    if left is None or right is None:
        return None
    try:
        return bool(compare(left, right))
    except TypeError:
        raise Unsupported from None


def operand(value: Any, instance: models.Model) -> Any:
    if isinstance(value, models.F):
        if "__" in value.name:
            raise Unsupported
        try:
            field = instance._meta.get_field(value.name)
        except Exception:
            raise Unsupported from None
        if field.is_relation or not field.concrete:
            raise Unsupported
        return getattr(instance, field.attname)
    if isinstance(value, models.Model) or hasattr(value, "resolve_expression"):
        raise Unsupported
    return value


def condition_holds(condition: Q, instance: models.Model, using: str) -> bool | None:
    """Return a condition's value for an instance: in Python, else by a query."""
    try:
        return evaluate(condition, instance)
    except Unsupported:
        against = instance._get_field_expression_map(meta=instance._meta)
        return condition.check(against, using=using)


class DeclaredRules:
    """Check planned creates and updates against the model's own rules."""

    def __init__(
        self,
        importer: type[Importer],
        *,
        using: str,
        dry_run: bool,
        file: str,
        columns: dict[str, str],
        seen: SeenKeys,
    ) -> None:
        self.model = importer.model
        self.defaults = importer.defaults
        self.using = using
        self.file = file
        self.columns = columns
        self.seen = seen
        self.cleans = overrides_clean(self.model)
        self.constraints = checked_constraints(self.model) if dry_run else []
        self.active = self.cleans or bool(self.constraints)
        # Unique on fields: one query per batch (check_repeats), not one per row.
        self.batched = [
            c
            for c in self.constraints
            if isinstance(c, UniqueConstraint) and c.fields and not c.expressions
        ]
        self.many = {f.name for f in self.model._meta.many_to_many}

    def check(self, plan: BatchPlan) -> None:
        """Move the planned rows that break a declared rule to `plan.rejected`."""
        if not self.active or not (plan.creates or plan.updates):
            return
        pairs: list[tuple[Record, models.Model]] = [
            (record, self.new_instance(record)) for record in plan.creates
        ]
        manager = self.model._base_manager.db_manager(self.using)
        stored = manager.in_bulk([change.pk for change in plan.updates])
        for change in plan.updates:
            instance = stored.get(change.pk)
            if instance is None:
                continue
            for name, value in change.record.values.items():
                if name not in self.many:
                    setattr(instance, name, value)
            pairs.append((change.record, instance))
        refused: set[int] = set()
        for record, instance in pairs:
            errors = self.errors(record, instance)
            if errors:
                refused.add(id(record))
                plan.rejected.extend((record, error) for error in errors)
        if self.constraints:
            self.check_repeats(
                [(r, i) for r, i in pairs if id(r) not in refused], plan, refused
            )
        if refused:
            plan.creates = [r for r in plan.creates if id(r) not in refused]
            plan.updates = [c for c in plan.updates if id(c.record) not in refused]

    def new_instance(self, record: Record) -> models.Model:
        values = {**self.defaults, **record.values}
        for name in self.many:
            values.pop(name, None)
        return self.model(**values)

    def errors(self, record: Record, instance: models.Model) -> list[RowError]:
        errors: list[RowError] = []
        if self.cleans:
            try:
                instance.clean()
            except ValidationError as exc:
                errors += self.row_errors(record, exc)
        for constraint in self.constraints:
            if constraint in self.batched:
                continue  # checked for the whole batch in check_repeats
            try:
                if isinstance(constraint, CheckConstraint):
                    self.check_condition(constraint, instance)
                else:
                    constraint.validate(self.model, instance, using=self.using)
            except ValidationError as exc:
                errors += self.row_errors(record, exc)
        return errors

    def check_condition(self, constraint: CheckConstraint, instance: Any) -> None:
        """Validate a CheckConstraint as Django does; in Python when it can."""
        try:
            value = evaluate(constraint.condition, instance)
        except Unsupported:
            constraint.validate(self.model, instance, using=self.using)
            return
        if value is False:  # NULL passes, as in SQL
            raise ValidationError(
                constraint.get_violation_error_message(),
                code=constraint.violation_error_code,
            )

    def check_repeats(
        self,
        pairs: list[tuple[Record, models.Model]],
        plan: BatchPlan,
        refused: set[int],
    ) -> None:
        """Reject rows whose conditional unique value is stored or met earlier."""
        opts = self.model._meta
        manager = self.model._base_manager.db_manager(self.using)
        for constraint in self.batched:
            attnames = [opts.get_field(name).attname for name in constraint.fields]
            candidates = []
            for record, instance in pairs:
                values = tuple(getattr(instance, a) for a in attnames)
                if None in values or id(record) in refused:
                    continue
                if constraint.condition is not None and not condition_holds(
                    constraint.condition, instance, self.using
                ):
                    continue
                candidates.append((record, values, instance.pk))
            stored = manager.filter(
                constraint.condition or Q(),
                **{f"{attnames[0]}__in": {v[0] for _, v, _ in candidates}},
            ).values_list(*attnames, "pk")
            owners: dict[tuple, set] = {}
            for row in stored:
                owners.setdefault(tuple(row[:-1]), set()).add(row[-1])
            message = constraint.get_violation_error_message()
            kept = []
            for record, values, pk in candidates:
                if owners.get(values, set()) - {pk}:
                    refused.add(id(record))
                    plan.rejected.append(
                        (record, self.error(record, message, "unique"))
                    )
                else:
                    kept.append((record, values))
            candidates = kept
            earlier = self.seen.first_lines(
                (self.model, constraint.name),
                [values for _, values in candidates],
                [record.line for record, _ in candidates],
            )
            for (record, _), line in zip(candidates, earlier, strict=True):
                if line is None:
                    continue
                refused.add(id(record))
                plan.rejected.append(
                    (
                        record,
                        self.error(record, f"{message} (as line {line})", "unique"),
                    )
                )

    def row_errors(self, record: Record, exc: ValidationError) -> list[RowError]:
        found = []
        for field, errors in exc.update_error_dict({}).items():
            for error in errors:
                for message in error:
                    found.append(
                        self.error(
                            record,
                            message,
                            error.code or "invalid",
                            None if field == NON_FIELD else field,
                        )
                    )
        return found

    def error(
        self, record: Record, message: str, code: str, field: str | None = None
    ) -> RowError:
        value: Any = record.values.get(field) if field else None
        return RowError(
            file=self.file,
            line=record.line,
            index=record.index,
            column=self.columns.get(field, field) if field else None,
            value=value,
            message=message,
            code=code,
        )
