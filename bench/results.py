"""What a benchmark run found: figures per method and database, memory, start-up.

Plain records filled in by run.py and read by targets.py and report.py. A method is
credited only when every one of its runs exited with 0 and left the table as expected.
"""

import statistics
from dataclasses import dataclass, field

from bench.catalog import Method
from bench.process import Measurement


@dataclass
class MethodResult:
    """The runs of one method on one database."""

    method: Method
    rows: int
    runs: list[Measurement] = field(default_factory=list)
    unavailable: str | None = None  # why it could not run at all
    failure: str | None = None  # why a run was not credited
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.unavailable is None and self.failure is None and bool(self.runs)

    @property
    def median_seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median_seconds

    @property
    def peak_rss_mb(self) -> float:
        return max(run.peak_rss_mb for run in self.runs)


@dataclass
class MemoryResult:
    """Peak RSS of `load_data` at the main row count and at the memory row count."""

    base_rows: int
    rows: int
    base_peak_mb: float | None = None
    peak_mb: float | None = None
    unavailable: str | None = None
    failure: str | None = None
    stderr_tail: str = ""


@dataclass
class DatabaseResult:
    """Everything measured on one database."""

    name: str
    label: str
    version: str = ""
    error: str | None = None  # set-up failed: nothing was measured
    methods: list[MethodResult] = field(default_factory=list)
    memory: MemoryResult | None = None

    def credited(self, name: str) -> MethodResult | None:
        """Return the named method's result if it was measured and passed its checks."""
        for result in self.methods:
            if result.method.name == name and result.ok:
                return result
        return None

    def find(self, name: str) -> MethodResult | None:
        """Return the named method's result, whatever became of it."""
        return next((r for r in self.methods if r.method.name == name), None)


@dataclass
class StartupResult:
    """Median start-up of `manage.py help` and of `manage.py load_data --help`."""

    runs: int
    help_seconds: float | None = None
    load_data_help_seconds: float | None = None
    unavailable: str | None = None
    failure: str | None = None
    stderr_tail: str = ""

    @property
    def ratio(self) -> float | None:
        if self.help_seconds and self.load_data_help_seconds:
            return self.load_data_help_seconds / self.help_seconds
        return None
