"""`ImportCommand`: the management command every import command subclasses.

A thin shell around `run_import()`: options in, a printed `Report` out. The exit
status is decided after the transaction has closed, so a failing status never rolls
back what an `--on-error skip` run legitimately wrote.

Ctrl-C (SIGINT) and SIGTERM unwind the run where it is: the open transaction rolls
back, and the command ends with one line saying what stays committed (nothing in
the default atomic mode; the whole batches already committed with --no-atomic),
exit status 130 or 143, and no traceback. A signal during a commit waits for the
commit and its bookkeeping (interrupts.py), so what is said is what is stored.

With `--report json`, stdout holds exactly one JSON document whatever happens:
success, rejected rows, a usage error, an unreadable file, an interrupt.
"""

from __future__ import annotations

import codecs
import difflib
import json
import signal
import sys
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from .errors import ConfigurationError, SourceError
from .importer import Importer
from .interrupts import Terminated, ignore_further_signals, terminate_as_interrupt
from .options import LIMITS, MODES, ImportOptions, format_size, parse_size
from .progress import ProgressBar
from .results import Report, RowError, shorten

if TYPE_CHECKING:  # the engine loads when a command runs, not for --help
    from .pipeline import Job

__all__ = ["FAILED", "INTERRUPTED", "TERMINATED", "USAGE", "ImportCommand"]

USAGE = 2
FAILED = 1
INTERRUPTED = 128 + signal.SIGINT  # what a shell reports for Ctrl-C
TERMINATED = 128 + signal.SIGTERM
SHOWN_ERRORS = 10
#: engine error codes that mean the command line asked for something impossible
USAGE_CODES = frozenset({"unknown_format", "unknown_encoding", "format_required"})
#: how the command phrases the engine's hints (results.RowError.hint)
HINTS = {
    "null": "if {value!r} means missing here, add --null {value}",
    "date_format": "for dates written like {value!r}, add --date-format {format}",
    "datetime_format": "for datetimes written like {value!r}, "
    "add --datetime-format {format}",
    "whole_float": "{value!r} is a whole number written as a decimal (as pandas "
    "exports integer columns with gaps): export the column as integers",
}


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


def hint_text(error: RowError) -> str | None:
    """Phrase an error's hint as the option that fixes it, or None."""
    hint = error.hint
    if hint is None:
        return None
    code, params = hint
    return HINTS[code].format(value=error.value, **params)


def json_requested(argv: list[str]) -> bool:
    """Return whether a command line asks for --report json (before parsing it)."""
    for before, arg in zip(["", *argv], argv, strict=False):
        if arg == "--report=json" or (before == "--report" and arg == "json"):
            return True
    return False


def make_output_safe() -> None:
    """Escape what the terminal's encoding cannot show instead of failing.

    A file name that is not valid UTF-8 (or any text under LC_ALL=C) must not turn
    a finished import into a UnicodeEncodeError after the commit.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            reconfigure(errors="backslashreplace")


def did_you_mean(word: str, choices: list[str]) -> str:
    """Return '; did you mean X?' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.casefold(): c for c in choices}
        close = [lowered[word.casefold()]] if word.casefold() in lowered else []
    return f"; did you mean {close[0]}?" if close else ""


