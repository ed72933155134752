"""The admin import pages' settings, each with its default, read when used.

IMPORTERS_ADMIN_STORAGE         alias in STORAGES for uploads ("importers")
IMPORTERS_ADMIN_UPLOAD_DIR      the default private storage's directory
IMPORTERS_ADMIN_MAX_UPLOAD_SIZE bytes an upload may have (100 MB)
IMPORTERS_ADMIN_MAX_RUN_SIZE    bytes of data imported within a request (8 MB)
IMPORTERS_ADMIN_UPLOAD_TTL      seconds an unconfirmed upload is kept (1 hour)
IMPORTERS_ADMIN_PREVIEW_ROWS    rows kept per action for the preview (200)
IMPORTERS_ADMIN_PAGE_SIZE       rows per page of the preview and errors (25)
IMPORTERS_ADMIN_BUTTONS         add the Import button to every registered
                                ModelAdmin whose model has an importer (True)
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

DEFAULTS: dict[str, Any] = {
    "STORAGE": "importers",
    "UPLOAD_DIR": None,  # None: <temporary directory>/django-importers-uploads
    "MAX_UPLOAD_SIZE": 100 * 1024 * 1024,
    # About 10 s of importing posts on the reference machine (docs/admin.md).
    "MAX_RUN_SIZE": 8 * 1024 * 1024,
    "UPLOAD_TTL": 3600,
    "PREVIEW_ROWS": 200,
    "PAGE_SIZE": 25,
    "BUTTONS": True,
}


def setting(name: str) -> Any:
    """Return IMPORTERS_ADMIN_<name>, or its default."""
    return getattr(settings, f"IMPORTERS_ADMIN_{name}", DEFAULTS[name])


class PrivateStorage(FileSystemStorage):
    """A directory only this OS user can read, whose files have no URL."""

    def __init__(self, location: str | Path | None = None) -> None:
        super().__init__(
            location=location or Path(tempfile.gettempdir()) / "django-importers",
            directory_permissions_mode=0o700,
            file_permissions_mode=0o600,
        )

    def url(self, name: str | None) -> str:
        raise NotImplementedError("uploads to import are never served by URL")


def get_storage() -> Storage:
    """Return the storage of uploads: STORAGES[alias] if defined, else private."""
    alias = setting("STORAGE")
    if alias in settings.STORAGES:
        return storages[alias]
    return PrivateStorage(setting("UPLOAD_DIR"))
