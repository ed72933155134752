"""Resolve related rows named by natural key: one query per related model per batch.

Never `.get()` or `ForeignKey.clean()` per row: a batch's keys are looked up at once
with `filter(<attr>__in=keys)`, and found rows are remembered for later batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from .keys import KeyIndex

#: remembered related rows per relation before the memory is dropped and refilled
CACHE_LIMIT = 200_000


class RelatedRows:
    """Find (and optionally create) the rows of one related model by one attribute."""

    def __init__(
        self,
        field: models.Field,
        attr: str,
        *,
        using: str,
        create_missing: bool,
        dry_run: bool,
        pending: KeyIndex | None = None,
    ) -> None:
        self.field = field
        self.model: type[models.Model] = field.related_model
        self.attr = attr
        self.using = using
        self.create_missing = create_missing
        self.dry_run = dry_run
        # In a dry run, keys an earlier file of the same run would have created.
        self.pending = pending
        self.found: dict[Any, models.Model] = {}
        # create_missing: unsaved rows for missing keys, until a written row names them
        self.placeholders: dict[Any, models.Model] = {}
        self.created = 0

    def describe_missing(self, key: Any) -> str:
        return (
            f"{self.model._meta.object_name} with {self.attr} {key!r} does not exist."
        )

    def resolve(self, keys: Iterable[Any]) -> dict[Any, models.Model]:
        """Return the related rows for `keys`; missing keys are absent (or created)."""
        wanted = set(keys)
        wanted.discard(None)
        unknown = wanted.difference(self.found)
        if unknown:
            if len(self.found) + len(unknown) > CACHE_LIMIT:
                self.found.clear()
                self.placeholders.clear()
                unknown = wanted
            self.found.update(self.fetch(unknown))
            missing = unknown.difference(self.found)
            if missing and self.pending:
                ordered = list(missing)
                would_exist = [
                    k
                    for k, hit in zip(
                        ordered, self.pending.marked(ordered), strict=True
                    )
                    if hit
                ]
                self.found.update(
                    {k: self.model(**{self.attr: k}) for k in would_exist}
                )
                missing.difference_update(would_exist)
            if missing and self.create_missing:
                # Created later, only for rows that are written (`create`).
                new = {k: self.model(**{self.attr: k}) for k in missing}
                self.placeholders.update(new)
                self.found.update(new)
        found = self.found
        return {k: found[k] for k in wanted if k in found}

    def fetch(self, keys: set[Any]) -> dict[Any, models.Model]:
        manager = self.model._base_manager.db_manager(self.using)
        rows = manager.filter(**{f"{self.attr}__in": keys})
        return {getattr(obj, self.attr): obj for obj in rows}

    def create(self, objs: list[models.Model]) -> None:
        """Create the missing rows these written rows name (a dry run counts them).

        Missing related rows are resolved to unsaved placeholders during validation
        and created here, after planning, so that a rejected row leaves no orphan
        and a dry run's count equals the real run's.
        """
        placeholders = self.placeholders
        new = {}
        for obj in objs:
            key = getattr(obj, self.attr)
            if placeholders.get(key) is obj:
                new[key] = placeholders.pop(key)
        if not new:
            return
        self.created += len(new)
        if self.dry_run:
            return
        manager = self.model._base_manager.db_manager(self.using)
        # ignore_conflicts: a concurrent import may create the same rows first.
        manager.bulk_create(
            [new[k] for k in sorted(new, key=str)], ignore_conflicts=True
        )
        for key, stored in self.fetch(set(new)).items():
            new[key].pk = stored.pk
            new[key]._state.adding = False
            new[key]._state.db = self.using
