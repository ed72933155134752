"""JSONField cells (zoo Doc.data), as Django's forms.JSONField reads them.

A CSV cell is text: it is parsed as JSON, and invalid JSON is a row error. A JSON
source's value is already JSON: stored as it is (a string stays a string). Deep
nesting is stored or is a row error, never a RecursionError traceback.
"""

from __future__ import annotations

import csv
import json

import pytest

from tests.zoo.models import Doc

from .conftest import run

pytestmark = pytest.mark.django_db


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["key", "data"])
        writer.writerows(rows)
    return path


def load(path, *args):
    return run("load_data", str(path), "--model", "zoo.Doc", *args)


CELLS = ['{"a": 1}', "5", "[1, 2.5, null]", '"text"', "true", '{"nested": {"b": []}}']


def test_csv_cells_are_parsed_as_json_like_the_orm_oracle(tmp_path):
    path = write_csv(tmp_path / "docs.csv", [(f"k{i}", c) for i, c in enumerate(CELLS)])
    result = load(path)
    assert result.error is None, result
    stored = dict(Doc.objects.values_list("key", "data"))
    Doc.objects.all().delete()
    for i, cell in enumerate(CELLS):
        Doc(key=f"k{i}", data=json.loads(cell)).save()
    assert stored == dict(Doc.objects.values_list("key", "data"))
    assert stored["k0"] == {"a": 1}
    assert load(path).stdout.count("6 unchanged") == 1


def test_invalid_json_in_a_cell_is_a_row_error(tmp_path):
    path = write_csv(tmp_path / "docs.csv", [("k1", "{oops"), ("k2", "[1]")])
    result = load(path, "--on-error", "skip")
    assert result.returncode == 1
    assert "docs.csv:2: column 'data'" in result.stderr
    assert "Enter a valid JSON." in result.stderr
    assert dict(Doc.objects.values_list("key", "data")) == {"k2": [1]}


def test_json_values_are_stored_as_they_are(tmp_path):
    path = tmp_path / "docs.jsonl"
    values = [{"a": 1}, "text", '{"a": 1}', 5, [1, {"b": None}]]
    path.write_text(
        "".join(
            json.dumps({"key": f"k{i}", "data": v}) + "\n" for i, v in enumerate(values)
        )
    )
    result = load(path)
    assert result.error is None, result
    stored = dict(Doc.objects.values_list("key", "data"))
    assert stored == {f"k{i}": v for i, v in enumerate(values)}


@pytest.mark.parametrize("depth", [500, 5000])
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_deep_nesting_is_stored_or_a_row_error(tmp_path, depth, kind, manage):
    text = "[" * depth + "]" * depth
    if kind == "csv":
        path = write_csv(tmp_path / "docs.csv", [("deep", text), ("flat", "[]")])
    else:
        path = tmp_path / "docs.jsonl"
        path.write_text(
            '{"key": "deep", "data": ' + text + '}\n{"key": "flat", "data": []}\n'
        )
    done = manage("load_data", str(path), "--model", "zoo.Doc", "--on-error", "skip")
    assert b"Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode in (0, 1)
    if done.returncode == 1:
        assert b"nested too deeply" in done.stderr
    else:
        data = Doc.objects.get(key="deep").data
        for _ in range(depth - 1):
            (data,) = data
        assert data == []
    assert Doc.objects.filter(key="flat").exists()
