"""The values `save()` computes in `pre_save`, computed the same way for bulk writes.

`Model.save()` stores `field.pre_save(instance, add)` for every field: `auto_now`
and `auto_now_add` stamp the time, a custom field may change the value. Bulk paths
call the same methods, per row, so they store what save() would: on insert every
such field; on update the `auto_now` ones and those the file fills.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db import models

#: pre_save implementations that only read the value, unless auto_now(_add) is set
CLOCK_PRE_SAVE = {
    models.DateField.pre_save,
    models.DateTimeField.pre_save,
    models.TimeField.pre_save,
}


def is_clock(field: models.Field) -> bool:
    return type(field).pre_save in CLOCK_PRE_SAVE


def computed_fields(model: type[models.Model]) -> list[models.Field]:
    """Return the concrete fields whose pre_save may store another value."""
    fields = []
    for f in model._meta.concrete_fields:
        pre_save = type(f).pre_save
        if f.primary_key or pre_save is models.Field.pre_save:
            continue
        if is_clock(f) and not (f.auto_now or f.auto_now_add):
            continue
        fields.append(f)
    return fields


class PreSave:
    """Compute the pre_save values of one model's rows, given the file's fields."""

    def __init__(self, model: type[models.Model], given: set[str]) -> None:
        self.model = model
        computed = computed_fields(model)
        self.on_create = computed
        self.on_update = [
            f for f in computed if (is_clock(f) and f.auto_now) or f.name in given
        ]
        #: fields of the file whose stored value pre_save decides (compared so)
        self.in_file = [f for f in computed if f.name in given and not is_clock(f)]
        # Clock fields read nothing of the instance: a bare holder will do.
        self.needs_instance = any(not is_clock(f) for f in computed)

    def __bool__(self) -> bool:
        return bool(self.on_create)

    def holder(self, values: dict[str, Any], pk: Any = None) -> Any:
        if not self.needs_instance:
            return SimpleNamespace()
        concrete = {
            k: v
            for k, v in values.items()
            if not self.model._meta.get_field(k).many_to_many
        }
        obj = self.model(**concrete)
        if pk is not None:
            obj.pk = pk
            obj._state.adding = False
        return obj

    def created(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return {field name: value} that save() would store on insert."""
        obj = self.holder(values)
        return {f.name: f.pre_save(obj, True) for f in self.on_create}

    def updated(self, values: dict[str, Any], pk: Any) -> dict[str, Any]:
        """Return {field name: value} that save() would store on update."""
        obj = self.holder(values, pk)
        return {f.name: f.pre_save(obj, False) for f in self.on_update}

    def stored(self, values: dict[str, Any], pk: Any) -> dict[str, Any]:
        """Return what an update would store in the file's pre_save fields."""
        if not self.in_file:
            return values
        obj = self.holder(values, pk)
        return {**values, **{f.name: f.pre_save(obj, False) for f in self.in_file}}
