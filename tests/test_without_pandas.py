"""pandas and pyarrow are optional: the row path neither imports nor needs them.

The subprocesses start with a `sitecustomize` that makes importing pandas or
pyarrow fail, as on a machine where they are not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mysite.blog.models import Author

from .conftest import ROOT

BLOCKER = """\
import sys


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("pandas", "pyarrow"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
"""


@pytest.fixture
def without_pandas(tmp_path, monkeypatch):
    """Make subprocesses (the `manage` fixture's too) start without pandas."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    return site


def python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_blocker_blocks(without_pandas):
    done = python("import pandas")
    assert "No module named 'pandas'" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_load_data_of_a_csv_works_without_pandas(without_pandas, manage, tmp_path):
    csv = tmp_path / "authors.csv"
    csv.write_text("username,name\nada,Ada Lovelace\nbob,Bob\n")
    done = manage("load_data", str(csv))
    assert done.returncode == 0, done.stderr.decode()
    assert b"2 created" in done.stdout
    assert sorted(Author.objects.values_list("username", flat=True)) == ["ada", "bob"]


@pytest.mark.django_db(transaction=True)
def test_parquet_without_pyarrow_fails_when_used_saying_what_to_install(
    without_pandas, manage, tmp_path
):
    path = tmp_path / "authors.parquet"
    path.write_bytes(b"PAR1")
    done = manage("load_data", str(path))
    stderr = done.stderr.decode()
    assert done.returncode != 0
    assert "Traceback" not in stderr
    assert "(the 'parquet' extra): pip install pyarrow pandas" in stderr


def test_frames_without_pandas_fail_when_used_saying_what_to_install(
    without_pandas,
):
    done = python(
        "import django; django.setup()\n"
        "import importers\n"
        "try:\n"
        "    importers.read_frame\n"
        "    importers.read_frame(None)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert done.stdout.strip() == (
        "read_frame() needs pandas (the 'pandas' extra): pip install pandas"
    ), done.stderr


def test_the_row_path_imports_neither_pandas_nor_pyarrow():
    """Installed or not, the row path does not pay for them (about 0.3 s)."""
    done = python(
        "import sys, django; django.setup()\n"
        "import importers.command, importers.pipeline, importers.testing\n"
        "import importers.readers.csv, importers.readers.json\n"
        "from importers.readers import formats; formats()\n"
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
    )
    assert done.stdout.strip() == "[]", done.stderr


def test_no_module_imports_pandas_at_the_top():
    """Only functions that take or make frames import pandas, when called."""
    package = Path(__file__).resolve().parent.parent / "importers"
    for module in package.rglob("*.py"):
        for line in module.read_text().splitlines():
            assert not line.startswith(("import pandas", "from pandas")), module
            assert not line.startswith(("import pyarrow", "from pyarrow")), module
