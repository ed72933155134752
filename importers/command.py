"""`ImportCommand`: the management command every import command subclasses.

A thin shell around `run_import()`: options in, a printed `Report` out. The exit
status is decided after the transaction has closed, so a failing status never rolls
back what an `--on-error skip` run legitimately wrote.

Ctrl-C (SIGINT) and SIGTERM unwind the run where it is: the open transaction rolls
back, and the command ends with one line saying what stays committed (nothing in
the default atomic mode; the whole batches already committed with --no-atomic),
exit status 130 or 143, and no traceback.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from .errors import SourceError
from .importer import Importer
from .options import LIMITS, MODES, ImportOptions, format_size, parse_size
from .progress import ProgressBar
from .results import Report, shorten

if TYPE_CHECKING:  # the engine loads when a command runs, not for --help
    from .pipeline import Job

USAGE = 2
FAILED = 1
INTERRUPTED = 128 + signal.SIGINT  # what a shell reports for Ctrl-C
TERMINATED = 128 + signal.SIGTERM
SHOWN_ERRORS = 10


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is so that it unwinds as Ctrl-C does."""


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Make SIGTERM raise `Terminated` meanwhile (signals go to the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def interruption(exc: KeyboardInterrupt) -> tuple[str, int]:
    """Return how to name an interrupt, and the exit status it gives."""
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM)", TERMINATED
    return "interrupted (Ctrl-C)", INTERRUPTED


LIMIT_HELP = {
    "max_field_size": "most characters in one cell or value",
    "max_record_size": "most characters in one record (a CSV row, a JSON item)",
    "max_file_size": "most bytes of a compressed file once unpacked, or of an "
    ".xlsx copied aside from standard input or a .gz",
}


def size_argument(text: str) -> int:
    """Parse a --max-...-size value for argparse (a bad one is a usage error)."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise ArgumentTypeError(str(exc)) from None


def pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated NAME=VALUE options into a dict, or fail with a usage error."""
    result: dict[str, str] = {}
    for value in values or ():
        name, sep, target = value.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise CommandError(
                f"{option} expects NAME=VALUE, got {value!r}", returncode=2
            )
        result[name.strip()] = target.strip()
    return result


