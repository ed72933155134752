#!/usr/bin/env python3
"""Write the reference blog data set that the tests, the benchmark and the README load.

    python bench/make_posts.py OUTDIR [--rows 100000] [--seed 7] [--tags]
                               [--json] [--jsonl] [--gzip]

It writes into OUTDIR, for the demo `blog` app's models:
  authors.csv      username,name,email                          (1,000 rows)
  categories.csv   slug,name                                    (20 rows)
  posts.csv        slug,title,author,category,status,published_at,views,rating,body
                   (+ a `tags` column, ';'-separated tag names, with --tags)
  posts.json       the same rows as one JSON array of objects   (with --json)
  posts.jsonl      the same rows as JSON Lines                  (with --jsonl)
  posts.*.gz       a gzip copy of each posts file above         (with --gzip)

`author` is an Author.username, `category` a Category.slug (empty on ~5% of rows),
`published_at` is ISO 8601 with a UTC offset (empty for drafts), `rating` has two
decimals in 0.00..5.00 (empty on ~10% of rows). JSON rows are typed: views an
integer, rating a number, tags a list, and an empty CSV cell is null.

Output is byte-identical for the same arguments (the gzip copies carry no name and
no time stamp), so two runs, or two machines, measure the same work. The standard
library is all it needs: it runs before anything is installed. The rows are made once
and written to every file in the same pass, so memory stays flat at any row count.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

WORDS = (  # noqa: SIM905 - a list of words reads better as text
    "django import batch model field query schema index migrate shell admin "
    "view template static cache signal form widget router slug author draft "
    "publish review tag category session token queue worker python data row"
).split()
N_AUTHORS = 1000
CATEGORIES = [f"cat-{i:02d}" for i in range(20)]
TAGS = [f"tag{i}" for i in range(50)]
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
OFFSETS = [0, 1, 2, -5, 9]
POST_FIELDS = [
    "slug",
    "title",
    "author",
    "category",
    "status",
    "published_at",
    "views",
    "rating",
    "body",
]
DEFAULT_ROWS = 100_000
DEFAULT_SEED = 7


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def author_rows(rng: random.Random) -> Iterator[dict[str, str]]:
    for i in range(N_AUTHORS):
        name = sentence(rng, 2, 3).title()
        yield {
            "username": f"user{i:04d}",
            "name": name,
            "email": f"user{i:04d}@example.com",
        }


def category_rows() -> Iterator[dict[str, str]]:
    for slug in CATEGORIES:
        yield {"slug": slug, "name": slug.replace("-", " ").title()}


def post_rows(rng: random.Random, rows: int, tags: bool) -> Iterator[dict[str, str]]:
    """Yield posts as CSV cells; the order of the `rng` calls is the data set."""
    for i in range(rows):
        published = rng.random() < 0.8
        when = EPOCH + timedelta(seconds=rng.randrange(0, 5 * 365 * 86400))
        offset = timezone(timedelta(hours=rng.choice(OFFSETS)))
        row = {
            "slug": f"post-{i:08d}",
            "title": sentence(rng, 3, 9).capitalize(),
            "author": f"user{rng.randrange(N_AUTHORS):04d}",
            "category": "" if rng.random() < 0.05 else rng.choice(CATEGORIES),
            "status": "published" if published else "draft",
            "published_at": when.astimezone(offset).isoformat() if published else "",
            "views": str(rng.randrange(0, 100000)),
            "rating": ""
            if rng.random() < 0.1
            else f"{rng.randrange(0, 501) / 100:.2f}",
            "body": sentence(rng, 30, 90),
        }
        if tags:
            row["tags"] = ";".join(sorted(rng.sample(TAGS, rng.randint(0, 4))))
        yield row


def typed(row: dict[str, str]) -> dict[str, Any]:
    """The JSON form of a CSV row: numbers as numbers, empty cells as null."""
    out: dict[str, Any] = {
        key: (value if value != "" else None) for key, value in row.items()
    }
    out["views"] = int(row["views"])
    out["rating"] = float(row["rating"]) if row["rating"] else None
    if "tags" in row:
        out["tags"] = row["tags"].split(";") if row["tags"] else []
    return out


def write_csv(
    path: Path, fieldnames: list[str], rows: Iterable[dict[str, str]]
) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def gzip_copy(path: Path) -> Path:
    """Write `path` + '.gz' with no file name and a zero time stamp: reproducible."""
    packed = path.with_name(path.name + ".gz")
    with (
        path.open("rb") as src,
        packed.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as dst,
    ):
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return packed


def write_posts(
    outdir: Path, rows: int, seed: int, *, tags: bool, json_array: bool, jsonl: bool
) -> list[Path]:
    """Write posts.csv and the JSON forms asked for, in one pass over the rows."""
    fields = POST_FIELDS + (["tags"] if tags else [])
    names = ["posts.csv"]
    names += ["posts.json"] if json_array else []
    names += ["posts.jsonl"] if jsonl else []
    with ExitStack() as stack:
        files: dict[str, IO[str]] = {
            name: stack.enter_context(
                (outdir / name).open("w", newline="", encoding="utf-8")
            )
            for name in names
        }
        writer = csv.DictWriter(files["posts.csv"], fieldnames=fields)
        writer.writeheader()
        # Laid out as json.dump lays out a list, without holding the list.
        array, lines = files.get("posts.json"), files.get("posts.jsonl")
        if array:
            array.write("[")
        for number, row in enumerate(post_rows(random.Random(seed + 1), rows, tags)):
            writer.writerow(row)
            if array or lines:
                encoded = json.dumps(typed(row), ensure_ascii=False)
                if array:
                    array.write(", " + encoded if number else encoded)
                if lines:
                    lines.write(encoded + "\n")
        if array:
            array.write("]")
    return [outdir / name for name in names]


def make_posts(
    outdir: Path,
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    tags: bool = False,
    json_array: bool = False,
    jsonl: bool = False,
    gzipped: bool = False,
) -> list[Path]:
    """Write the data set into `outdir`; return the paths written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    write_csv(outdir / "authors.csv", ["username", "name", "email"], author_rows(rng))
    write_csv(outdir / "categories.csv", ["slug", "name"], category_rows())
    posts = write_posts(
        outdir, rows, seed, tags=tags, json_array=json_array, jsonl=jsonl
    )
    packed = [gzip_copy(path) for path in posts] if gzipped else []
    return [outdir / "authors.csv", outdir / "categories.csv", *posts, *packed]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--tags", action="store_true", help="add a tags column")
    parser.add_argument("--json", action="store_true", help="also write posts.json")
    parser.add_argument("--jsonl", action="store_true", help="also write posts.jsonl")
    parser.add_argument(
        "--gzip", action="store_true", help="also write a .gz of each posts file"
    )
    options = parser.parse_args(argv)
    if options.rows < 0:
        parser.error("--rows must be 0 or more")
    return options


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    make_posts(
        options.outdir,
        options.rows,
        seed=options.seed,
        tags=options.tags,
        json_array=options.json,
        jsonl=options.jsonl,
        gzipped=options.gzip,
    )


if __name__ == "__main__":
    main()
