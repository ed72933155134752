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
from django.db import models, transaction
from django.db.models.deletion import Collector

from importers.command import USAGE, ImportCommand
from importers.importer import Importer
from importers.interrupts import SignalWindow
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
            help="delete every author, category, tag and post first (and what "
            "cascades from them, listed before asking), in the same transaction: if "
            "the seed fails, they are restored. With --dry-run: count what would be "
            "deleted, delete nothing",
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
        say = options["verbosity"] >= 1 and options["report"] != "json"
        doomed = to_delete(using)  # SELECTs only
        if dry_run:  # nothing is deleted: the seed is planned against today's rows
            if say:
                self.stdout.write(f"[dry run] --clear would delete: {doomed}")
            return super().handle(*args, **options)
        if options["interactive"] and not self.confirm(using, doomed):
            self.stdout.write("Seed cancelled.")
            return
        # One transaction around the delete and the import's own: a seed that fails
        # (the command raises CommandError) takes the delete back with it.
        with SignalWindow() as window:
            with transaction.atomic(using=using):
                deleted = clear(using)
                if say:
                    self.stdout.write(f"Cleared the blog: {deleted}")
                try:
                    super().handle(*args, **options)
                except CommandError as exc:
                    message = f"{exc}; the cleared rows are back"
                    raise CommandError(message, returncode=exc.returncode) from None
                if self.report is not None:
                    self.report.finished = False  # not until this commit
                window.hold()  # the commit, then the report: not split by Ctrl-C
            if self.report is not None:
                self.report.finished = True  # committed: a signal now says so

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

    def confirm(self, using: str, doomed: str) -> bool:
        """Ask, as `flush` does, before deleting the blog's rows."""
        try:
            answer = input(
                f"This deletes, in the {using!r} database, before seeding:\n"
                f"    {doomed}\n"
                "Are you sure you want to do this?\n\n"
                "    Type 'yes' to continue, or 'no' to cancel: "
            )
        except EOFError:
            raise CommandError(
                "--clear asks for confirmation and there is no input: pass --noinput",
                returncode=USAGE,
            ) from None
        return answer == "yes"


#: what --clear deletes, in this order: posts first (they protect their authors)
CLEARED = (Post, Tag, Category, Author)


class Counter(Collector):
    """Collect what deleting would touch, as the admin's confirmation page does,
    without deleting: protected rows are noted, not raised.

    `clear()` deletes model after model; rows of a model already collected
    (`gone`), and their many-to-many links, count as deleted by then.
    """

    def __init__(self, using: str) -> None:
        super().__init__(using=using, origin=None)
        self.protected: list[models.Model] = []
        self.gone: set[type[models.Model]] = set()

    def related_objects(self, related_model: Any, related_fields: Any, objs: Any):
        rows = super().related_objects(related_model, related_fields, objs)
        if related_model in self.gone or related_model._meta.auto_created in self.gone:
            return rows.none()
        return rows

    def collect(self, objs: Any, *args: Any, **kwargs: Any) -> None:
        try:
            super().collect(objs, *args, **kwargs)
        except (models.ProtectedError, models.RestrictedError) as error:
            blocked = getattr(error, "protected_objects", None)
            self.protected += list(blocked or error.restricted_objects)

    def counts(self) -> dict[type[models.Model], int]:
        counts: dict[type[models.Model], int] = {}
        for model, objs in self.data.items():
            counts[model] = counts.get(model, 0) + len(objs)
        for queryset in self.fast_deletes:
            model = queryset.model
            counts[model] = counts.get(model, 0) + queryset.count()
        return counts


def to_delete(using: str) -> str:
    """Say what --clear deletes, cascades into other tables included (SELECTs only).

    Refuses when a row of another model protects a row to delete: the delete
    would fail half-way through the seed.
    """
    counter = Counter(using)
    for model in CLEARED:
        counter.collect(model._base_manager.using(using).all())
        counter.gone.add(model)
    if outside := counter.protected:
        label = type(outside[0])._meta.label
        raise CommandError(
            f"--clear cannot delete the blog: {len(outside)} row(s) of {label} "
            "protect rows it would delete",
            returncode=1,
        )
    counts = counter.counts()
    ordered = [
        *CLEARED,
        *sorted(set(counts) - set(CLEARED), key=lambda m: m._meta.label),
    ]
    return ", ".join(
        f"{counts.get(model, 0)} {described(model)}"
        for model in ordered
        if model in CLEARED or counts.get(model)
    )


def described(model: type[models.Model]) -> str:
    """Name a model's rows: `posts`, or `blog.Post_tags rows` for other tables."""
    if model in CLEARED:
        return str(model._meta.verbose_name_plural)
    return f"{model._meta.label} rows"


def clear(using: str) -> str:
    """Delete the blog's rows, posts first (they protect their authors)."""
    deleted: dict[str, int] = {}
    for model in CLEARED:
        _, per_model = model._base_manager.using(using).all().delete()
        for label, count in per_model.items():
            deleted[label] = deleted.get(label, 0) + count
    labels = {m._meta.label: m for m in CLEARED}
    return ", ".join(
        f"{deleted.get(label, 0)} {model._meta.verbose_name_plural}"
        for label, model in labels.items()
    ) + "".join(
        f", {count} {label} rows"
        for label, count in sorted(deleted.items())
        if label not in labels and count
    )


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
