"""Where importers are found by name: `@register`, discovery of `<app>/importers.py`.

Like the admin site: apps declare importers in an `importers` module, collected when
the app registry is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .importer import Importer

I = TypeVar("I", bound=type[Importer])  # noqa: E741

_registry: dict[str, type[Importer]] = {}


def register(
    importer: I | None = None, *, name: str | None = None
) -> I | Callable[[I], I]:
    """Register an Importer class under its name (the model's plural by default)."""

    def decorator(cls: I) -> I:
        key = name or cls.get_name()
        existing = _registry.get(key)
        if existing is not None and existing is not cls:
            raise ImproperlyConfigured(
                f"Two importers are named {key!r}: {existing.__module__}."
                f"{existing.__qualname__} and {cls.__module__}.{cls.__qualname__}. "
                "Set `name` on one of them."
            )
        _registry[key] = cls
        return cls

    return decorator(importer) if importer is not None else decorator


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> dict[str, type[Importer]]:
    """Return the registered importers by name, sorted."""
    return dict(sorted(_registry.items()))


def get_importer(name: str) -> type[Importer] | None:
    return _registry.get(name)


def importer_for_model(model: type[models.Model]) -> type[Importer]:
    """Return the importer registered for `model`, or a default one built for it."""
    for cls in _registry.values():
        if cls.model is model:
            return cls
    return Importer.for_model(model)


COMPRESSED = {".gz", ".bz2", ".xz", ".zip"}


def file_stem(path: str) -> str:
    """Return a file's name without format and compression extensions: its importer.

    `posts.csv.gz` -> `posts`; `load_data` finds the importer registered so.
    """
    pure = PurePath(path)
    if pure.suffix.lower() in COMPRESSED:
        pure = PurePath(pure.stem)
    return PurePath(pure.name).stem


def autodiscover() -> None:
    """Import every installed app's `importers` module, registering what it declares."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("importers")
