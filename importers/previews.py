"""Previews: a short, printable description of planned rows, for the report.

Related rows are named as a file names them (by natural key, else by pk), on both
sides of a change: `category: frontend -> backend`, `tags: [a, b] -> [a, c]`.
Only the few previewed rows are described; their old related rows are fetched in
one query per relation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from .planning import Change, link_ends
from .validation import Record


def previews(
    items: Sequence[Record | Change], model: type[models.Model], using: str
) -> list[dict[str, Any]]:
    """Return the previews of `items`, old related values named by natural key."""
    old_names = old_related_names(
        [item for item in items if isinstance(item, Change)], model, using
    )
    return [preview(item, old_names) for item in items]


def old_related_names(
    changes: list[Change], model: type[models.Model], using: str
) -> dict[str, dict[Any, Any]]:
    """Return, per relation changed in `changes`, old pk -> how a file names it."""
    wanted: dict[str, set[Any]] = {}
    for change in changes:
        for name, (old, _) in change.changed.items():
            keys = old if isinstance(old, list) else [old]
            wanted.setdefault(name, set()).update(k for k in keys if k is not None)
    names: dict[str, dict[Any, Any]] = {}
    for name, pks in wanted.items():
        field = model._meta.get_field(name)
        if not field.is_relation or not pks:
            continue
        related = field.related_model
        # Old values are what the row (or its through table) stores: the target
        # field's value, a to_field's where there is one.
        target = link_ends(field)[1] if field.many_to_many else field
        target_field = target.target_field
        manager = related._base_manager.db_manager(using)
        if target_field.primary_key:
            found = manager.in_bulk(pks)
        else:
            found = manager.in_bulk(pks, field_name=target_field.attname)
        names[name] = {pk: shown_value(obj) for pk, obj in found.items()}
    return names


def preview(item: Any, old_names: dict[str, dict[Any, Any]] | None = None) -> dict:
    """Return a short, printable description of one planned row."""
    if isinstance(item, Record):
        return {"line": item.line, "values": shown(item.values)}
    old_names = old_names or {}
    changed = {}
    for name, (old, new) in item.changed.items():
        named = old_names.get(name)
        if named is not None:
            old = (
                [named.get(pk, pk) for pk in old]
                if isinstance(old, list)
                else named.get(old, old)
            )
        changed[name] = (shown_value(old), shown_value(new))
    return {
        "line": item.record.line,
        "values": shown(item.record.values),
        "changed": changed,
    }


def shown(values: dict[str, Any]) -> dict[str, Any]:
    return {name: shown_value(value) for name, value in values.items()}


def shown_value(value: Any) -> Any:
    """Name related rows as a file names them: by natural key, else by pk."""
    if isinstance(value, list):  # related rows (never recursive: JSON may be deep)
        return [shown_value(v) if isinstance(v, models.Model) else v for v in value]
    if isinstance(value, models.Model):
        natural_key = getattr(value, "natural_key", None)
        if callable(natural_key):
            key = natural_key()
            return key[0] if len(key) == 1 else list(key)
        return value.pk
    return value
