"""The performance targets of the import command, judged on one run's figures.

Every ratio compares medians from the same run. A target whose figures are missing
(method not selected, not available, or failed) is not met silently: it says why.
"""

from dataclasses import dataclass

from bench.catalog import REFERENCE
from bench.results import DatabaseResult, MethodResult, StartupResult

# load_data posts.csv must reach at least this multiple of each method's rows/s.
SPEED_TARGETS = {
    "sqlite": {"ceiling": 0.5, "django_loop": 2.0, "import_export": 20.0},
    "postgres": {"ceiling": 0.6, "django_loop": 2.5, "import_export": 30.0},
}
MAX_FORMAT_SLOWDOWN = 1.5
MAX_PEAK_RSS_MB = 150
MAX_MEMORY_GROWTH_MB = 30
MAX_STARTUP_RATIO = 1.5


@dataclass(frozen=True)
class Check:
    """One target: met (True), missed (False) or not measurable (None), and why."""

    label: str
    passed: bool | None
    figure: str

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]


def missing(database: DatabaseResult, *names: str) -> str | None:
    """Say why a figure is missing, or return None if all `names` were credited."""
    if database.error:
        return "database not set up"
    for name in names:
        result = database.find(name)
        if result is None:
            return f"{name} not run"
        if result.unavailable:
            return f"{name} not available"
        if not result.ok:
            return f"{name} failed"
    return None


def speed(result: MethodResult) -> float:
    return result.rows_per_second


def database_checks(database: DatabaseResult) -> list[Check]:
    """Judge the targets of one database."""
    label = database.label
    checks = []

    def check(text: str, names: tuple[str, ...], judge) -> None:
        why = missing(database, *names)
        if why:
            checks.append(Check(f"{label}: {text}", None, why))
        else:
            passed, figure = judge(*(database.credited(name) for name in names))
            checks.append(Check(f"{label}: {text}", passed, figure))

    for other, minimum in SPEED_TARGETS.get(database.name, {}).items():
        check(
            f"load_data posts.csv >= {minimum:g}x {other} (rows/s)",
            (REFERENCE, other),
            lambda ref, them, minimum=minimum: (
                speed(ref) / speed(them) >= minimum,
                f"{speed(ref) / speed(them):.2f}x",
            ),
        )
    check(
        "--dry-run at least as fast as the real run (rows/s)",
        (REFERENCE, "load_data --dry-run"),
        lambda ref, dry: (speed(dry) >= speed(ref), f"{speed(dry) / speed(ref):.2f}x"),
    )
    for name in ("load_data posts.json", "load_data posts.jsonl"):
        check(
            f"{name.split()[1]} time <= {MAX_FORMAT_SLOWDOWN:g}x posts.csv time",
            (REFERENCE, name),
            lambda ref, other: (
                other.median_seconds <= MAX_FORMAT_SLOWDOWN * ref.median_seconds,
                f"{other.median_seconds / ref.median_seconds:.2f}x",
            ),
        )
    check(
        f"peak RSS < {MAX_PEAK_RSS_MB} MB at the main row count",
        (REFERENCE,),
        lambda ref: (ref.peak_rss_mb < MAX_PEAK_RSS_MB, f"{ref.peak_rss_mb:.0f} MB"),
    )
    checks.append(memory_check(database))
    return checks


def memory_check(database: DatabaseResult) -> Check:
    """Judge how peak RSS grows from the main row count to the memory row count."""
    memory = database.memory
    text = f"{database.label}: peak RSS growth <= {MAX_MEMORY_GROWTH_MB} MB"
    if memory is None:
        return Check(f"{text} (memory run)", None, "memory run skipped")
    text = f"{text} from {memory.base_rows:,} to {memory.rows:,} rows"
    if memory.unavailable or memory.failure:
        return Check(text, None, memory.unavailable or "memory run failed")
    growth = memory.peak_mb - memory.base_peak_mb
    return Check(text, growth <= MAX_MEMORY_GROWTH_MB, f"{growth:+.0f} MB")


def startup_check(startup: StartupResult | None) -> Check:
    """Judge the start-up of `load_data --help` against `manage.py help`."""
    text = f"load_data --help <= {MAX_STARTUP_RATIO:g}x manage.py help (start-up)"
    if startup is None:
        return Check(text, None, "load_data not run")
    if startup.ratio is None:
        return Check(text, None, startup.unavailable or "start-up run failed")
    return Check(text, startup.ratio <= MAX_STARTUP_RATIO, f"{startup.ratio:.2f}x")


def evaluate(
    databases: list[DatabaseResult], startup: StartupResult | None
) -> list[Check]:
    """Return every target's check, database by database, then start-up."""
    checks = [check for database in databases for check in database_checks(database)]
    checks.append(startup_check(startup))
    return checks
