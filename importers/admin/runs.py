"""The admin's runs of the engine: a dry run to preview, a checked run to import.

Both go through `execute()`, the one place where a run can be recorded: a recorder
(`register_recorder()`; the run history app is one) is told when each run starts
and how it ended, and may return a link to its record for the result page. A
background runner would take a `Job` the same way and report through the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from django.db import DatabaseError, transaction

from importers.errors import SourceError
from importers.importer import Importer
from importers.options import ImportOptions
from importers.results import Report

from .plans import fingerprint, report_data

PREVIEWED = "previewed"  # a dry run: nothing written
IMPORTED = "imported"  # the real run wrote the previewed plan
CHANGED = "changed"  # the plan differs from the preview: rolled back
FAILED = "failed"  # the file or the database failed: nothing written


@dataclass(frozen=True)
class Job:
    """One file to import into one model, as a user asked in the admin."""

    importer: type[Importer]
    path: str  # a local copy of the upload
    options: ImportOptions
    user: Any
    filename: str
    size: int
    sha256: str


@dataclass
class Outcome:
    """How a run ended: its report as data, and links to show with it."""

    status: str
    data: dict[str, Any] | None = None  # plans.report_data() of the Report
    error: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)

    @property
    def fingerprint(self) -> str | None:
        return None if self.data is None else fingerprint(self.data)


class Recorder(Protocol):
    """Records admin runs (for a history of runs); returns links to its record."""

    def start(self, job: Job) -> Any: ...
    def finish(self, handle: Any, outcome: Outcome) -> list[tuple[str, str]]: ...


_recorders: list[Recorder] = []


def register_recorder(recorder: Recorder) -> Recorder:
    _recorders.append(recorder)
    return recorder


def unregister_recorder(recorder: Recorder) -> None:
    _recorders.remove(recorder)


def execute(job: Job, run: Callable[[Job], Outcome]) -> Outcome:
    """Run `run(job)` between the recorders' start and finish."""
    handles = [(recorder, recorder.start(job)) for recorder in _recorders]
    outcome = Outcome(FAILED, error="the run did not finish")
    try:
        outcome = run(job)
    finally:
        for recorder, handle in handles:
            outcome.links += recorder.finish(handle, outcome)
    return outcome


def preview(job: Job) -> Outcome:
    """Dry-run the file: what importing it would do, nothing written."""
    return execute(replace(job, options=replace(job.options, dry_run=True)), _dry_run)


def confirm(job: Job, expected: str) -> Outcome:
    """Import the file if its run matches the plan previewed (`expected`).

    The real run happens inside a transaction that is rolled back when its plan
    (plans.fingerprint) differs from the preview's: the database changed since.
    """
    options = replace(job.options, dry_run=False, atomic=True)
    return execute(replace(job, options=options), lambda j: _checked_run(j, expected))


def _dry_run(job: Job) -> Outcome:
    from importers.pipeline import run_import  # the engine loads on first use

    try:
        report = run_import([(job.importer, job.path)], job.options)
    except SourceError as exc:
        return Outcome(FAILED, error=_named(str(exc), job))
    data = _data(report, job)
    if data["aborted"]:
        return Outcome(FAILED, data, error=data["aborted"])
    return Outcome(PREVIEWED, data)


def _checked_run(job: Job, expected: str) -> Outcome:
    from importers.pipeline import run_import

    database = job.options.database
    try:
        with transaction.atomic(using=database):
            report = run_import([(job.importer, job.path)], job.options)
            data = _data(report, job)
            if data["aborted"]:
                return Outcome(FAILED, data, error=data["aborted"])
            if fingerprint(data) != expected:
                transaction.set_rollback(True, using=database)
                return Outcome(CHANGED, data)
    except SourceError as exc:
        return Outcome(FAILED, error=_named(str(exc), job))
    except DatabaseError as exc:  # at the commit: a deferred constraint
        return Outcome(FAILED, error=f"the database failed to commit: {exc}")
    return Outcome(IMPORTED, data)


def _data(report: Report, job: Job) -> dict[str, Any]:
    """Return the report as data, naming the file as the user did, not its copy."""
    data = report_data(report)
    if data["aborted"]:
        data["aborted"] = _named(data["aborted"], job)
    for file in data["files"]:
        file["file"] = job.filename
        for error in file["errors"]:
            error["file"] = job.filename
    return data


def _named(text: str, job: Job) -> str:
    return text.replace(job.path, job.filename)
