"""`seed_posts`: fill the blog with known data, through the import pipeline.

With no arguments it loads the sample files in fixtures/ (what the demo and CI
use); `--count N` generates N posts instead. Either way the rows go through
`run_import` exactly as `load_data` sends them: validated, batched, reported, and
idempotent, because every row is found again by its natural key.
"""

from __future__ import annotations

import math
import os
import random
from argparse import ArgumentParser
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from importers.command import USAGE, ImportCommand
from importers.importer import Importer
from importers.pipeline import Job, Records
from importers.registry import file_stem, get_importer
from mysite.blog.factories import (
    EPOCH,
    WORDS,
    YEARS_5,
    AuthorFactory,
    CategoryFactory,
    TagFactory,
    reseed,
)
from mysite.blog.importers import (
    AuthorImporter,
    CategoryImporter,
    PostImporter,
    TagImporter,
)
from mysite.blog.models import Author, Category, Post, Tag

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def shown(path: str) -> str:
    """Return `path` relative to the working directory when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive, on Windows
        return str(path)
    return relative if len(relative) < len(path) else path


#: the sample blog, in dependency order: posts name authors, categories and tags
SAMPLE_FILES = tuple(
    str(FIXTURES / name)
    for name in ("authors.csv", "categories.json", "tags.csv", "posts.json")
)


class Command(ImportCommand):
    help = (
        "Seed the blog: load the sample files in fixtures/, or generate --count N "
        "posts. Running it again changes nothing."
    )
    default_files = SAMPLE_FILES

    def add_import_arguments(self, parser: ArgumentParser) -> None:
        seed = parser.add_argument_group("seeding")
        seed.add_argument(
            "--count",
            type=int,
            metavar="N",
            help="generate N posts (and the authors, categories and tags they "
            "name) instead of reading files",
        )
        seed.add_argument(
            "--seed",
            type=int,
            default=0,
            metavar="S",
            help="with --count: the same S gives the same rows (default 0)",
        )
        seed.add_argument(
            "--clear",
            action="store_true",
            help="delete every author, category, tag and post first, in the same "
            "transaction: if the seed fails, they are restored",
        )
        seed.add_argument(
            "--snapshot",
            nargs="?",
            const=str(FIXTURES),
            metavar="DIR",
            help="the other direction: export the blog of --database into DIR "
            "(default fixtures/) as the files seed_posts loads, with export_data",
        )
        seed.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation before --clear deletes",
        )

    def get_importer(self, path: str, options: dict[str, Any]) -> type[Importer]:
        importer = get_importer(file_stem(path))
        if importer is None:
            raise CommandError(
                f"no importer for {path!r}: name files after the blog's importers "
                "(authors, categories, tags, posts)",
                returncode=USAGE,
            )
        return importer

    def get_jobs(self, options: dict[str, Any]) -> list[Job]:
        count = options["count"]
        if count is None:
            files = options["files"] or [shown(p) for p in self.default_files]
            return [(self.get_importer(path, options), path) for path in files]
        if options["files"]:
            raise CommandError("give files or --count, not both", returncode=USAGE)
        if count < 1:
            raise CommandError("--count must be positive", returncode=USAGE)
        return generated_jobs(count, options["seed"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["snapshot"] is not None:
            return self.snapshot(Path(options["snapshot"]), options)
        if not options["clear"]:
            return super().handle(*args, **options)
        using, dry_run = options["database"], options["dry_run"]
        options = {**options, "atomic": True}  # --no-atomic cannot commit inside
        if options["interactive"] and not dry_run and not self.confirm(using):
            self.stdout.write("Seed cancelled.")
            return
        # One transaction around the delete and the import's own: a seed that fails
        # (the command raises CommandError) takes the delete back with it.
        with transaction.atomic(using=using):
            deleted = clear(using)
            if options["verbosity"] >= 1 and options["report"] != "json":
                prefix = "[dry run] " if dry_run else ""
                self.stdout.write(f"{prefix}Cleared the blog: {deleted}")
            try:
                super().handle(*args, **options)
            except CommandError as exc:
                message = str(exc) if dry_run else f"{exc}; the cleared rows are back"
                raise CommandError(message, returncode=exc.returncode) from None
            if dry_run:
                transaction.set_rollback(True, using=using)

    def snapshot(self, directory: Path, options: dict[str, Any]) -> None:
        """Write the blog as SAMPLE_FILES, which seed_posts loads back unchanged."""
        if options["files"] or options["count"] is not None or options["clear"]:
            raise CommandError(
                "--snapshot takes no FILE, --count or --clear", returncode=USAGE
            )
        directory.mkdir(parents=True, exist_ok=True)
        for sample in SAMPLE_FILES:
            call_command(
                "export_data",
                file_stem(sample),
                output=str(directory / Path(sample).name),
                database=options["database"],
                verbosity=options["verbosity"],
                no_progress=options["no_progress"],
                stdout=self.stdout._out,
                stderr=self.stderr._out,
            )

    def confirm(self, using: str) -> bool:
        """Ask, as `flush` does, before deleting the blog's rows."""
        try:
            answer = input(
                f"This deletes every author, category, tag and post in the {using!r} "
                "database before seeding.\nAre you sure you want to do this?\n\n"
                "    Type 'yes' to continue, or 'no' to cancel: "
            )
        except EOFError:
            raise CommandError(
                "--clear asks for confirmation and there is no input: pass --noinput",
                returncode=USAGE,
            ) from None
        return answer == "yes"


