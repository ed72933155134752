"""Import data inside tests through the same pipeline as the commands.

    from importers.testing import import_file

    def test_posts(db):
        import_file("fixtures/authors.csv")
        report = import_file("fixtures/posts.json")
        assert report.total("create") == 300

A test's data then goes through the checks a real import makes, and a fixture file
that no longer validates fails the test listing its rejected rows, instead of
leaving it half loaded. Loaded as a pytest plugin (`pytest_plugins =
["importers.testing"]` in the top conftest.py) it also provides the `seed` fixture:
`import_files` with database access.
"""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike, fspath
from typing import TYPE_CHECKING

from .frames import is_frame
from .importer import Importer
from .options import ImportOptions
from .pipeline import Records, run_import
from .registry import file_stem, get_importer, registered
from .results import Report

if TYPE_CHECKING:
    from pandas import DataFrame

Source = str | PathLike[str] | Records  # or a pandas DataFrame
SHOWN_ERRORS = 20

__all__ = ["Records", "import_file", "import_files"]


def import_file(
    source: Source | DataFrame,
    importer: type[Importer] | str | None = None,
    *,
    expect_errors: bool = False,
    **options: object,
) -> Report:
    """Import one file (Records, a DataFrame) and return the Report; see below."""
    __tracebackhide__ = True
    return import_files(
        source, importer=importer, expect_errors=expect_errors, **options
    )


def import_files(
    *sources: Source | DataFrame,
    importer: type[Importer] | str | None = None,
    expect_errors: bool = False,
    **options: object,
) -> Report:
    """Import files, Records or DataFrames in order, in one run; return the Report.

    The importer is `importer` (a class or a registered name), else the one
    registered under each file's name (posts.csv -> posts) or Records' name
    (`Records("posts", frame)` names a DataFrame).
    `options` are ImportOptions fields (dry_run=True, mode="create", ...). Unless
    `expect_errors`, a rejected row or an aborted run fails with an AssertionError
    listing the rows and why.
    """
    __tracebackhide__ = True
    jobs = [(importer_for(source, importer), _path(source)) for source in sources]
    report = run_import(jobs, ImportOptions(**options))
    if not expect_errors and not report.ok:
        raise AssertionError(describe_failure(report))
    return report


def importer_for(
    source: Source | DataFrame, importer: type[Importer] | str | None
) -> type[Importer]:
    """Return the importer class for one source, or fail naming the known ones."""
    if isinstance(importer, type):
        return importer
    if is_frame(source):
        if importer is None:
            raise LookupError(
                "a DataFrame has no name to find its importer by: pass "
                "importer=ImporterClass or importer='name', or Records('name', frame)"
            )
        path = ""
    else:
        path = source.name if isinstance(source, Records) else fspath(source)
    name = importer or file_stem(path)
    found = get_importer(name)
    if found is None:
        known = ", ".join(registered()) or "none"
        raise LookupError(
            f"no importer named {name!r} for {source!r}; registered: {known}. "
            "Pass importer=ImporterClass or importer='name'"
        )
    return found


def describe_failure(report: Report) -> str:
    """Say in a few lines which rows were rejected and why."""
    rejected = report.total("reject")
    lines = [
        f"the import was aborted: {report.aborted}"
        if report.aborted
        else f"{rejected} row{'s' * (rejected != 1)} rejected:"
    ]
    errors = [error for file in report.files for error in file.errors]
    lines += [f"  {error}" for error in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        lines.append(f"  ... and {len(errors) - SHOWN_ERRORS} more")
    lines.append("(pass expect_errors=True to test rejected rows)")
    return "\n".join(lines)


def _path(source: Source | DataFrame) -> str | Records | DataFrame:
    return source if isinstance(source, Records) or is_frame(source) else fspath(source)


try:
    import pytest
except ImportError:  # the helpers work without pytest; only the fixture needs it
    pass
else:

    @pytest.fixture
    def seed(db: None) -> Callable[..., Report]:
        """Return `import_files`, with access to the test database.

        def test_feed(seed, client):
            seed("fixtures/authors.csv", "fixtures/posts.json")
        """
        return import_files
