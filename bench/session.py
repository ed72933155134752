"""One database's share of a run: timed runs into an emptied table, each checked.

`DatabaseBench` keeps the bench database's authors and categories loaded, empties the
posts tables before every run, times the method through process.py and compares the
table with the data set's checksum; a method is dropped at its first failure.
"""

import argparse
import re
import sys

from bench.catalog import Method
from bench.databases import BenchDatabase
from bench.datasets import EMPTY, Dataset, ensure_dataset
from bench.process import StepError, child_env, run_measured, run_step
from bench.results import MemoryResult, MethodResult

PYTHON = sys.executable


class DatabaseBench:
    """Runs the methods on one database, keeping its authors and categories loaded."""

    def __init__(self, database: BenchDatabase, options: argparse.Namespace) -> None:
        self.database = database
        self.options = options
        self.env = child_env(database.url)
        self.parents_digest: str | None = None

    def set_up(self) -> str:
        """Create and migrate the database; return its version."""
        self.database.create()
        command = [PYTHON, "manage.py", "migrate", "--noinput", "--verbosity", "0"]
        run_step(command, env=self.env, what=f"migrating {self.database.label}")
        return self.database.version()

    def run_once(
        self, method: Method, dataset: Dataset, log_name: str, result: MethodResult
    ) -> float | None:
        """Time one run into an emptied table and check it; return its peak RSS."""
        try:
            if self.parents_digest != dataset.parents_digest:
                self.database.load_parents(dataset)
                self.parents_digest = dataset.parents_digest
            self.database.empty_posts()
        except StepError as error:
            result.failure = f"emptying the tables before the run: {error}"
            return None
        logs = self.options.work_dir / "logs"
        measurement = run_measured(
            method.command(PYTHON, dataset.path(method.data_file)),
            env=self.env,
            log_stem=logs / f"{self.database.name}-{log_name}",
            timeout=self.options.timeout,
        )
        if not measurement.ok:
            result.failure = f"{log_name}: {measurement.error}"
            result.stderr_tail = measurement.stderr_tail
            return None
        expected = EMPTY if method.dry_run else dataset.expected
        try:
            wrong = expected.differences(self.database.checksum())
        except StepError as error:
            wrong = [str(error)]
        if wrong:
            result.failure = f"{log_name}: wrong table contents: {'; '.join(wrong)}"
            result.stderr_tail = measurement.stderr_tail
            return None
        result.runs.append(measurement)
        return measurement.peak_rss_mb

    def run_methods(
        self, methods: list[MethodResult], datasets: dict[int, Dataset]
    ) -> None:
        """Run every method `--runs` times, round robin, stopping one at a failure."""
        total = self.options.runs
        for number in range(1, total + 1):
            for result in methods:
                if result.unavailable or result.failure:
                    continue
                log_name = f"{slug(result.method.name)}-{number}"
                self.run_once(result.method, datasets[result.rows], log_name, result)
                progress(self.database.name, f"{number}/{total}", result)

    def run_memory(self, reference: MethodResult) -> MemoryResult:
        """Run load_data once on `--memory-rows` rows, for its peak RSS."""
        options = self.options
        memory = MemoryResult(base_rows=options.rows, rows=options.memory_rows)
        if not reference.ok:
            memory.unavailable = "load_data not credited at the main row count"
            return memory
        memory.base_peak_mb = reference.peak_rss_mb
        try:
            dataset = ensure_dataset(
                options.data_dir,
                options.memory_rows,
                set(),
                make_posts=options.make_posts,
            )
        except (StepError, OSError) as error:
            memory.failure = f"generating the data: {error}"
            return memory
        scratch = MethodResult(reference.method, options.memory_rows)
        memory.peak_mb = self.run_once(reference.method, dataset, "memory", scratch)
        memory.failure, memory.stderr_tail = scratch.failure, scratch.stderr_tail
        progress(self.database.name, "memory", scratch)
        return memory


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def progress(database: str, label: str, result: MethodResult) -> None:
    if result.failure:
        status = f"FAILED: {result.failure.splitlines()[0]}"
    else:
        run = result.runs[-1]
        status = f"{run.seconds:7.2f} s  {result.rows / run.seconds:>9,.0f} rows/s"
        status += f"  {run.peak_rss_mb:4.0f} MB"
    print(f"{database:8} {label:6} {result.method.name:24} {status}", flush=True)
