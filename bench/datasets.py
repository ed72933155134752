"""The data sets: made by bench/make_posts.py on demand, and what loading them gives.

A data set is one directory `<data-dir>/<rows>/` of make_posts.py output. Its
`Checksum` is computed from posts.csv and compared with the same sums taken from the
`blog_post` table after a run; author and category ids are their 1-based line numbers
in authors.csv and categories.csv, which is how the harness loads them.
"""

import csv
import hashlib
import shutil
import sys
import tempfile
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from bench.process import run_step

PARENT_FILES = ("authors.csv", "categories.csv")
GENERATED = ("posts.csv", "posts.json", "posts.jsonl", *PARENT_FILES)


@dataclass(frozen=True)
class Checksum:
    """Cheap sums over the posts table that a wrong load cannot match by chance."""

    count: int = 0
    views: int = 0
    ratings: int = 0
    rating_cents: int = 0
    categories: int = 0
    category_ids: int = 0
    author_ids: int = 0
    published_at: int = 0
    published_epoch: int = 0
    status_published: int = 0
    text_length: int = 0

    def differences(self, actual: "Checksum") -> list[str]:
        """Describe each sum where `actual` differs from this expected one."""
        return [
            f"{field.name} {getattr(actual, field.name)} != {getattr(self, field.name)}"
            for field in fields(self)
            if getattr(actual, field.name) != getattr(self, field.name)
        ]


EMPTY = Checksum()


def read_keys(path: Path) -> dict[str, int]:
    """Map the first column of a CSV file to 1-based line numbers: the ids we load."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return {row[0]: number for number, row in enumerate(reader, start=1)}


@dataclass(frozen=True)
class Dataset:
    """One generated directory of posts plus the authors and categories they name."""

    directory: Path
    rows: int

    def path(self, name: str) -> Path:
        return self.directory / name

    @cached_property
    def parents_digest(self) -> str:
        """Fingerprint authors.csv and categories.csv, to reload them only on change."""
        digest = hashlib.sha256()
        for name in PARENT_FILES:
            digest.update(self.path(name).read_bytes())
        return digest.hexdigest()

    @cached_property
    def expected(self) -> Checksum:
        """Return the checksum of posts.csv loaded in full."""
        authors = read_keys(self.path("authors.csv"))
        categories = read_keys(self.path("categories.csv"))
        sums = dict.fromkeys((field.name for field in fields(Checksum)), 0)
        with self.path("posts.csv").open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                sums["count"] += 1
                sums["views"] += int(row["views"])
                sums["author_ids"] += authors[row["author"]]
                sums["text_length"] += len(row["title"]) + len(row["body"])
                sums["status_published"] += row["status"] == "published"
                if row["rating"]:
                    sums["ratings"] += 1
                    sums["rating_cents"] += int(Decimal(row["rating"]) * 100)
                if row["category"]:
                    sums["categories"] += 1
                    sums["category_ids"] += categories[row["category"]]
                if row["published_at"]:
                    sums["published_at"] += 1
                    moment = datetime.fromisoformat(row["published_at"])
                    sums["published_epoch"] += int(moment.timestamp())
        return Checksum(**sums)


def ensure_dataset(
    data_dir: Path, rows: int, files: set[str], *, make_posts: Path
) -> Dataset:
    """Return the data set of `rows` posts, generating the files it lacks."""
    dataset = Dataset(data_dir / str(rows), rows)
    wanted = set(files) | {"posts.csv", *PARENT_FILES}
    if all(dataset.path(name).exists() for name in wanted):
        return dataset
    if not make_posts.exists():
        raise FileNotFoundError(f"data generator {make_posts} not found")
    dataset.directory.mkdir(parents=True, exist_ok=True)
    # Generate beside the target and move into place: an interrupted run never
    # leaves a half-written file that a later run would take as complete.
    with tempfile.TemporaryDirectory(dir=data_dir) as scratch:
        command = [sys.executable, str(make_posts), scratch, "--rows", str(rows)]
        if "posts.json" in wanted:
            command.append("--json")
        if "posts.jsonl" in wanted:
            command.append("--jsonl")
        run_step(command, env=None, what=f"generating {rows:,} rows", timeout=3600)
        for name in GENERATED:
            if (Path(scratch) / name).exists():
                shutil.move(Path(scratch) / name, dataset.path(name))
    return dataset
