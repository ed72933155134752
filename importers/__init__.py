"""importers: management commands that turn files of rows into model rows.

The public names are loaded lazily: Django imports this package while the app
registry is still loading, and `manage.py --help` should not pay for the engine.
"""

from importlib import import_module
from typing import Any

# The one place the version is written: pyproject.toml reads it from this line.
__version__ = "0.1.0"

_PUBLIC = {
    "Importer": "importers.importer",
    "register": "importers.registry",
    "ImportCommand": "importers.command",
    "run_import": "importers.pipeline",
    "read_frame": "importers.frame_export",
    "ImportOptions": "importers.options",
    "Report": "importers.results",
    "RowError": "importers.results",
    "SourceError": "importers.errors",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'importers' has no attribute {name!r}")
    return getattr(import_module(module), name)
