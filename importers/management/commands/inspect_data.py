"""`inspect_data`: print a model and an Importer for a file, like `inspectdb`."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from importers.command import FAILED, USAGE
from importers.errors import SourceError
from importers.registry import file_stem


class Command(BaseCommand):
    help = (
        "Read a sample of FILE with pandas and print a Django model (a field per "
        "column, types guessed from the values) and an Importer that loads it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", help=".csv .tsv .json .jsonl")
        parser.add_argument("--name", help="model class name (default: from FILE)")
        parser.add_argument("--app", metavar="APP_LABEL", help="Meta.app_label")
        parser.add_argument(
            "--sample",
            type=int,
            default=10_000,
            metavar="N",
            help="rows read from a file over 100 MB (smaller files: every row)",
        )
        parser.add_argument(
            "--null",
            action="append",
            default=[],
            metavar="VALUE",
            dest="null_values",
            help="a cell value that means missing, e.g. --null NA (repeatable)",
        )
        parser.add_argument(
            "--choices",
            action="store_true",
            help="give low-cardinality text columns choices",
        )
        parser.add_argument("--format", help="when the extension does not say")
        parser.add_argument("--delimiter", help="CSV delimiter (default: sniffed)")
        parser.add_argument("--encoding", help="text encoding (default UTF-8)")
        parser.add_argument(
            "-o",
            "--output",
            metavar="APP_DIR",
            help="write models.py and importers.py into this directory (an app's) "
            "instead of printing them",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=tuple(connections),
            help="where to look for related rows (ForeignKey guesses)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from importers.inspect import IMPORTERS_MARK, class_name, inspect_file, render

        path = options["file"]
        if not Path(path).is_file():
            raise CommandError(f"no such file: {path}", returncode=USAGE)
        if options["sample"] < 1:
            raise CommandError("--sample must be positive", returncode=USAGE)
        try:
            inspection = inspect_file(
                path,
                sample=options["sample"],
                null_values=options["null_values"],
                choices=options["choices"],
                using=options["database"],
                format=options["format"],
                delimiter=options["delimiter"],
                encoding=options["encoding"],
            )
        except (SourceError, ValueError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"cannot read {path}: {exc}", returncode=FAILED
            ) from None
        model = options["name"] or class_name(file_stem(path))
        if not model.isidentifier():
            raise CommandError(
                f"--name {model!r} is not a class name", returncode=USAGE
            )
        models_code, importer_code = render(inspection, model, options["app"])
        if not options["output"]:
            self.stdout.write(models_code)
            self.stdout.write(IMPORTERS_MARK)
            self.stdout.write(importer_code, ending="")
            return
        directory = Path(options["output"])
        if not directory.is_dir():
            raise CommandError(f"no such directory: {directory}", returncode=USAGE)
        for name, code in (("models.py", models_code), ("importers.py", importer_code)):
            (directory / name).write_text(code, encoding="utf-8")
            if options["verbosity"] >= 1:
                self.stderr.write(f"Wrote {directory / name}")