def missing_file(path: str) -> str | None:
    """Say why a FILE argument cannot be read, with a did-you-mean; None if it can."""
    if path == "-":
        return None
    file = Path(path)
    if file.is_dir():
        return f"{path}: is a directory, not a file"
    if file.exists():
        return None
    folder = file.parent
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()]
    except OSError:
        names = []
    return f"{path}: no such file{did_you_mean(file.name, sorted(names))}"


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
        write.add_argument(
            "--explicit-pk",
            action="store_true",
            help="let the file fill the auto-increment primary key (its column, "
            "e.g. id, is then the key), as loaddata does; the id sequence is reset "
            "after",
        )
        write.add_argument(
            "--bulk",
            action="store_true",
            help="write in bulk also models whose save() is overridden or that have "
            "pre_save/post_save receivers; those are then not run (by default such "
            "models are written by save() per row, slower)",
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
            "--overwrite-errors-file",
            action="store_true",
            help="replace the --errors-file if it exists (by default an existing "
            "file is refused); the file is written only when a row is rejected",
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
            overwrite_errors_file=options.get("overwrite_errors_file", False),
            preview=options["preview"],
            keep_raw_errors=options["keep_raw_errors"],
            explicit_pk=options.get("explicit_pk", False),
            bulk=options.get("bulk", False),
        )

    # -- running -----------------------------------------------------------------
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = self.epilog
        usage_error = parser.error

        def error(message: str) -> Any:
            if getattr(self, "as_json", False):  # argparse exits: say it first
                self.write_json(self.failure_document(message, USAGE))
            return usage_error(message)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        self.as_json = json_requested(argv)
        self.json_written = False
        make_output_safe()
        try:
            super().run_from_argv(argv)
        except KeyboardInterrupt as exc:  # before or after execute(): say it briefly
            ignore_further_signals()
            reason, status = interruption(exc)
            if self.as_json and not self.json_written:
                self.write_json(self.failure_document(reason, status))
            sys.stderr.write(f"{reason[0].upper()}{reason[1:]}.\n")
            sys.exit(status)

    def execute(self, *args: Any, **options: Any) -> Any:
        self.as_json = options.get("report") == "json"
        self.json_written = False
        self.report: Report | None = None
        try:
            try:
                with terminate_as_interrupt():
                    return super().execute(*args, **options)
            except KeyboardInterrupt as exc:  # outside the import itself
                self.stop_signals()
                reason, status = interruption(exc)
                raise CommandError(
                    self.failure(reason, self.report), returncode=status
                ) from None
        except CommandError as exc:
            if self.as_json and not self.json_written:
                self.write_json(self.failure_document(str(exc), exc.returncode))
            raise

    def stop_signals(self) -> None:
        """From the command line, a second Ctrl-C must not break the last line."""
        if getattr(self, "_called_from_command_line", False):
            ignore_further_signals()

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        self.dry_run = options["dry_run"]
        self.atomic = options["atomic"]
        jobs = self.get_jobs(options)
        import_options = self.get_import_options(options)
        if any(path == "-" for _, path in jobs) and not import_options.format:
            raise CommandError(
                "reading standard input needs --format", returncode=USAGE
            )
        self.check_usage(jobs, import_options)
        self.check_tables(jobs, import_options.database)
        self.warn_without_key(jobs, import_options)
        progress = None
        if (
            not options["no_progress"]
            and self.verbosity >= 1
            and getattr(self.stderr._out, "isatty", lambda: False)()
        ):
            progress = ProgressBar(self.stderr)
        from .pipeline import ImportRun

        run = ImportRun(import_options, progress=progress, stdin=sys.stdin.buffer)
        self.report = run.report
        try:
            report = run.execute(jobs)
        except ConfigurationError as exc:
            raise CommandError(str(exc), returncode=USAGE) from None
        except SourceError as exc:
            returncode = USAGE if exc.code in USAGE_CODES else FAILED
            raise CommandError(
                self.failure(str(exc), run.report), returncode=returncode
            ) from None
        except KeyboardInterrupt as exc:
            self.stop_signals()
            reason, status = interruption(exc)
            raise CommandError(
                self.failure(reason, run.report), returncode=status
            ) from None
        try:
            self.finish(report)
        except KeyboardInterrupt as exc:  # after the run: the report is exact
            self.stop_signals()
            reason, status = interruption(exc)
            raise CommandError(
                self.failure(reason, report), returncode=status
            ) from None

    def finish(self, report: Report) -> None:
        """Print the report; fail (after the transaction closed) if it went wrong."""
        reason, status = None, 0
        if report.aborted:
            reason, status = self.failure(self.aborted(report), report), FAILED
        elif rejected := report.total("reject"):
            what = "would be rejected" if report.dry_run else "rejected"
            reason = f"{rejected} row{'s' * (rejected != 1)} {what}"
            status = FAILED
        if self.as_json:
            self.write_json(self.document(report, reason, status))
        else:
            self.print_report(report)
        if reason is not None:
            raise CommandError(reason, returncode=status)

    def aborted(self, report: Report) -> str:
        """Return why the run aborted, with the hint of the row that stopped it."""
        errors = [e for f in report.files for e in f.errors if str(e) == report.aborted]
        hint = hint_text(errors[-1]) if errors else None
        return f"{report.aborted} ({hint})" if hint else str(report.aborted)

    def failure(self, reason: str, report: Report | None = None) -> str:
        """Say what went wrong and what it left behind, in one line."""
        if getattr(self, "dry_run", False) or report is None:
            return reason
        if report.atomic:
            if report.finished:
                return f"{reason} after the commit (every row is written)"
            return f"{reason} (nothing was written)"
        lines = [
            f"{f.name} lines {a}-{b}" if a != b else f"{f.name} line {a}"
            for f in report.files
            for a, b in f.committed
        ]
        kept = (
            "; committed: " + ", ".join(lines) if lines else "; nothing was committed"
        )
        return reason + kept

    # -- checks before reading ---------------------------------------------------
    def check_usage(self, jobs: list[Job], options: ImportOptions) -> None:
        """Refuse an unknown --format, --encoding or --map field before reading."""
        from .mapping import field_aliases
        from .readers import formats

        if options.format:
            known = formats()
            if options.format.lower().lstrip(".") not in known:
                raise CommandError(
                    f"unknown --format {options.format!r}"
                    f"{did_you_mean(options.format.lower(), known)} "
                    f"(known: {', '.join(known)})",
                    returncode=USAGE,
                )
        if options.encoding:
            try:
                info = codecs.lookup(options.encoding)
            except LookupError:
                info = None
            if info is None or not getattr(info, "_is_text_encoding", True):
                raise CommandError(
                    f"unknown --encoding {options.encoding!r} "
                    "(e.g. utf-8, cp1252, latin-1, utf-16)",
                    returncode=USAGE,
                )
        for importer in dict.fromkeys(importer for importer, _ in jobs):
            try:
                field_aliases(importer, importer.get_fields(), options.column_map)
            except SourceError as exc:
                raise CommandError(str(exc), returncode=USAGE) from None

    def check_tables(self, jobs: list[Job], using: str) -> None:
        """Refuse to read when a target table is missing: migrations not applied."""
        from .schema import missing_tables

        models = list(dict.fromkeys(importer.model for importer, _ in jobs))
        try:
            missing = missing_tables(models, using)
        except DatabaseError as exc:
            text = str(exc).strip().splitlines()
            raise CommandError(
                f"cannot reach the {using!r} database: "
                f"{text[0] if text else type(exc).__name__}",
                returncode=FAILED,
            ) from None
        if missing:
            apps = sorted({model._meta.app_label for model in missing.values()})
            tables = ", ".join(sorted(missing))
            raise CommandError(
                f"the {using!r} database has no table {tables}: run "
                f"`python manage.py migrate{' ' + apps[0] if len(apps) == 1 else ''}` "
                "first",
                returncode=FAILED,
            )

    def warn_without_key(self, jobs: list[Job], options: ImportOptions) -> None:
        """Say once per importer that without a key every run creates rows again."""
        self.warnings: list[str] = []
        if options.key is not None or options.mode not in (None, "create"):
            return
        for importer in dict.fromkeys(importer for importer, _ in jobs):
            if not importer.get_key():
                self.warnings.append(
                    f"{importer.model._meta.label} has no key: every run creates its "
                    "rows again (importing a file twice doubles them); pass --key "
                    "FIELD[,FIELD] to update existing rows instead"
                )
        if self.verbosity >= 1:  # stderr: stdout may be the JSON document
            for warning in self.warnings:
                self.stderr.write(self.style.WARNING(f"warning: {warning}"))

    # -- output ------------------------------------------------------------------
    def write_json(self, document: dict[str, Any]) -> None:
        """Write the run's one JSON document on stdout (never a second one)."""
        if getattr(self, "json_written", False):
            return
        self.json_written = True
        text = json.dumps(document, default=str)
        if hasattr(self, "stdout"):
            self.stdout.write(text)
        else:  # argparse failed before execute() set up the command's streams
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def document(
        self, report: Report, reason: str | None, status: int
    ) -> dict[str, Any]:
        document = report.as_dict()
        if reason is not None:
            document["ok"] = False
        document["reason"] = reason
        document["exit_status"] = status
        document["warnings"] = getattr(self, "warnings", [])
        return document

    def failure_document(self, reason: str, status: int) -> dict[str, Any]:
        """The JSON document of a run that failed before, during or after reading."""
        report = getattr(self, "report", None) or Report(
            dry_run=getattr(self, "dry_run", False),
            atomic=getattr(self, "atomic", True),
        )
        return self.document(report, reason, status)

    def print_report(self, report: Report) -> None:
        shown_errors = None if self.verbosity >= 3 else SHOWN_ERRORS
        for file_report in report.files:
            if self.verbosity >= 1 and file_report.ignored:
                ignored = ", ".join(
                    repr(column) + (f" (did you mean {hint!r}?)" if hint else "")
                    for column, hint in file_report.ignored.items()
                )
                self.stderr.write(
                    self.style.WARNING(
                        f"{file_report.name}: ignored columns (-i): {ignored}"
                    )
                )
            errors = file_report.errors
            for error in errors[:shown_errors]:
                hint = hint_text(error)
                self.stderr.write(
                    self.style.ERROR(str(error) + (f" ({hint})" if hint else ""))
                )
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
                self.stdout.write(style(prefix + file_report.summary(report.dry_run)))
                self.print_write_path(file_report)
        if self.verbosity >= 1 and report.dry_run:
            self.stdout.write("Dry run: nothing was written.")

    def print_write_path(self, file_report: Any) -> None:
        """Say which path wrote the rows, and what it skipped, unless plain."""
        path, skipped = file_report.write_path, file_report.write_skipped
        if path and (path != "sql" or skipped or self.verbosity >= 2):
            reason = "; ".join(filter(None, [file_report.write_reason, skipped]))
            self.stdout.write(f"  write path: {reason}")

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
