"""Readers, step 2 of the pipeline (a file's records as Rows), and their registry.

    sources.py  ->  readers/  ->  pipeline.py

One Reader class per format (readers/csv.py, readers/json.py), found by format name
or by file extension. The registry holds the built-ins, the classes named by dotted
path in the optional IMPORTERS_READERS setting, and those passed to
register_reader(). It fills lazily: a reader whose module fails to import fails only
when it is asked for, saying what to install.
"""

from __future__ import annotations

from importlib import import_module

from importers.errors import SourceError
from importers.readers.base import Reader, ReadOptions, Row
from importers.sources import Source

__all__ = [
    "ReadOptions",
    "Reader",
    "Row",
    "formats",
    "get_reader",
    "reader_for",
    "register_reader",
]

BUILTIN_READERS = {
    "csv": "importers.readers.csv.CSVReader",
    "tsv": "importers.readers.csv.TSVReader",
    "json": "importers.readers.json.JSONArrayReader",
    "jsonl": "importers.readers.json.JSONLinesReader",
    "parquet": "importers.readers.parquet.ParquetReader",
}
_registered: dict[str, type[Reader]] = {}
_plugins: dict[str, SourceError | None] = {}  # IMPORTERS_READERS path -> its failure


def register_reader(cls: type[Reader]) -> type[Reader]:
    """Register a Reader class for its format; usable as a class decorator."""
    if not (isinstance(cls, type) and issubclass(cls, Reader)):
        raise TypeError(f"{cls!r} is not a subclass of importers.readers.Reader")
    if not isinstance(getattr(cls, "format", None), str):
        raise TypeError(f"{cls.__qualname__} has no `format` name")
    _registered[cls.format] = cls
    return cls


def get_reader(format: str) -> type[Reader]:
    """Return the Reader class for a format name such as "csv"."""
    _load_plugins()
    if format in _registered:
        return _registered[format]
    if format in BUILTIN_READERS:
        return _import(BUILTIN_READERS[format])
    raise _unknown(f"unknown format {format!r}; known formats: {', '.join(formats())}")


def reader_for(source: Source) -> type[Reader]:
    """Return the Reader class for a source, by its format, else its extension."""
    if source.format:
        return get_reader(source.format)
    _load_plugins()
    for cls in reversed(_registered.values()):
        if source.extension and source.extension in cls.extensions:
            return cls
    raise _unknown(
        f"cannot tell the format of {source.name}; use --format with one of: "
        + ", ".join(formats())
    )


def formats() -> list[str]:
    """Return the names of all known formats, sorted."""
    _load_plugins()
    return sorted({*BUILTIN_READERS, *_registered})


def _unknown(message: str) -> SourceError:
    """Return an unknown-format error, adding why any plug-in failed to load."""
    failures = [str(error) for error in _plugins.values() if error is not None]
    return SourceError("; ".join([message, *failures]), code="unknown_format")


def _load_plugins() -> None:
    for path in _setting():
        if path not in _plugins:
            try:
                register_reader(_import(path))
                _plugins[path] = None
            except (SourceError, TypeError) as exc:
                _plugins[path] = SourceError(f"IMPORTERS_READERS: {exc}")


def _setting() -> list[str]:
    """Return the IMPORTERS_READERS setting; [] when Django is not configured."""
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        return []
    try:
        return list(getattr(settings, "IMPORTERS_READERS", ()))
    except ImproperlyConfigured:
        return []


def _import(path: str) -> type[Reader]:
    """Import a Reader class by dotted path; a missing dependency says what to add."""
    module_name, _, name = path.rpartition(".")
    try:
        return getattr(import_module(module_name), name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and not f"{module_name}.".startswith(f"{missing}."):
            package = missing.partition(".")[0]
            message = f"the reader {path} needs {package!r}: pip install {package}"
        else:
            message = f"cannot import the reader {path}: {exc}"
        raise SourceError(message, code="reader_unavailable") from exc
    except (ImportError, AttributeError, ValueError) as exc:
        message = f"cannot import the reader {path}: {exc}"
        raise SourceError(message, code="reader_unavailable") from exc
