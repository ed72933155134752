"""Choose how a model's rows are written, before the first batch: SQL, ORM or save().

Three paths, all storing what `Model.save()` per row would store:

- "sql": the engine's own statements (executemany, COPY on PostgreSQL), the fast
  default. Values go through each field's `get_db_prep_save`; fields whose
  `pre_save` computes the value (`auto_now`, a custom field) get it computed per
  row; absent `db_default` columns are left to the database.
- "orm": `bulk_create` / `bulk_update`, with `pre_save` applied the same way. Used
  when native statements are turned off, or cannot read back new rows' ids.
- "save": `save()` per row, inside the same batches and savepoints. Taken by a model
  that `bulk_create` cannot write (multi-table inheritance) and by one whose
  `save()` is overridden or that has `pre_save` / `post_save` receivers, because a
  bulk write would silently skip them. `--bulk` (or `Importer.bulk = True`) keeps
  such a model on the bulk path, and the report then says what was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models.signals import post_save, pre_save

SQL, ORM, SAVE = "sql", "orm", "save"


@dataclass(frozen=True)
class Route:
    """The path a model's rows take, and a one-line reason the report prints."""

    path: str
    reason: str
    #: what a bulk path skips that save() would do (set when --bulk chose bulk)
    skipped: str = ""


def overrides_save(model: type[models.Model]) -> bool:
    """Return whether a class between `model` and Model defines save()."""
    for cls in model.__mro__:
        if cls is models.Model:
            return False
        if "save" in vars(cls):
            return True
    return False


def save_hooks(model: type[models.Model]) -> list[str]:
    """Return what `save()` does for `model` that a bulk write would not."""
    label = model._meta.label
    hooks = []
    if overrides_save(model):
        hooks.append(f"{label}.save()")
    for name, signal in (("pre_save", pre_save), ("post_save", post_save)):
        if signal.has_listeners(model):
            hooks.append(f"{label}'s {name} receivers")
    return hooks


def is_multi_table(model: type[models.Model]) -> bool:
    return bool(model._meta.concrete_model._meta.parents)


def choose_route(
    model: type[models.Model], *, native: bool, bulk: bool, can_read_ids: bool
) -> Route:
    """Return the path rows of `model` take (see the module docstring)."""
    if is_multi_table(model):
        return Route(
            SAVE,
            "save() per row: multi-table inheritance writes a row in each "
            "parent's table, which bulk writes cannot do",
        )
    hooks = save_hooks(model)
    skipped = ""
    if hooks and not bulk:
        return Route(SAVE, f"save() per row: {' and '.join(hooks)} must run")
    if hooks:
        skipped = f"{' and '.join(hooks)} not run (bulk writes were asked for)"
    if not native:
        return Route(ORM, "bulk_create/bulk_update (native statements off)", skipped)
    if not can_read_ids:
        return Route(
            ORM,
            "bulk_create: many-to-many links need new rows' ids and there is no key",
            skipped,
        )
    return Route(SQL, "native statements", skipped)