class ImportCommand(BaseCommand):
    """Import rows from files into a model through an `Importer`.

    Subclasses set `importer` (and optionally `default_files`) and usually nothing
    else. Hooks: `add_import_arguments`, `get_importer`, `get_jobs`,
    `get_import_options`, `print_report`.
    """

    help = "Import rows from CSV, TSV, JSON or JSON Lines files into the database."
    importer: ClassVar[type[Importer] | None] = None
    default_files: ClassVar[tuple[str, ...]] = ()
    epilog = (
        "Exit status: 0 when every row was imported, 1 when a row was rejected or "
        "the import aborted, 2 for usage errors. A dry run reads, validates and "
        "looks rows up but writes nothing; only what the database alone enforces "
        "(a constraint the model does not declare) is caught by the real run, as a "
        "row error."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = self.epilog
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "files",
            nargs="*" if self.default_files else "+",
            metavar="FILE",
            help="files to import (.csv .tsv .json .jsonl, optionally .gz .bz2 .xz "
            ".zip); '-' reads standard input (with --format)"
            + (
                f"; default: {' '.join(self.default_files)}"
                if self.default_files
                else ""
            ),
        )
        self.add_import_arguments(parser)
        write = parser.add_argument_group("writing")
        write.add_argument(
            "--mode",
            choices=MODES,
            help="create: new rows only (an existing key is an error); upsert: insert "
            "or update by key; update: existing rows only; skip: insert new rows, "
            "leave existing ones. Default: upsert when the model has a key, "
            "else create",
        )
        write.add_argument(
            "--dry-run",
            action="store_true",
            help="read, validate and plan everything, write nothing; report every "
            "rejected row and a preview per action",
        )
        write.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            metavar="N",
            help="rows per batch (default 1000)",
        )
        write.add_argument(
            "--no-atomic",
            dest="atomic",
            action="store_false",
            help="commit batch by batch instead of one transaction for the whole run",
        )
        write.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=tuple(connections),
            help="database alias to import into (default 'default')",
        )
        write.add_argument(
            "--key",
            metavar="FIELD[,FIELD]",
            help="field(s) that identify an existing row",
        )
        errors = parser.add_argument_group("errors")
        errors.add_argument(
            "--on-error",
            choices=("abort", "skip"),
            default="abort",
            help="abort (default): the first rejected row stops the import and "
            "nothing is written; skip: write good rows, report bad ones",
        )
        errors.add_argument(
            "--max-errors",
            type=int,
            metavar="N",
            help="with --on-error skip: abort once more than N rows were rejected",
        )
        errors.add_argument(
            "--errors-file",
            type=Path,
            metavar="PATH",
            help="write every rejected row as CSV: its cells plus "
            "'line' and 'error' columns",
        )
        errors.add_argument(
            "--keep-raw-errors",
            action="store_true",
            help="in --errors-file, keep cells that start with = + - @ "
            "as they are (by default they are quoted against formula "
            "injection)",
        )
        read = parser.add_argument_group("reading")
        read.add_argument(
            "--format",
            help="file format, when the extension does not say "
            "(csv, tsv, json, jsonl, ...)",
        )
        read.add_argument(
            "--encoding",
            help="text encoding (default UTF-8, with or without BOM), e.g. cp1252",
        )
        read.add_argument(
            "--delimiter", help="CSV delimiter (default: sniffed from the header line)"
        )
        read.add_argument(
            "--null",
            action="append",
            default=[],
            metavar="VALUE",
            dest="null_values",
            help="a cell value that means missing, "
            "e.g. --null NA --null NULL (repeatable)",
        )
        read.add_argument(
            "--date-format",
            action="append",
            default=[],
            metavar="FMT",
            dest="date_formats",
            help="strptime format for dates besides "
            "ISO 8601, e.g. %%d/%%m/%%Y (repeatable)",
        )
        read.add_argument(
            "--datetime-format",
            action="append",
            default=[],
            metavar="FMT",
            dest="datetime_formats",
            help="strptime format for datetimes besides ISO 8601",
        )
        read.add_argument(
            "--limit",
            type=int,
            metavar="N",
            help="read only the first N rows of each file",
        )
        for option, (setting, default) in LIMITS.items():  # sizes keep memory bounded
            read.add_argument(
                f"--{option.replace('_', '-')}",
                type=size_argument,
                metavar="SIZE",
                help=LIMIT_HELP[option]
                + f" (default {setting} or {format_size(default)}; K, M, G suffixes)",
            )
        read.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="read COLUMN into FIELD (repeatable)",
        )
        read.add_argument(
            "--lookup",
            action="append",
            default=[],
            metavar="FIELD=ATTR",
            help="find related rows of FIELD by ATTR, e.g. "
            "author=username (repeatable)",
        )
        read.add_argument(
            "-i",
            "--ignorenonexistent",
            action="store_true",
            help="ignore columns that match no field",
        )
        out = parser.add_argument_group("output")
        out.add_argument(
            "--preview",
            type=int,
            default=10,
            metavar="N",
            help="rows shown per action in a dry run (default 10)",
        )
        out.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (there is none when stderr is not a terminal)",
        )
        out.add_argument(
            "--report",
            choices=("text", "json"),
            default="text",
            help="json: print the report as one JSON document on stdout",
        )

    def add_import_arguments(self, parser: ArgumentParser) -> None:
        """Add options of a concrete command (hook)."""

    # -- hooks -------------------------------------------------------------------
    def get_importer(self, path: str, options: dict[str, Any]) -> type[Importer]:
        """Return the importer for one file (hook)."""
        if self.importer is None:
            raise CommandError(
                f"{type(self).__module__} sets no `importer`", returncode=USAGE
            )
        return self.importer

    def get_jobs(self, options: dict[str, Any]) -> list[Job]:
        """Return the (importer, file) pairs to run, in order (hook)."""
        files = options["files"] or list(self.default_files)
        return [(self.get_importer(path, options), path) for path in files]

    def get_import_options(self, options: dict[str, Any]) -> ImportOptions:
        """Build the engine's options from the command's (hook)."""
        for name in ("batch_size", "limit", "max_errors", "preview"):
            value = options.get(name)
            if value is not None and value < (1 if name == "batch_size" else 0):
                raise CommandError(
                    f"--{name.replace('_', '-')} must be positive", returncode=USAGE
                )
        key = options.get("key")
        return ImportOptions(
            mode=options.get("mode"),
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
            atomic=options["atomic"],
            on_error=options["on_error"],
            max_errors=options.get("max_errors"),
            limit=options.get("limit"),
            database=options["database"],
            format=options.get("format"),
            encoding=options.get("encoding"),
            delimiter=options.get("delimiter"),
            **{name: options.get(name) for name in LIMITS},
            null_values=tuple(options.get("null_values") or ()),
            date_formats=tuple(options.get("date_formats") or ()),
            datetime_formats=tuple(options.get("datetime_formats") or ()),
            column_map={
                column: field
                for column, field in pairs(options["map"], "--map").items()
            },
            lookups=pairs(options["lookup"], "--lookup"),
            key=tuple(k.strip() for k in key.split(",")) if key else None,
            ignore_nonexistent=options["ignorenonexistent"],
            errors_file=options.get("errors_file"),
            preview=options["preview"],
            keep_raw_errors=options["keep_raw_errors"],
        )

    # -- running -----------------------------------------------------------------
    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except KeyboardInterrupt as exc:  # before or after execute(): say it briefly
            reason, status = interruption(exc)
            sys.stderr.write(f"{reason[0].upper()}{reason[1:]}.\n")
            sys.exit(status)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            with terminate_as_interrupt():
                return super().execute(*args, **options)
        except KeyboardInterrupt as exc:  # outside the import itself
            reason, status = interruption(exc)
            raise CommandError(reason, returncode=status) from None

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        self.as_json = options["report"] == "json"
        jobs = self.get_jobs(options)
        import_options = self.get_import_options(options)
        if any(path == "-" for _, path in jobs) and not import_options.format:
            raise CommandError(
                "reading standard input needs --format", returncode=USAGE
            )
        progress = None
        if (
            not options["no_progress"]
            and self.verbosity >= 1
            and getattr(self.stderr._out, "isatty", lambda: False)()
        ):
            progress = ProgressBar(self.stderr)
        from .pipeline import ImportRun

        run = ImportRun(import_options, progress=progress, stdin=sys.stdin.buffer)
        try:
            report = run.execute(jobs)
        except SourceError as exc:
            raise CommandError(
                self.failure(str(exc), import_options, run.report), returncode=FAILED
            ) from None
        except KeyboardInterrupt as exc:
            reason, status = interruption(exc)
            raise CommandError(
                self.failure(reason, import_options, run.report), returncode=status
            ) from None
        self.print_report(report)
        if report.aborted:
            raise CommandError(
                self.failure(report.aborted, import_options, report), returncode=FAILED
            )
        rejected = report.total("reject")
        if rejected:
            what = "would be rejected" if report.dry_run else "rejected"
            raise CommandError(
                f"{rejected} row{'s' * (rejected != 1)} {what}", returncode=FAILED
            )

    def failure(
        self, reason: str, options: ImportOptions, report: Report | None = None
    ) -> str:
        """Say what went wrong and what it left behind, in one line."""
        if options.dry_run:
            return reason
        if options.atomic:
            return f"{reason} (nothing was written)"
        lines = [
            f"{f.name} lines {a}-{b}" if a != b else f"{f.name} line {a}"
            for f in (report.files if report else [])
            for a, b in f.committed
        ]
        kept = (
            "; committed: " + ", ".join(lines) if lines else "; nothing was committed"
        )
        return reason + kept

    # -- output ------------------------------------------------------------------
    def print_report(self, report: Report) -> None:
        if self.as_json:
            self.stdout.write(json.dumps(report.as_dict(), default=str))
            return
        shown_errors = None if self.verbosity >= 3 else SHOWN_ERRORS
        for file_report in report.files:
            errors = file_report.errors
            for error in errors[:shown_errors]:
                self.stderr.write(self.style.ERROR(str(error)))
            more = file_report.rejected - len(errors[:shown_errors])
            if more > 0 and errors:
                self.stderr.write(
                    f"... and more rejected rows ({more}); "
                    "--errors-file PATH lists every one"
                )
            if self.verbosity >= 1 and (report.dry_run or self.verbosity >= 2):
                self.print_previews(file_report.previews)
            if self.verbosity >= 1:
                prefix = "[dry run] " if report.dry_run else ""
                style = (
                    self.style.SUCCESS
                    if not file_report.rejected
                    else self.style.WARNING
                )
                self.stdout.write(style(prefix + file_report.summary()))
        if self.verbosity >= 1 and report.dry_run:
            self.stdout.write("Dry run: nothing was written.")

    def print_previews(self, previews: dict[str, list[dict[str, Any]]]) -> None:
        for action, items in previews.items():
            for item in items:
                where = f"line {item['line']}"
                if "changed" in item:
                    changes = ", ".join(
                        f"{name}: {shorten(old, 30)!s} -> {shorten(new, 30)!s}"
                        for name, (old, new) in item["changed"].items()
                    )
                    self.stdout.write(f"  {action:<9} {where}: {changes}")
                else:
                    values = ", ".join(
                        f"{name}={shorten(value, 30)}"
                        for name, value in item["values"].items()
                    )
                    self.stdout.write(f"  {action:<9} {where}: {shorten(values, 120)}")
