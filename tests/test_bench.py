"""The benchmark harness: a quick run end to end, and a method it must not credit."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.catalog import Method
from bench.databases import SqliteDatabase
from bench.datasets import ensure_dataset
from bench.results import MethodResult
from bench.run import parse_options
from bench.session import DatabaseBench

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `bench/run.py --quick` on SQLite once for the module; return it, options."""
    tmp = tmp_path_factory.mktemp("bench")
    options = [
        "--quick",
        "--databases",
        "sqlite",
        "--methods",
        "ceiling,django_loop",
        "--no-memory",
        "--output",
        str(tmp / "RESULTS.md"),
        "--work-dir",
        str(tmp / "out"),
        "--data-dir",
        str(tmp / "data"),
    ]
    completed = subprocess.run(
        [sys.executable, "bench/run.py", *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed, options


def test_quick_run_reports_both_methods(quick_run):
    completed, options = quick_run
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = Path(options[options.index("--output") + 1]).read_text()
    for name in ("ceiling", "django_loop"):
        row = next(
            line for line in results.splitlines() if line.startswith(f"| {name} ")
        )
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1] == "1,000"
        assert float(cells[3].replace(",", "")) > 0  # rows/s
    assert "FAILED" not in results
    assert "**FAIL**" not in results


@dataclass(frozen=True)
class ScriptMethod(Method):
    """A stand-in method running an inline Python script."""

    script: str = ""

    def command(self, python: str, data_path: Path) -> list[str]:
        return [python, "-c", self.script]


@pytest.mark.parametrize(
    ("script", "failure", "stderr"),
    [
        ("import sys; sys.exit('boom')", "exit status 1", "boom"),
        ("pass", "wrong table contents: count 0 != 1000", ""),
    ],
)
def test_a_run_that_fails_or_loads_wrong_rows_is_not_credited(
    quick_run, script, failure, stderr
):
    _, argv = quick_run
    options = parse_options(argv)
    database = SqliteDatabase(options.work_dir / "bench.sqlite3")  # migrated already
    dataset = ensure_dataset(
        options.data_dir, 1000, set(), make_posts=options.make_posts
    )
    result = MethodResult(ScriptMethod("scripted", "ceiling", script=script), 1000)

    DatabaseBench(database, options).run_once(result.method, dataset, "t", result)

    assert not result.ok
    assert failure in result.failure
    assert stderr in result.stderr_tail
