"""The machine and software a run measured: the header of RESULTS.md."""

import os
import platform
import sqlite3
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


def read_first(path: str, prefix: str) -> str | None:
    """Return the value of the first `prefix: value` line of a /proc file."""
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(postgres_version: str | None) -> list[tuple[str, str]]:
    """Return (label, value) pairs describing this machine and its software."""
    memory = read_first("/proc/meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 1024**2:.1f} GiB" if memory else "?"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        ("CPU", read_first("/proc/cpuinfo", "model name") or platform.processor()),
        ("Cores", str(os.cpu_count())),
        ("RAM", ram),
        ("Load average (1, 5, 15 min) at the end", load),
        ("Python", platform.python_version()),
        ("Django", package_version("django")),
        ("django-import-export", package_version("django-import-export")),
        ("psycopg", package_version("psycopg")),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version or "not measured"),
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
