"""Keys as load_data finds rows by them (zoo External: a nullable unique BigInteger).

- Distinct keys are never duplicates, even those CPython's hash() makes equal.
- An empty key can never find its row: in modes that match by key such a row is a
  row error, so re-running a file never grows the table; --mode create adds it.
"""

from __future__ import annotations

import pytest

from tests.zoo.models import External

from .conftest import run

pytestmark = pytest.mark.django_db


def load(path, *args):
    return run("load_data", str(path), "--model", "zoo.External", *args)


def test_keys_that_hash_alike_are_distinct_rows(tmp_path):
    path = tmp_path / "ext.csv"
    pairs = [-1, -2, 0, 2**61 - 1, 1, 2**61]
    path.write_text("ext,name\n" + "".join(f"{v},n{v}\n" for v in pairs))
    result = load(path)
    assert result.error is None, result
    assert sorted(External.objects.values_list("ext", flat=True)) == sorted(pairs)
    result = load(path, "--dry-run")
    assert result.error is None, result
    assert "6 unchanged" in result.stdout


def test_a_repeated_key_is_still_a_duplicate(tmp_path):
    path = tmp_path / "ext.csv"
    path.write_text("ext,name\n-1,a\n-2,b\n-1,c\n")
    result = load(path, "--on-error", "skip")
    assert result.returncode == 1
    assert "duplicate key: the same ext is on line 2" in result.stderr
    assert External.objects.count() == 2


@pytest.mark.parametrize("mode", ["upsert", "skip", "update"])
def test_an_empty_key_is_a_row_error_and_reruns_never_grow(tmp_path, mode):
    path = tmp_path / "ext.csv"
    path.write_text("ext,name\n,first\n,second\n5,five\n")
    extra = ["--mode", mode] if mode != "upsert" else []
    for _ in range(2):
        result = load(path, "--on-error", "skip", *extra)
        assert result.returncode == 1
        assert result.stderr.count("is empty, so this row could never be found") == 2
    assert External.objects.filter(ext__isnull=True).count() == 0
    assert External.objects.count() == (0 if mode == "update" else 1)


def test_mode_create_adds_rows_without_a_key(tmp_path):
    path = tmp_path / "ext.csv"
    path.write_text("ext,name\n,first\n,second\n5,five\n")
    result = load(path, "--mode", "create")
    assert result.error is None, result
    assert External.objects.filter(ext__isnull=True).count() == 2
