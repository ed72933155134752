"""Benchmark the ways of loading posts and write bench/RESULTS.md: `make bench`.

    python bench/run.py [--rows 100000] [--databases sqlite,postgres] [--methods ...]
                        [--quick] [--no-memory] [--output bench/RESULTS.md]

Per database: create it and migrate, then run every selected method `--runs` times
(round robin, so drift spreads over all methods), each into an emptied posts table,
checking the table after each run; then the memory run of load_data; then start-up.
Exit status: 0 when every method that could run was credited, 1 when one failed or a
database could not be set up, 2 when the data could not be generated.
"""

import argparse
import contextlib
import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import catalog, machine, report, targets
from bench.catalog import LOAD_DATA, REFERENCE, Method
from bench.databases import BenchDatabase, PostgresDatabase, SqliteDatabase
from bench.datasets import Dataset, ensure_dataset
from bench.process import REPO, StepError, child_env, run_measured, run_step
from bench.results import DatabaseResult, MethodResult, StartupResult
from bench.session import DatabaseBench

BENCH = REPO / "bench"
PYTHON = sys.executable
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/importers_bench"


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per method")
    parser.add_argument("--quick", action="store_true", help="1,000 rows, 1 run")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--methods", default=",".join(catalog.FAMILIES))
    parser.add_argument("--import-export-rows", type=int, default=10_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--work-dir", type=Path, default=BENCH / "out")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--make-posts", type=Path, default=BENCH / "make_posts.py")
    options = parser.parse_args(argv)
    if options.quick:
        options.rows, options.runs, options.no_memory = 1000, 1, True
    options.databases = [name for name in options.databases.split(",") if name]
    if unknown := set(options.databases) - {"sqlite", "postgres"}:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    try:
        options.methods = catalog.select(options.methods.split(","))
    except ValueError as error:
        parser.error(str(error))
    for name in ("work_dir", "data_dir", "output"):
        setattr(options, name, getattr(options, name).resolve())
    return options


def rows_for(method: Method, options: argparse.Namespace) -> int:
    if method.family == "import_export":
        return min(options.rows, options.import_export_rows)
    return options.rows


def make_databases(options: argparse.Namespace) -> list[BenchDatabase]:
    known = {
        "sqlite": lambda: SqliteDatabase(options.work_dir / "bench.sqlite3"),
        "postgres": lambda: PostgresDatabase(options.pg_url),
    }
    return [known[name]() for name in options.databases]


def probe_load_data(options: argparse.Namespace) -> str | None:
    """Return why `manage.py load_data` cannot run, or None if it exists."""
    env = child_env(SqliteDatabase(options.work_dir / "bench.sqlite3").url)
    command = [PYTHON, "manage.py", "help", "load_data"]
    try:
        run_step(command, env=env, what="manage.py help load_data", timeout=120)
    except StepError as error:
        if "Unknown command" in str(error):
            return "command missing"
        return f"`manage.py help load_data` fails: {str(error).splitlines()[-1][:120]}"
    return None


def bench_database(
    database: BenchDatabase,
    options: argparse.Namespace,
    datasets: dict[int, Dataset],
    load_data_missing: str | None,
) -> DatabaseResult:
    """Set up one database and measure every selected method on it."""
    result = DatabaseResult(database.name, database.label)
    bench = DatabaseBench(database, options)
    try:
        result.version = bench.set_up()
    except StepError as error:
        result.error = str(error)
        print(f"{database.name:8} set-up failed: {error}", flush=True)
        return result
    for method in options.methods:
        method_result = MethodResult(method, rows_for(method, options))
        if method.family == LOAD_DATA:
            method_result.unavailable = load_data_missing
        result.methods.append(method_result)
    bench.run_methods(result.methods, datasets)
    reference = result.find(REFERENCE)
    if not options.no_memory and reference and not reference.unavailable:
        result.memory = bench.run_memory(reference)
    with contextlib.suppress(StepError):
        database.empty_posts()  # give the disk back; up to 1M rows are left over
    return result


def measure_startup(options: argparse.Namespace) -> StartupResult:
    """Time `manage.py help` against `manage.py load_data --help`, interleaved."""
    startup = StartupResult(runs=options.startup_runs)
    env = child_env(SqliteDatabase(options.work_dir / "bench.sqlite3").url)
    commands = {
        "help": [PYTHON, "manage.py", "help"],
        "load-data-help": [PYTHON, "manage.py", "load_data", "--help"],
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for number in range(1, options.startup_runs + 1):
        for name, command in commands.items():
            log_stem = options.work_dir / "logs" / f"startup-{name}-{number}"
            run = run_measured(command, env=env, log_stem=log_stem, timeout=120)
            if not run.ok:
                startup.failure = f"{shlex.join(command[1:])}: {run.error}"
                startup.stderr_tail = run.stderr_tail
                return startup
            seconds[name].append(run.seconds)
    startup.help_seconds = statistics.median(seconds["help"])
    startup.load_data_help_seconds = statistics.median(seconds["load-data-help"])
    return startup


def prepare_datasets(options: argparse.Namespace) -> dict[int, Dataset]:
    """Generate (once) every data set the selected methods read, keyed by rows."""
    files: dict[int, set[str]] = {}
    for method in options.methods:
        files.setdefault(rows_for(method, options), set()).add(method.data_file)
    return {
        rows: ensure_dataset(
            options.data_dir, rows, names, make_posts=options.make_posts
        )
        for rows, names in files.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the results file; return the exit status."""
    options = parse_options(argv)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        datasets = prepare_datasets(options)
    except (StepError, OSError) as error:
        print(f"cannot prepare the data: {error}", file=sys.stderr)
        return 2
    uses_load_data = any(m.family == LOAD_DATA for m in options.methods)
    load_data_missing = probe_load_data(options) if uses_load_data else None
    databases = [
        bench_database(database, options, datasets, load_data_missing)
        for database in make_databases(options)
    ]
    startup = None
    if uses_load_data:
        startup = StartupResult(runs=options.startup_runs)
        if load_data_missing:
            startup.unavailable = f"not available ({load_data_missing})"
        else:
            startup = measure_startup(options)
    postgres = next(
        (d for d in databases if d.name == "postgres" and not d.error), None
    )
    text = report.render(
        machine=machine.describe(postgres.version if postgres else None),
        command=shlex.join(
            ["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)]
        ),
        runs=options.runs,
        databases=databases,
        checks=targets.evaluate(databases, startup),
        startup=startup,
    )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print(f"\n{text}\nWritten to {options.output}", flush=True)
    failed = any(d.error or any(m.failure for m in d.methods) for d in databases)
    failed = failed or bool(startup and startup.failure)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
