"""Write a batch's many-to-many links in bulk, through each through table.

Called by the writer after a batch's rows are written, with each row's pk. A
through table's foreign keys hold their targets' values: the pk, or a `to_field`
(read once per batch when it is not the pk), as `.set()` would store them.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, models

from .planning import link_ends, stored_value
from .statements import LinkStatements
from .validation import Record


def write_links(
    fields: list[models.ManyToManyField],
    rows: list[tuple[Record, Any]],
    *,
    replace: set[int],
    manager: models.Manager,
    using: str,
) -> None:
    """Link each (record, pk) to its targets; first unlink records in `replace`."""
    connection = connections[using]
    for f in fields:
        through = f.remote_field.through
        source, target = link_ends(f)
        links = through._base_manager.db_manager(using)
        present = [(r, pk) for r, pk in rows if f.name in r.values]
        if not present:
            continue
        source_of = source_values(manager, [pk for _, pk in present], source)
        stale = [source_of[pk] for r, pk in present if id(r) in replace]
        if stale:
            links.filter(**{f"{source.attname}__in": stale})._raw_delete(using)
        pairs = [
            (source_of[pk], stored_value(target, t))
            for r, pk in present
            for t in dict.fromkeys(r.values[f.name])
        ]
        statements = LinkStatements(
            through._meta.db_table, source.column, target.column, connection
        )
        with connection.cursor() as cursor:
            statements.insert_rows(cursor, pairs)


def source_values(
    manager: models.Manager, pks: list[Any], source: models.ForeignKey
) -> dict[Any, Any]:
    """Return {pk: the value a through row stores for that row}."""
    if source.target_field.primary_key:
        return {pk: pk for pk in pks}
    attname = source.target_field.attname
    return dict(manager.filter(pk__in=pks).values_list("pk", attname))
