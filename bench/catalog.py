"""The methods the benchmark compares, and the command line that runs each one.

A `Method` is one row of a results table. Families group them for `--methods`:
`load_data` expands to its five variants (modes and file formats).
"""

from dataclasses import dataclass
from pathlib import Path

FAMILIES = ("ceiling", "django_loop", "import_export", "load_data")
LOAD_DATA = "load_data"
# The figure every ratio is taken against: `load_data posts.csv`, default mode.
REFERENCE = "load_data"


@dataclass(frozen=True)
class Method:
    """One benchmarked way of loading the posts file."""

    name: str
    family: str
    data_file: str = "posts.csv"
    extra_args: tuple[str, ...] = ()
    dry_run: bool = False
    module: str | None = None  # bench.methods.<module>, for scripts of our own

    def command(self, python: str, data_path: Path) -> list[str]:
        """Return the argv that runs this method on `data_path`."""
        if self.module is not None:
            return [python, "-m", f"bench.methods.{self.module}", str(data_path)]
        return [
            python,
            "manage.py",
            "load_data",
            str(data_path),
            "--no-progress",
            "--report",
            "json",
            *self.extra_args,
        ]


METHODS = (
    Method("ceiling", "ceiling", module="ceiling"),
    Method("django_loop", "django_loop", module="django_loop"),
    Method("import_export", "import_export", module="django_import_export"),
    Method(REFERENCE, LOAD_DATA),
    Method("load_data --mode create", LOAD_DATA, extra_args=("--mode", "create")),
    Method("load_data --dry-run", LOAD_DATA, extra_args=("--dry-run",), dry_run=True),
    Method("load_data posts.json", LOAD_DATA, data_file="posts.json"),
    Method("load_data posts.jsonl", LOAD_DATA, data_file="posts.jsonl"),
)


def select(families: list[str]) -> list[Method]:
    """Return the methods of the named families, in the catalogue's order."""
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(
            f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(FAMILIES)}"
        )
    return [method for method in METHODS if method.family in families]
