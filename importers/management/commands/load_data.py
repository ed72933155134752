"""`load_data`: import any file into any model, by importer name or model label."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError

from importers.command import USAGE, ImportCommand, did_you_mean, missing_file
from importers.discovery import DISCOVERY, add_discovery_arguments, discover
from importers.importer import Importer
from importers.registry import file_stem, get_importer, importer_for_model, registered


class Command(ImportCommand):
    help = (
        "Import rows from files into a model. The importer is the one registered "
        "under the file's name (posts.csv -> posts), or --importer NAME, or "
        "--model app_label.Model for any model."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        add_discovery_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if any(options.get(name) for name in DISCOVERY):
            return discover(self, options)
        if not options["files"]:
            raise CommandError(
                "give at least one FILE (or --list, --describe, --template)",
                returncode=USAGE,
            )
        return super().handle(*args, **options)

    def add_import_arguments(self, parser: ArgumentParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--model",
            metavar="APP_LABEL.MODEL",
            help="import into this model with a default importer",
        )
        which.add_argument(
            "--importer", metavar="NAME", help="use the importer registered as NAME"
        )

    def get_importer(self, path: str, options: dict[str, Any]) -> type[Importer]:
        # A misspelt file name is first of all a missing file, not a missing importer.
        if (why := missing_file(path)) is not None:
            raise CommandError(why, returncode=USAGE)
        if options.get("model"):
            try:
                model = apps.get_model(options["model"])
            except (LookupError, ValueError):
                labels = sorted(m._meta.label for m in apps.get_models())
                hint = did_you_mean(options["model"], labels)
                raise CommandError(
                    f"unknown model {options['model']!r}"
                    f"{hint or '; use app_label.ModelName'}",
                    returncode=USAGE,
                ) from None
            return importer_for_model(model)
        name = options.get("importer") or file_stem(path)
        importer = get_importer(name)
        if importer is None:
            known = ", ".join(registered()) or "none"
            source = (
                "--importer" if options.get("importer") else f"the file name {path!r}"
            )
            raise CommandError(
                f"no importer named {name!r} (from {source}); registered: {known}. "
                "Use --importer NAME or --model app_label.Model",
                returncode=USAGE,
            )
        return importer
