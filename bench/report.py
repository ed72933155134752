"""RESULTS.md: the figures of one run as Markdown tables, the targets, the failures."""

from bench.catalog import REFERENCE
from bench.results import DatabaseResult, MethodResult, StartupResult
from bench.targets import Check

COLUMNS = (
    "method",
    "rows",
    "median s",
    "rows/s",
    "x ceiling",
    "load_data x this",
    "peak RSS MB",
)
NOISY_SPREAD = 1.25
PROTOCOL = (
    "Each method runs as a whole process (start-up included) into an empty "
    "`blog_post` table, authors and categories already loaded; the table is "
    "checked after every run (row count and sums of the loaded values), and a "
    "method with a run that exits non-zero or leaves the wrong rows is not "
    "credited. Figures are medians of {runs} run(s); peak RSS is the largest of "
    "the runs. `x ceiling` is rows/s over the ceiling's rows/s; `load_data x this` "
    "is load_data posts.csv (default mode) rows/s over this method's."
)


def table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """Return a Markdown table, numbers right-aligned."""
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def ratio(numerator: MethodResult | None, denominator: MethodResult | None) -> str:
    if numerator is None or denominator is None:
        return "—"
    return f"{numerator.rows_per_second / denominator.rows_per_second:.2f}"


def method_row(result: MethodResult, database: DatabaseResult) -> list[str]:
    """Return one table row; a method not credited says why instead of figures."""
    name, rows = result.method.name, f"{result.rows:,}"
    if result.unavailable:
        return [name, rows, "—", "not available", "—", "—", "—"]
    if not result.ok:
        return [name, rows, "—", "FAILED", "—", "—", "—"]
    return [
        name,
        rows,
        f"{result.median_seconds:.2f}",
        f"{result.rows_per_second:,.0f}",
        ratio(result, database.credited("ceiling")),
        ratio(database.credited(REFERENCE), result),
        f"{result.peak_rss_mb:.0f}",
    ]


def database_section(database: DatabaseResult) -> list[str]:
    lines = [f"## {database.label} {database.version}".rstrip(), ""]
    if database.error:
        first_line = database.error.splitlines()[0]
        return [*lines, f"Not measured: {first_line} (see Failures).", ""]
    rows = [method_row(result, database) for result in database.methods]
    lines += [*table(COLUMNS, rows), ""]
    reasons: dict[str, list[str]] = {}
    for result in database.methods:
        if result.unavailable:
            reasons.setdefault(result.unavailable, []).append(result.method.name)
    for reason, names in reasons.items():
        lines += [f"Not available: {', '.join(names)}: {reason}.", ""]
    noisy = [
        f"{result.method.name} {spread(result):.2f}x"
        for result in database.methods
        if result.ok and spread(result) > NOISY_SPREAD
    ]
    if noisy:
        lines += [
            f"Slowest run over fastest above {NOISY_SPREAD:g}x: {', '.join(noisy)}.",
            "",
        ]
    return lines


def spread(result: MethodResult) -> float:
    """Return the slowest run's time over the fastest's."""
    seconds = [run.seconds for run in result.runs]
    return max(seconds) / min(seconds)


def memory_section(databases: list[DatabaseResult]) -> list[str]:
    """Return the peak RSS of load_data at the main and at the memory row count."""
    rows = []
    for database in databases:
        memory = database.memory
        if memory is None:
            continue
        base = memory.base_peak_mb
        rows.append([database.label, f"{memory.base_rows:,}", mb(base), "—"])
        if memory.peak_mb is None or base is None:
            why = "FAILED" if memory.failure else memory.unavailable or "—"
            rows.append([database.label, f"{memory.rows:,}", why, "—"])
        else:
            growth = f"{memory.peak_mb - base:+.0f}"
            rows.append(
                [database.label, f"{memory.rows:,}", mb(memory.peak_mb), growth]
            )
    lines = ["## Memory", ""]
    if not rows:
        return [*lines, "Not measured (`--no-memory`, or load_data not run).", ""]
    header = ("database", "rows", "peak RSS MB", "growth MB")
    intro = "`load_data posts.csv`, default mode; the larger count is one run."
    return [*lines, intro, "", *table(header, rows), ""]


def mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def startup_section(startup: StartupResult | None) -> list[str]:
    if startup is None:
        return []
    lines = ["## Start-up", ""]
    if startup.ratio is None:
        why = startup.unavailable or "FAILED (see Failures)"
        return [*lines, f"load_data --help: {why}.", ""]
    return [
        *lines,
        f"Median of {startup.runs} runs each: `manage.py help` "
        f"{startup.help_seconds:.3f} s, `manage.py load_data --help` "
        f"{startup.load_data_help_seconds:.3f} s ({startup.ratio:.2f}x).",
        "",
    ]


def checks_section(checks: list[Check]) -> list[str]:
    lines = ["## Targets", ""]
    lines += [f"- **{c.verdict}** {c.label}: {c.figure}" for c in checks]
    return [*lines, ""]


def failures_section(
    databases: list[DatabaseResult], startup: StartupResult | None
) -> list[str]:
    """List every failure with the tail of the child's stderr."""
    entries: list[tuple[str, str, str]] = []
    for database in databases:
        if database.error:
            entries.append((f"{database.label}: set-up", database.error, ""))
        for result in database.methods:
            if result.failure:
                title = f"{database.label}: {result.method.name}"
                entries.append((title, result.failure, result.stderr_tail))
        memory = database.memory
        if memory and memory.failure:
            title = f"{database.label}: memory run"
            entries.append((title, memory.failure, memory.stderr_tail))
    if startup and startup.failure:
        entries.append(("start-up", startup.failure, startup.stderr_tail))
    if not entries:
        return []
    lines = ["## Failures", ""]
    for title, message, stderr in entries:
        lines += [f"### {title}", "", "```", message.rstrip()]
        if stderr:
            lines += ["--- stderr (last lines) ---", stderr.rstrip()]
        lines += ["```", ""]
    return lines


def render(
    *,
    machine: list[tuple[str, str]],
    command: str,
    runs: int,
    databases: list[DatabaseResult],
    checks: list[Check],
    startup: StartupResult | None,
) -> str:
    """Return the whole of RESULTS.md."""
    lines = ["# Import benchmark results", ""]
    lines += [f"- {label}: {value}" for label, value in machine]
    lines += [f"- Command: `{command}`", "", PROTOCOL.format(runs=runs), ""]
    for database in databases:
        lines += database_section(database)
    lines += checks_section(checks)
    lines += memory_section(databases)
    lines += startup_section(startup)
    lines += failures_section(databases, startup)
    return "\n".join(lines).rstrip() + "\n"
