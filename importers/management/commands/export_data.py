"""`export_data`: write a model's rows in the shape its importer reads them back."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from importers.command import FAILED, USAGE
from importers.discovery import find_importer
from importers.exportfiles import WRITERS, format_of, open_output
from importers.exporting import CHUNK_SIZE, Exporter, ExportError, export_columns
from importers.progress import OutputAdapter, TerminalStream


class Command(BaseCommand):
    help = (
        "Export a model's rows as the importer reads them: same columns, related "
        "rows by the same natural key, values that load_data reads back unchanged."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "name", nargs="?", metavar="NAME", help="a registered importer (posts)"
        )
        parser.add_argument(
            "--model",
            metavar="APP_LABEL.MODEL",
            help="export this model through its registered (or a default) importer",
        )
        parser.add_argument(
            "-o",
            "--output",
            default="-",
            metavar="FILE",
            help="file to write ('-', the default: standard output); "
            ".gz .bz2 .xz compress",
        )
        parser.add_argument(
            "--format",
            choices=tuple(WRITERS),
            help="default: from the output's extension, else csv",
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="export only rows matching, e.g. status=published or "
            "author__username=ada; FIELD__in=a,b takes a list (repeatable)",
        )
        parser.add_argument(
            "--fields",
            metavar="A,B,C",
            help="only these columns (field names or headers), in this order; "
            "the key must be among them",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=tuple(connections),
            help="database alias to read (default 'default')",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=CHUNK_SIZE,
            metavar="N",
            help=f"rows fetched per query (default {CHUNK_SIZE})",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (there is none when stderr is not a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        importer = find_importer(options["name"], options["model"])
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be positive", returncode=USAGE)
        output = options["output"] or "-"
        try:
            fmt = format_of(output, options["format"])
            only = options["fields"]
            columns = export_columns(
                importer, [s.strip() for s in only.split(",")] if only else None
            )
        except (ValueError, ExportError) as exc:
            raise CommandError(str(exc), returncode=USAGE) from None
        queryset = importer.model._base_manager.using(options["database"]).all()
        try:
            queryset = queryset.filter(**filters(options["filter"]))
        except (FieldError, ValidationError, ValueError, TypeError) as exc:
            raise CommandError(f"--filter: {exc}", returncode=USAGE) from None
        exporter = Exporter(
            importer, queryset, columns, chunk_size=options["chunk_size"]
        )
        writer_class = WRITERS[fmt]
        progress = self.progress(options, exporter)
        try:
            rows = self.write(exporter, writer_class, output, progress)
        except OSError as exc:
            raise CommandError(
                f"cannot write {output}: {exc}", returncode=FAILED
            ) from None
        finally:
            if progress is not None:
                progress.close()
        label = importer.model._meta.label
        if not importer.get_key() and options["verbosity"] >= 1:
            self.stderr.write(
                self.style.WARNING(
                    f"{label} has no key: loading this file back creates every row "
                    "again; load it into an empty table"
                )
            )
        if output != "-" and options["verbosity"] >= 1:
            self.stderr.write(f"Exported {rows} {label} rows to {output} ({fmt}).")

    def write(self, exporter: Exporter, writer_class, output: str, progress) -> int:
        """Write every row; return how many."""
        separator = exporter.importer.m2m_separator
        if output == "-":
            if writer_class.binary:
                stream = getattr(self.stdout._out, "buffer", None)
                if stream is None:
                    raise CommandError(
                        f"{writer_class.format} is binary: write it with -o FILE",
                        returncode=USAGE,
                    )
            else:
                stream = OutputAdapter(self.stdout)
            return self.write_rows(
                writer_class(stream, exporter.columns, separator), exporter, progress
            )
        with open_output(output, writer_class.binary) as stream:
            writer = writer_class(stream, exporter.columns, separator)
            return self.write_rows(writer, exporter, progress)

    def write_rows(self, writer, exporter: Exporter, progress) -> int:
        rows = 0
        writer.header()
        for chunk in exporter.batches():
            writer.write(chunk)
            rows += len(chunk)
            if progress is not None:
                progress.update(len(chunk))
        writer.close()
        return rows

    def progress(self, options: dict[str, Any], exporter: Exporter):
        """Return a tqdm bar counting rows, only where a person is watching."""
        if options["no_progress"] or options["verbosity"] < 1:
            return None
        if not getattr(self.stderr._out, "isatty", lambda: False)():
            return None
        from tqdm import tqdm

        stream = TerminalStream(self.stderr)
        return tqdm(
            total=exporter.count(),
            desc=exporter.importer.get_name(),
            unit=" rows",
            file=stream,
            ncols=max(10, stream.columns() - 1),  # a wrapped bar scrolls the screen
        )


def filters(values: list[str]) -> dict[str, Any]:
    """Parse repeated FIELD=VALUE options into queryset filters."""
    result: dict[str, Any] = {}
    for value in values:
        name, sep, target = value.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"expects FIELD=VALUE, got {value!r}")
        result[name] = target.split(",") if name.endswith("__in") else target
    return result
