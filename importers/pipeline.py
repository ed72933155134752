"""Run an import: files -> batches -> validate -> plan -> write, in one transaction.

`run_import()` is the engine's entry point and needs no command: it returns a
`Report`. It owns the transaction (one around the whole run by default, one per
batch with `atomic=False`, none in a dry run, which only reads) and the on-error
policy.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from django.db import Error, connections, models, transaction

from .converters import ConvertOptions
from .errors import ConfigurationError, SourceError
from .errorsfile import ErrorsFile, check_path
from .frames import frame_reader
from .importer import Importer, key_problem, lookup_problem
from .interrupts import SignalWindow
from .mapping import KeyResolver, map_columns
from .options import ImportOptions
from .planning import BatchPlan, Planner, SeenKeys
from .previews import previews as preview_items
from .readers import Row, reader_for
from .results import FileReport, Report, RowError
from .rules import DeclaredRules
from .sources import open_source
from .validation import Record, Rejected, Validator
from .writers import Writer

if TYPE_CHECKING:
    from pandas import DataFrame


@dataclass
class Records:
    """Rows made in memory (by factories, an API...), imported as a file would be."""

    name: str
    rows: Iterable[Mapping[str, Any]]


@dataclass
class Opened:
    """An open file's rows and what the report and progress bar need of it."""

    name: str
    size: int | None
    rows: Iterator[Row]
    columns: list[str] | None
    position: Callable[[], int]


class ImportAborted(Exception):
    """The run stops: a row was rejected under --on-error abort, or too many were."""

    def __init__(self, message: str, error: RowError | None = None) -> None:
        super().__init__(message)
        self.error = error


class Progress(Protocol):
    def start(self, name: str, total: int | None) -> None: ...
    def update(self, position: int, rows: int) -> None: ...
    def finish(self) -> None: ...


