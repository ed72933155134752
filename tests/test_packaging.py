"""Packaging: what pyproject.toml declares matches what the engine imports.

`dependencies` must be what importers/ imports at run time, no more (a project
that installs the app should not get pandas or factory-boy) and no less (an
undeclared numpy ended `load_data` in an import traceback). Optional imports,
made inside a function or guarded, must be in an extra. The wheel itself is
installed and used by .ci/check-wheel.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Where the import name is not the distribution's name.
IMPORT_NAMES = {"factory_boy": "factory", "psycopg_binary": "psycopg"}


def requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)[0].lower().replace("-", "_")
        if name != "django_importers":  # an extra naming other extras
            names.add(IMPORT_NAMES.get(name, name))
    return names


def engine_imports() -> tuple[set[str], set[str]]:
    """Third-party modules importers/ imports: (at module level, anywhere)."""
    eager, anywhere = set(), set()
    for path in (ROOT / "importers").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for name in {name.split(".")[0] for name in names}:
                if name in sys.stdlib_module_names or name == "importers":
                    continue
                anywhere.add(name)
                if id(node) in top_level:
                    eager.add(name)
    return eager, anywhere


def test_dependencies_are_exactly_what_the_engine_imports_at_run_time():
    runtime = requirement_names(PYPROJECT["dependencies"])
    eager, anywhere = engine_imports()

    assert eager <= runtime, (
        f"imported at module level, not declared: {eager - runtime}"
    )
    assert runtime <= anywhere, f"declared, never imported: {runtime - anywhere}"
    assert {"django", "numpy", "tqdm"} <= runtime
    assert not {"pandas", "factory", "psycopg", "dj_database_url"} & runtime


def test_every_optional_import_of_the_engine_is_in_an_extra():
    extras = PYPROJECT["optional-dependencies"]
    declared = requirement_names(PYPROJECT["dependencies"])
    for requirements in extras.values():
        declared |= requirement_names(requirements)
    _, anywhere = engine_imports()

    assert anywhere <= declared, f"in no extra: {anywhere - declared}"
    assert {"openpyxl", "defusedxml"} <= requirement_names(extras["xlsx"])
    assert "psycopg" in requirement_names(extras["postgres"])


def test_version_is_importable_without_loading_django_or_the_engine():
    script = (
        "import sys, importers; "
        "print(importers.__version__); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django' "
        "or m.startswith('importers.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True
    )
    version, loaded = done.stdout.splitlines()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version)
    assert loaded == "[]"
    assert "version" in PYPROJECT["dynamic"]  # single-sourced: no second copy
    assert "version" not in PYPROJECT
    assert (ROOT / "importers" / "py.typed").exists()


def test_licence_is_an_spdx_expression_with_its_file():
    assert PYPROJECT["license"] == "BSD-3-Clause"
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()
    assert PYPROJECT["license-files"] == ["LICENSE"]
