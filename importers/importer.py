"""The declarative `Importer`: which model a file fills, and how its columns map.

Declared like a ModelAdmin: flat class attributes, checked when the class is created
so a typo fails at import time naming the class, the attribute and the bad field.
`Importer.for_model(Model, **overrides)` builds one for any model without a class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models.fields import AutoFieldMixin
from django.utils.text import slugify


def unique_field_sets(model: type[models.Model]) -> list[tuple[str, ...]]:
    """Return each set of fields that identifies a row, besides the primary key."""
    opts = model._meta
    sets: list[tuple[str, ...]] = [
        (f.name,) for f in opts.concrete_fields if f.unique and not f.primary_key
    ]
    sets += [tuple(names) for names in opts.unique_together]
    sets += [
        tuple(c.fields)
        for c in opts.constraints
        if isinstance(c, models.UniqueConstraint)
        and c.fields
        and c.condition is None
        and not c.expressions
    ]
    return list(dict.fromkeys(sets))


def fillable_pk(model: type[models.Model]) -> bool:
    """Return whether a file fills the primary key: it is not generated.

    Not an auto-increment and not the link to a multi-table parent.
    """
    pk = model._meta.pk
    return not isinstance(pk, AutoFieldMixin) and pk.editable and not pk.auto_created


def key_problem(model: type[models.Model], key: Sequence[str]) -> str | None:
    """Return why `key` cannot identify a row of `model`, or None if it can.

    A key is the primary key, a unique field, or a set of fields unique together
    without a condition: anything else could match several rows.
    """
    opts = model._meta
    for name in key:
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return f"{name!r} is not a field of {opts.label}"
        if field.many_to_many:
            return f"{name!r} is a many-to-many field, not a column"
        if not field.concrete:
            return f"{name!r} is not a column of {opts.label} (a relation's other side)"
    names = tuple(opts.get_field(name).name for name in key)
    if names == (opts.pk.name,) or names in unique_field_sets(model):
        return None
    return (
        f"{', '.join(names)} is not unique in {opts.label}, so it could match "
        "several rows: name a unique field or a UniqueConstraint's fields"
    )


def lookup_problem(model: type[models.Model], name: str, attr: str) -> str | None:
    """Return why related rows of field `name` cannot be found by `attr`, or None."""
    opts = model._meta
    try:
        relation = opts.get_field(name)
    except FieldDoesNotExist:
        return f"{name!r} is not a field of {opts.label}"
    if not relation.is_relation or relation.auto_created:  # reverse: not a column
        return f"{name!r} is not a relation of {opts.label}"
    related = relation.related_model._meta
    try:
        target = related.get_field(attr)
    except FieldDoesNotExist:
        return f"{attr!r} is not a field of {related.label}"
    if not target.concrete or target.many_to_many:
        return f"{related.label}.{attr} is not a column (a relation's other side)"
    if not (target.unique or target.primary_key):
        return f"{related.label}.{attr} is not unique, so it cannot name one row"
    return None


def default_key(model: type[models.Model]) -> tuple[str, ...]:
    """Return the model's one natural identity, or () when it has none or several.

    A primary key the file fills (a code, a FIPS number) is that identity.
    """
    if fillable_pk(model):
        return (model._meta.pk.name,)
    sets = unique_field_sets(model)
    return sets[0] if len(sets) == 1 else ()


def default_lookup(related_model: type[models.Model]) -> str:
    """Return the attribute a file names related rows by: their one unique field."""
    key = default_key(related_model)
    return key[0] if len(key) == 1 else related_model._meta.pk.name


class Importer:
    """Describe how rows of a file become instances of `model`.

    Subclass and set `model`; everything else has a default drawn from the model.
    """

    model: ClassVar[type[models.Model]]
    #: registry name; default: the model's verbose_name_plural, slugified ("posts")
    name: ClassVar[str | None] = None
    #: fields a file may fill; default: concrete editable fields and M2M, not the pk
    fields: ClassVar[Sequence[str] | None] = None
    #: field(s) identifying an existing row; default: the model's one unique field
    key: ClassVar[str | Sequence[str] | None] = None
    #: header aliases: {"E-mail address": "email"}
    columns: ClassVar[Mapping[str, str]] = {}
    #: how related rows are named: {"author": "username"}; default: their unique field
    lookups: ClassVar[Mapping[str, str]] = {}
    #: related fields whose missing rows are created from the named attribute
    create_missing: ClassVar[Sequence[str]] = ()
    #: values for fields whose column the file lacks
    defaults: ClassVar[Mapping[str, Any]] = {}
    #: strptime formats accepted besides ISO 8601
    date_formats: ClassVar[Sequence[str]] = ()
    datetime_formats: ClassVar[Sequence[str]] = ()
    time_formats: ClassVar[Sequence[str]] = ()
    #: cell values that mean "missing" besides the empty cell
    null_values: ClassVar[Sequence[str]] = ()
    #: separator of several related keys in one CSV cell (M2M)
    m2m_separator: ClassVar[str] = ";"
    #: let a file fill an auto-increment primary key (then the default key), as
    #: loaddata does; the id sequence is reset after (--explicit-pk)
    explicit_pk: ClassVar[bool] = False
    #: write in bulk even a model whose save() is overridden or that has pre_save /
    #: post_save receivers: those do not run, and the report says so (--bulk)
    bulk: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "model" in cls.__dict__ or getattr(cls, "model", None) is not None:
            cls.check_declaration()

    # -- hooks -------------------------------------------------------------------
    def transform(self, values: dict[str, Any]) -> dict[str, Any]:
        """Adjust one row's raw values (keyed by field name) before validation."""
        return values

    def clean(self, record: dict[str, Any]) -> dict[str, Any]:
        """Check or adjust a whole validated record; raise ValidationError to reject."""
        return record

    # -- declaration --------------------------------------------------------------
    @classmethod
    def for_model(cls, model: type[models.Model], **overrides: Any) -> type[Importer]:
        """Build an Importer subclass for `model` with attributes from `overrides`."""
        unknown = set(overrides) - set(dir(Importer))
        if unknown:
            raise TypeError(
                f"Importer.for_model() got unknown options: {sorted(unknown)}"
            )
        attrs = {"model": model, "__module__": model.__module__, **overrides}
        return type(f"{model.__name__}Importer", (cls,), attrs)

    @classmethod
    def get_name(cls) -> str:
        return cls.name or slugify(str(cls.model._meta.verbose_name_plural))

    @classmethod
    def get_fields(cls) -> list[models.Field]:
        """Return the model fields a file may fill, in declaration order."""
        opts = cls.model._meta
        if cls.fields is not None:
            return [opts.get_field(name) for name in cls.fields]
        pk = opts.pk
        pk_too = fillable_pk(cls.model) or (cls.explicit_pk and not pk.is_relation)
        return [
            f
            for f in [*opts.concrete_fields, *opts.many_to_many]
            if (f is pk and pk_too)
            or (f.editable and not f.auto_created and not f.primary_key)
        ]

    @classmethod
    def get_key(cls) -> tuple[str, ...]:
        if cls.key is None:
            if cls.explicit_pk:
                return (cls.model._meta.pk.name,)
            return default_key(cls.model)
        return (cls.key,) if isinstance(cls.key, str) else tuple(cls.key)

    @classmethod
    def get_lookup(cls, field: models.Field) -> str:
        """Return the attribute of field's related model that a file names rows by."""
        return cls.lookups.get(field.name) or default_lookup(field.related_model)

    @classmethod
    def check_declaration(cls) -> None:
        """Fail now, naming class, attribute and field, if the declaration is wrong."""
        model = getattr(cls, "model", None)
        where = cls.__qualname__
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            raise ImproperlyConfigured(f"{where}.model must be a Django model class.")
        opts = model._meta

        def field(attr: str, name: str) -> models.Field:
            try:
                return opts.get_field(name)
            except FieldDoesNotExist:
                raise ImproperlyConfigured(
                    f"{where}.{attr} names {name!r}, which is not a field of "
                    f"{opts.label}."
                ) from None

        for name in cls.fields or ():
            field("fields", name)
        for name in cls.get_key():
            if field("key", name).many_to_many:
                raise ImproperlyConfigured(
                    f"{where}.key cannot be a many-to-many field."
                )
        problem = key_problem(model, cls.get_key()) if cls.key is not None else None
        if problem:
            raise ImproperlyConfigured(f"{where}.key: {problem}.")
        for alias, name in cls.columns.items():
            field(f"columns[{alias!r}]", name)
        for name, attr in cls.lookups.items():
            field("lookups", name)
            problem = lookup_problem(model, name, attr)
            if problem:
                raise ImproperlyConfigured(f"{where}.lookups[{name!r}]: {problem}.")
        for name in cls.create_missing:
            if not field("create_missing", name).is_relation:
                raise ImproperlyConfigured(
                    f"{where}.create_missing names {name!r}, which is not a relation."
                )
        for name in cls.defaults:
            field("defaults", name)
