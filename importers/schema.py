"""Before reading: are the tables an import writes to there (migrations applied)?

Checked once per run, up front, so that an unmigrated database fails in one line
naming the app, not at the first batch as a database error.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, models


def tables_of(model: type[models.Model]) -> dict[str, type[models.Model]]:
    """Return the tables an import into `model` touches: its own, related, links."""
    tables = {model._meta.db_table: model}
    for field in model._meta.get_fields():
        related = getattr(field, "related_model", None)
        if not field.is_relation or related is None or field.auto_created:
            continue
        if isinstance(related, type) and related._meta.managed:
            tables.setdefault(related._meta.db_table, related)
        through = getattr(getattr(field, "remote_field", None), "through", None)
        if field.many_to_many and through is not None:
            tables.setdefault(through._meta.db_table, through)
    for parent in model._meta.get_parent_list():
        tables.setdefault(parent._meta.db_table, parent)
    return tables


def missing_tables(
    models_: Iterable[type[models.Model]], using: str
) -> dict[str, type[models.Model]]:
    """Return the tables (name -> model) of managed models missing from the database."""
    wanted: dict[str, type[models.Model]] = {}
    for model in models_:
        if model._meta.managed:
            wanted.update(tables_of(model._meta.concrete_model))
    if not wanted:
        return {}
    existing = set(connections[using].introspection.table_names())
    return {
        table: model
        for table, model in wanted.items()
        if table not in existing and model._meta.managed
    }
