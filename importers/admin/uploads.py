"""Step 1 of an admin import: receive a file within a size limit, keep it privately.

Each upload gets a folder of its own in the upload storage (conf.get_storage()):

    <token>/file/<name>   the file as uploaded (its own folder: any name is safe)
    <token>/plan.json     its preview: the options, sha256 and the dry run's report
    <token>/errors.csv    the dry run's rejected rows, when there are some

The folder is deleted after the run, or by `sweep()` once older than the upload TTL;
the token starts with the upload's time, so sweeping reads nothing but names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.text import get_valid_filename

from importers.sources import open_source

from .conf import get_storage, setting

TOKEN = re.compile(r"(\d{10,})-[A-Za-z0-9_-]{16}")
PLAN = "plan.json"
ERRORS = "errors.csv"
CHUNK = 1 << 16


class SizeLimitHandler(FileUploadHandler):
    """Stop storing an uploaded file once it passes `limit` bytes.

    Placed first among the request's upload handlers, it sees each chunk before
    the handlers that keep it; past the limit the file is dropped (SkipFile), and
    `too_large` tells the view why the form has no file.
    """

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the UploadedFile


@dataclass(frozen=True)
class Upload:
    """A stored upload: where it is, what the user called it, and its digest."""

    token: str
    name: str  # in the storage: "<token>/file/<file name>"
    filename: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
        }


def save_upload(file: UploadedFile) -> Upload:
    """Store an uploaded file in a new folder; return it with its sha256."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    filename = os.path.basename(file.name or "")
    token = f"{int(time.time())}-{secrets.token_urlsafe(12)}"
    safe = get_valid_filename(filename) if filename.strip(". ") else "upload"
    name = get_storage().save(f"{token}/file/{safe}", file)
    return Upload(token, name, filename or safe, size, digest.hexdigest())


def file_sha256(name: str) -> str:
    """Return the sha256 of a stored file, read again from the storage."""
    digest = hashlib.sha256()
    with get_storage().open(name, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def local_path(name: str) -> Iterator[str]:
    """Yield a path on disk to a stored file, copying it there when remote.

    The engine opens files by path and tells their format and compression from
    the file name, so a copy keeps the name.
    """
    storage = get_storage()
    try:
        path = storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None and os.path.isfile(path):  # InMemoryStorage has paths too
        yield path
        return
    folder = tempfile.mkdtemp(prefix="importers-")
    try:
        path = os.path.join(folder, os.path.basename(name))
        with storage.open(name, "rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def data_size(path: str, limit: int) -> int:
    """Return the bytes of data in a file once decompressed, counted up to limit + 1.

    A compressed file imports as slowly as its content is large.
    """
    size = 0
    with open_source(path) as source:
        stream = source.binary()
        while size <= limit and (chunk := stream.read(CHUNK)):
            size += len(chunk)
    return size


def save_plan(token: str, plan: dict[str, Any]) -> None:
    storage = get_storage()
    name = f"{token}/{PLAN}"
    storage.delete(name)
    storage.save(name, ContentFile(json.dumps(plan).encode()))


def load_plan(token: str) -> dict[str, Any] | None:
    """Return an upload's plan, or None when it is gone (run, expired) or bogus."""
    if not TOKEN.fullmatch(token):
        return None
    try:
        with get_storage().open(f"{token}/{PLAN}", "rb") as file:
            return json.loads(file.read())
    except (FileNotFoundError, ValueError):
        return None


def save_errors(token: str, path: Path) -> str | None:
    """Keep the dry run's errors file with the upload; None when it is empty."""
    storage = get_storage()
    name = f"{token}/{ERRORS}"
    storage.delete(name)
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as file:
        return storage.save(name, File(file))


def discard(token: str) -> None:
    """Delete an upload's folder and everything in it."""
    if not TOKEN.fullmatch(token):
        return
    _delete_tree(get_storage(), token)


def _delete_tree(storage: Storage, folder: str) -> None:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in folders:
        _delete_tree(storage, f"{folder}/{name}")
    for name in files:
        storage.delete(f"{folder}/{name}")
    with suppress(OSError, NotImplementedError):
        storage.delete(folder)  # a folder on disk; nothing in key-value storages


def sweep(ttl: int | None = None) -> int:
    """Delete the uploads older than the TTL; return how many were deleted."""
    ttl = setting("UPLOAD_TTL") if ttl is None else ttl
    try:
        folders, _ = get_storage().listdir("")
    except (FileNotFoundError, NotImplementedError):
        return 0
    cutoff = time.time() - ttl
    old = [
        folder
        for folder in folders
        if (match := TOKEN.fullmatch(folder)) and int(match.group(1)) < cutoff
    ]
    for folder in old:
        discard(folder)
    return len(old)