def batched(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


Job = tuple[type[Importer], "str | Records | DataFrame"]


def run_import(
    jobs: Sequence[Job],
    options: ImportOptions = ImportOptions(),  # noqa: B008 (frozen, safe to share)
    *,
    progress: Progress | None = None,
    stdin: IO[bytes] | None = None,
) -> Report:
    """Import each (importer, path) in order, in one run; return what happened."""
    return ImportRun(options, progress=progress, stdin=stdin).execute(jobs)


@dataclass
class Setup:
    """How one importer runs in this run: its key, mode and conversion options."""

    importer: Importer
    key: tuple[str, ...]
    mode: str
    convert_options: ConvertOptions

    @classmethod
    def build(cls, importer: type[Importer], options: ImportOptions) -> Setup:
        check_options(importer, options)
        if options.key is not None:
            key = options.key
        elif options.explicit_pk:
            key = (importer.model._meta.pk.name,)
        else:
            key = importer.get_key()
        mode = options.mode or ("upsert" if key else "create")
        if mode != "create" and not key:
            raise SourceError(
                f"--mode {mode} needs a key to find existing rows, and "
                f"{importer.model._meta.label} has no single unique field: "
                "pass --key FIELD",
                code="no_key",
            )
        convert_options = ConvertOptions(
            null_values=frozenset([*importer.null_values, *options.null_values]),
            date_formats=(*options.date_formats, *importer.date_formats),
            datetime_formats=(*options.datetime_formats, *importer.datetime_formats),
            time_formats=tuple(importer.time_formats),
            m2m_separator=importer.m2m_separator,
        )
        if options.explicit_pk and not importer.explicit_pk:
            importer = type(
                importer.__name__,
                (importer,),
                {"explicit_pk": True, "__module__": importer.__module__},
            )
        return cls(importer(), key, mode, convert_options)


def check_options(importer: type[Importer], options: ImportOptions) -> None:
    """Refuse a --key or --lookup the model cannot honour, before reading a row."""
    model = importer.model
    if options.key:  # () asks for no key: every row is created
        problem = key_problem(model, options.key)
        if problem:
            raise ConfigurationError(
                f"--key {','.join(options.key)}: {problem}", code="invalid_key"
            )


def check_lookups(importers: Sequence[type[Importer]], lookups: dict[str, str]) -> None:
    """Refuse a --lookup no model of the run can use (it applies where it fits)."""
    for name, attr in lookups.items():
        problems = [
            lookup_problem(importer.model, name, attr) for importer in importers
        ]
        fitting = [
            problem
            for importer, problem in zip(importers, problems, strict=True)
            if any(f.name == name for f in importer.model._meta.get_fields())
        ]
        problem = next((p for p in fitting if p), None)
        if not fitting:
            problem = problems[0] if problems else None
        if problem:
            raise ConfigurationError(
                f"--lookup {name}={attr}: {problem}", code="invalid_lookup"
            )


class ImportRun:
    """The state of one run across its files: keys seen, errors file, report."""

    def __init__(
        self,
        options: ImportOptions,
        *,
        progress: Progress | None,
        stdin: IO[bytes] | None,
    ) -> None:
        self.options = options
        self.progress = progress
        self.stdin = stdin
        self.seen = SeenKeys()
        self.report = Report(dry_run=options.dry_run, atomic=options.atomic)
        self.errors_file: ErrorsFile | None = None
        self.setups: dict[type[Importer], Setup] = {}
        self.window = SignalWindow()  # holds signals across a --no-atomic commit

    def execute(self, jobs: Sequence[Job]) -> Report:
        options = self.options
        check_lookups(list(dict.fromkeys(i for i, _ in jobs)), options.lookups)
        for importer, _ in jobs:
            if importer not in self.setups:
                self.setups[importer] = Setup.build(importer, options)
        if options.errors_file:
            check_path(
                Path(options.errors_file),
                inputs=[
                    Path(path)
                    for _, path in jobs
                    if isinstance(path, str | Path) and str(path) != "-"
                ],
                overwrite=options.overwrite_errors_file,
            )
            self.errors_file = ErrorsFile(
                options.errors_file,
                raw=options.keep_raw_errors,
                several_files=len(jobs) > 1,
                overwrite=options.overwrite_errors_file,
            )
        # Inside a caller's transaction, the caller commits (and says so).
        outermost = not connections[options.database].in_atomic_block
        try:
            # Signals wait from the commit until the report says it happened.
            with SignalWindow() as window:
                with ExitStack() as stack:
                    if options.atomic and not options.dry_run:
                        stack.enter_context(transaction.atomic(using=options.database))
                    for importer, path in jobs:
                        self.import_file(importer, path)
                    if outermost:
                        window.hold()
                self.report.finished = True  # (inside a caller's: handed over)
        except ImportAborted as exc:
            self.report.aborted = str(exc)
            self.report.rolled_back = options.atomic and not options.dry_run
        except database_errors(options.database) as exc:  # at the final commit
            self.report.aborted = f"the database failed to commit: {first_line(exc)}"
            self.report.rolled_back = options.atomic and not options.dry_run
        finally:
            if self.errors_file is not None:
                self.errors_file.close()
        return self.report

    @contextmanager
    def open_rows(self, path: str | Records | DataFrame) -> Iterator[Opened]:
        """Open a file (or in-memory records, a frame) as rows, for progress too."""
        frame = frame_reader(path)
        if frame is not None:
            yield Opened(frame.name, None, iter(frame), frame.columns, lambda: 0)
            return
        if isinstance(path, Records):
            rows = (
                Row(number, dict(values))
                for number, values in enumerate(path.rows, start=1)
            )
            yield Opened(path.name, None, rows, None, lambda: 0)
            return
        options, read = self.options, self.options.read_options()
        with open_source(
            path,
            encoding=options.encoding,
            format=options.format,
            stdin=self.stdin,
            max_size=read.file_size_limit,
        ) as source:
            reader = reader_for(source)(source, read)
            yield Opened(
                source.name, source.size, iter(reader), reader.columns, source.position
            )

    def import_file(
        self, importer: type[Importer], path: str | Records | DataFrame
    ) -> None:
        options = self.options
        setup = self.setups[importer]
        started = time.perf_counter()
        with self.open_rows(path) as source:
            file_report = FileReport(source.name, importer.get_name())
            self.report.files.append(file_report)
            rows = source.rows
            if options.limit is not None:
                rows = itertools.islice(rows, options.limit)
            headers = source.columns
            positional = headers is not None
            importer = type(setup.importer)
            # Objects (JSON) are each read by their own keys: no header to check.
            column_map = map_columns(
                importer,
                headers or [],
                file=source.name,
                extra_map=options.column_map,
                ignore_nonexistent=options.ignore_nonexistent,
                needs_required=positional
                and setup.mode in ("create", "upsert", "skip"),
                key=setup.key if positional and setup.mode != "create" else (),
                positional=positional,
            )
            file_report.ignored = column_map.hints
            keys = None
            if positional:
                fields = list(column_map.sources)
            else:
                keys = KeyResolver(
                    importer, file=source.name, extra_map=options.column_map
                )
                fields = [f.name for f in importer.get_fields()]
                headers = []
            validator = Validator(
                setup.importer,
                column_map,
                replace(setup.convert_options, json_text=positional),
                file=source.name,
                lookups=options.lookups,
                using=options.database,
                dry_run=options.dry_run,
                ignore_unknown=options.ignore_nonexistent,
                seen=self.seen,
                keys=keys,
            )
            planner = Planner(
                importer,
                dry_run=options.dry_run,
                mode=setup.mode,
                key=setup.key,
                fields=fields,
                using=options.database,
                file=source.name,
                columns=validator.columns,
                seen=self.seen,
                ragged=not positional,
            )
            rules = DeclaredRules(
                importer,
                using=options.database,
                dry_run=options.dry_run,
                file=source.name,
                columns=validator.columns,
                seen=self.seen,
            )
            writer = Writer(
                importer.model,
                using=options.database,
                mode=setup.mode,
                key=setup.key,
                fields=fields,
                defaults={
                    k: v
                    for k, v in importer.defaults.items()
                    if not positional or k not in column_map.sources
                },
                file=source.name,
                native=options.native,
                bulk=options.bulk or importer.bulk,
            )
            file_report.write_path = writer.route.path
            file_report.write_reason = writer.route.reason
            file_report.write_skipped = writer.route.skipped
            if self.progress is not None:
                self.progress.start(source.name, source.size)
            try:
                for batch in batched(rows, options.batch_size):
                    raw = connections[options.database].connection
                    try:
                        with SignalWindow() as self.window:
                            self.import_batch(
                                batch,
                                file_report,
                                validator,
                                planner,
                                rules,
                                writer,
                                headers,
                            )
                    except database_errors(options.database) as exc:
                        # Not a row's fault (the writer pins those on rows): a
                        # deadlock, a lost connection, a missing table...
                        if connection_lost(raw):
                            raise ImportAborted(
                                f"the connection to the database was lost: "
                                f"{first_line(exc)}"
                            ) from exc
                        lines = f"lines {batch[0].line}-{batch[-1].line}"
                        raise ImportAborted(
                            f"{source.name} {lines}: the database failed: "
                            f"{first_line(exc)}"
                        ) from exc
                    file_report.seconds = time.perf_counter() - started
                    if self.progress is not None:
                        self.progress.update(source.position(), file_report.rows)
            finally:
                if self.progress is not None:
                    self.progress.finish()
            for name, related in validator.relations.items():
                if related.created:
                    file_report.related_created[name] = related.created
            file_report.seconds = time.perf_counter() - started
            if file_report.rows == 0 and not positional:
                raise SourceError(
                    "no records to import", name=source.name, code="no_rows"
                )

    def import_batch(
        self,
        batch: list[Row],
        file_report: FileReport,
        validator: Validator,
        planner: Planner,
        rules: DeclaredRules,
        writer: Writer,
        headers: list[str],
    ) -> None:
        options = self.options
        file_report.rows += len(batch)
        records, rejected = validator.validate(batch)
        plan = planner.plan(records)
        rules.check(plan)
        rejected += [Rejected(r.line, r.index, [e], r.cells) for r, e in plan.rejected]
        if rejected and options.stops_at_first_error:
            first = min(rejected, key=lambda r: (r.line, r.index or 0))
            self.reject(file_report, first, headers)
            raise ImportAborted(str(first.errors[0]), first.errors[0])
        written = [*plan.creates, *(change.record for change in plan.updates)]
        if options.dry_run:
            validator.create_related(written)  # counts what a real run would create
        else:
            if options.atomic:
                validator.create_related(written)
                refused = writer.write(plan)
            else:
                with transaction.atomic(using=options.database):
                    validator.create_related(written)
                    refused = writer.write(plan)
                    if refused and options.stops_at_first_error:
                        # Abort: this batch is not committed, as if it failed whole.
                        transaction.set_rollback(True, using=options.database)
                    self.window.hold()  # until this batch is counted as committed
            if refused:
                self.drop_refused(plan, refused)
                rejected += [
                    Rejected(r.line, r.index, [e], r.cells) for r, e in refused
                ]
                if options.stops_at_first_error:
                    first = min(rejected, key=lambda r: (r.line, r.index or 0))
                    self.reject(file_report, first, headers)
                    raise ImportAborted(str(first.errors[0]), first.errors[0])
            if not options.atomic:
                file_report.add_committed(batch[0].line, batch[-1].line)
        self.count(file_report, plan, writer.model)
        for entry in sorted(rejected, key=lambda r: (r.line, r.index or 0)):
            self.reject(file_report, entry, headers)
        limit = options.max_errors
        if limit is not None and self.report.total("reject") > limit:
            raise ImportAborted(
                f"more than {limit} rows were rejected (--max-errors {limit})"
            )

    @staticmethod
    def drop_refused(plan: BatchPlan, refused: list[tuple[Record, RowError]]) -> None:
        gone = {id(record) for record, _ in refused}
        plan.creates = [r for r in plan.creates if id(r) not in gone]
        plan.updates = [c for c in plan.updates if id(c.record) not in gone]

    def reject(self, file_report: FileReport, entry: Rejected, headers: list) -> None:
        file_report.add_rejected(entry.errors)
        if self.errors_file is not None:
            columns = list(entry.cells) if isinstance(entry.cells, dict) else headers
            self.errors_file.add(
                file=file_report.name,
                columns=[str(h) for h in columns],
                cells=entry.cells,
                line=entry.line,
                error="; ".join(
                    (f"{e.column}: " if e.column else "") + e.message
                    for e in entry.errors
                ),
            )

    def count(
        self, file_report: FileReport, plan: BatchPlan, model: type[models.Model]
    ) -> None:
        counts = file_report.counts
        counts["create"] += len(plan.creates)
        counts["update"] += len(plan.updates)
        counts["unchanged"] += len(plan.unchanged)
        counts["skip"] += len(plan.skipped)
        room, using = self.options.preview, self.options.database
        if not room:
            return
        previews = file_report.previews
        for action, items in (
            ("create", plan.creates),
            ("update", plan.updates),
            ("unchanged", plan.unchanged),
            ("skip", plan.skipped),
        ):
            kept = previews.setdefault(action, [])
            kept += preview_items(items[: max(0, room - len(kept))], model, using)


def database_errors(alias: str) -> tuple[type[Exception], ...]:
    """Return Django's database errors and the driver's (raw, as COPY raises them)."""
    return (Error, connections[alias].Database.Error)


def connection_lost(raw: Any) -> bool:
    """Return whether a driver connection is gone (not a statement's failure)."""
    if raw is None:
        return False
    closed = getattr(raw, "closed", None)  # psycopg
    if closed is not None:
        return bool(closed)
    try:  # sqlite3: a closed connection refuses a cursor
        raw.cursor().close()
    except Exception:
        return True
    return False


def first_line(exc: Exception) -> str:
    """Return the first line of an exception's message (drivers add details)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