def clear(using: str) -> str:
    """Delete the blog's rows, posts first (they protect their authors)."""
    counts = []
    for model in (Post, Tag, Category, Author):
        _, per_model = model._base_manager.using(using).all().delete()
        name = model._meta.verbose_name_plural
        counts.append(f"{per_model.get(model._meta.label, 0)} {name}")
    return ", ".join(counts)


def generated_jobs(count: int, seed: int) -> list[Job]:
    """Return jobs importing `count` generated posts and the rows they name.

    The authors, categories and tags are few: the factories build them. Posts are
    many, and factory-boy spends ~230 µs building each, twice what the engine takes
    to write it, so they are drawn from the factories' own declarations (words,
    dates, ranges) with a seeded Random: ~30 µs a post.
    """
    reseed(seed)
    built = {
        AuthorImporter: AuthorFactory.build_batch(pool(count, per=100, most=1000)),
        CategoryImporter: CategoryFactory.build_batch(pool(count, per=50, most=20)),
        TagImporter: TagFactory.build_batch(pool(count, per=10, most=50)),
    }
    jobs: list[Job] = [
        (importer, Records(f"generated {importer.get_name()}", as_rows(importer, objs)))
        for importer, objs in built.items()
    ]
    keys = [
        [getattr(obj, importer.get_key()[0]) for obj in objs]
        for importer, objs in built.items()
    ]
    posts = Records("generated posts", post_rows(count, seed, *keys))
    return [*jobs, (PostImporter, posts)]


def pool(count: int, *, per: int, most: int) -> int:
    """Return how many related rows `count` posts share: one per `per` posts."""
    return max(1, min(most, math.ceil(count / per)))


def as_rows(importer: type[Importer], objects: list[Any]) -> list[dict[str, Any]]:
    """Return built (unsaved) instances as rows of the fields `importer` fills."""
    names = [f.name for f in importer.get_fields()]
    return [{name: getattr(obj, name) for name in names} for obj in objects]


def post_rows(
    count: int, seed: int, authors: list[str], categories: list[str], tags: list[str]
) -> Iterator[dict[str, Any]]:
    """Yield `count` posts as PostFactory declares them, deterministic for `seed`."""
    rng = random.Random(seed)
    statuses = [status for status, _ in Post.Status.choices]
    most_tags = min(4, len(tags))
    for n in range(count):
        status = rng.choice(statuses)
        yield {
            "slug": f"post-{n:08d}",
            "title": sentence(rng, 6),
            "author": rng.choice(authors),
            "category": rng.choice(categories),
            "status": status,
            "published_at": (
                EPOCH + timedelta(seconds=rng.randrange(YEARS_5))
                if status == Post.Status.PUBLISHED
                else None
            ),
            "views": rng.randint(0, 100_000),
            "rating": Decimal(rng.randint(0, 500)).scaleb(-2),
            "body": " ".join(sentence(rng, 8) for _ in range(5)),
            "tags": rng.sample(tags, rng.randint(0, most_tags)),
        }


def sentence(rng: random.Random, words: int) -> str:
    """Return a sentence of about `words` of the factories' words, as Faker would."""
    text = " ".join(rng.choices(WORDS, k=rng.randint(words - 2, words + 2)))
    return text.capitalize() + "."
