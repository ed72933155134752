"""bench/make_posts.py: the reference data set, made inside the repository.

The tests, the benchmark and the README load what it writes, so it must write the
same bytes for the same arguments, its JSON forms must hold the CSV's rows, and it
must keep writing the reference data set's bytes: the SHA-256 digests below were
taken from the reference generator (shared/bench/make_posts.py) for the same
arguments, so figures measured with either describe the same work.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.make_posts import N_AUTHORS, TAGS, make_posts, typed

from .conftest import MAKE_POSTS

ALL = ["--tags", "--json", "--jsonl"]


def generate(out: Path, *args: str) -> dict[str, bytes]:
    """Run a generator as a script, as the fixtures and the benchmark do."""
    subprocess.run([sys.executable, str(MAKE_POSTS), str(out), *args], check=True)
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(data.decode().splitlines()))


@pytest.mark.parametrize(
    "args", [["--rows", "300"], ["--rows", "300", *ALL, "--gzip", "--seed", "3"]]
)
def test_same_arguments_give_the_same_bytes(tmp_path, args):
    first = generate(tmp_path / "a", *args)
    second = generate(tmp_path / "b", *args)
    assert first == second


def test_the_seed_changes_the_posts_but_not_their_keys(tmp_path):
    seven = generate(tmp_path / "a", "--rows", "50")
    eight = generate(tmp_path / "b", "--rows", "50", "--seed", "8")
    assert seven["posts.csv"] != eight["posts.csv"]
    assert seven["categories.csv"] == eight["categories.csv"]
    slugs = [
        [row["slug"] for row in read_csv(files["posts.csv"])]
        for files in (seven, eight)
    ]
    assert slugs[0] == slugs[1] == [f"post-{i:08d}" for i in range(50)]


def test_options_choose_the_files_and_the_tags_column(tmp_path):
    plain = generate(tmp_path / "plain", "--rows", "20")
    full = generate(tmp_path / "full", "--rows", "20", *ALL, "--gzip")

    assert sorted(plain) == ["authors.csv", "categories.csv", "posts.csv"]
    assert sorted(full) == [
        "authors.csv",
        "categories.csv",
        "posts.csv",
        "posts.csv.gz",
        "posts.json",
        "posts.json.gz",
        "posts.jsonl",
        "posts.jsonl.gz",
    ]
    assert "tags" not in read_csv(plain["posts.csv"])[0]
    assert len(read_csv(full["authors.csv"])) == N_AUTHORS
    for row in read_csv(full["posts.csv"]):
        names = row["tags"].split(";") if row["tags"] else []
        assert names == sorted(set(names)) and len(names) <= 4
        assert set(names) <= set(TAGS)


def test_json_forms_hold_the_csv_rows_typed(tmp_path):
    files = generate(tmp_path, "--rows", "400", *ALL)
    rows = read_csv(files["posts.csv"])
    expected = [typed(row) for row in rows]

    assert json.loads(files["posts.json"]) == expected
    lines = files["posts.jsonl"].decode().splitlines()
    assert [json.loads(line) for line in lines] == expected
    # What the README promises about the values, on a sample large enough to hold
    # each case: empty category, empty rating, drafts, tags lists of 0..4 names.
    assert {type(row["views"]) for row in expected} == {int}
    assert None in {row["rating"] for row in expected}
    assert None in {row["category"] for row in expected}
    assert {row["status"] for row in expected} == {"draft", "published"}
    assert {len(row["tags"]) for row in expected} == {0, 1, 2, 3, 4}
    for row in expected:
        assert (row["published_at"] is None) == (row["status"] == "draft")


def test_gzip_copies_hold_the_same_bytes_and_no_name_or_time(tmp_path):
    files = generate(tmp_path, "--rows", "100", "--jsonl", "--gzip")
    for name in ("posts.csv", "posts.jsonl"):
        packed = files[f"{name}.gz"]
        assert gzip.decompress(packed) == files[name]
        assert packed[4:8] == b"\0\0\0\0"  # MTIME
        assert not packed[3] & 0x08  # FLG.FNAME: no file name stored


def test_library_call_writes_what_the_script_writes(tmp_path):
    written = make_posts(tmp_path / "lib", 30, seed=5, tags=True, jsonl=True)
    script = generate(
        tmp_path / "cli", "--rows", "30", "--seed", "5", "--tags", "--jsonl"
    )
    assert {path.name: path.read_bytes() for path in written} == script


def test_zero_rows_write_headers_and_an_empty_array(tmp_path):
    files = generate(tmp_path, "--rows", "0", *ALL)
    assert files["posts.csv"].decode().splitlines() == [
        "slug,title,author,category,status,published_at,views,rating,body,tags"
    ]
    assert files["posts.json"] == b"[]"
    assert files["posts.jsonl"] == b""


def test_negative_rows_is_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, str(MAKE_POSTS), str(tmp_path), "--rows", "-1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "--rows must be 0 or more" in done.stderr


#: SHA-256 of each file the reference generator writes for these arguments
REFERENCE = {
    "--rows 1500 --tags --json --jsonl": {
        "authors.csv": (
            "baf2cdaba0c6cae52405569446d09a18711c84fd9ec344523207c911d5741896"
        ),
        "categories.csv": (
            "28824a6cb6e9086f01cda1bdd2d9441c46f9756c57c124f0954b3645562fb308"
        ),
        "posts.csv": (
            "4c4ee9a3c2df38358293d0614666fd73ad59d128e9555052233e5cf9ca223eb8"
        ),
        "posts.json": (
            "25a1154ed0fcb0eaa5b833409ac1a17fd3e3c18138332afeb11e9670dc3bb8bc"
        ),
        "posts.jsonl": (
            "36d9a0ac952e33cb372d1a4a9fe7ae2c621bea34d96b851fd2bd2032bcb1c697"
        ),
    },
    "--rows 200 --seed 11 --jsonl": {
        "authors.csv": (
            "c209f1ef3ae4c4c999176c4f6a71f8942598881bda02cabe366638d76cd97afb"
        ),
        "categories.csv": (
            "28824a6cb6e9086f01cda1bdd2d9441c46f9756c57c124f0954b3645562fb308"
        ),
        "posts.csv": (
            "8e60a1abfb77258953eac4f2c91ace20c274b2ca78ddbc7a858f085ad7e03cc5"
        ),
        "posts.jsonl": (
            "6e62d4dc3667135f3c4a818d77f861aa6277754b27ccc372b169f7fbd85e1033"
        ),
    },
    "--rows 1": {
        "authors.csv": (
            "baf2cdaba0c6cae52405569446d09a18711c84fd9ec344523207c911d5741896"
        ),
        "categories.csv": (
            "28824a6cb6e9086f01cda1bdd2d9441c46f9756c57c124f0954b3645562fb308"
        ),
        "posts.csv": (
            "7da009fde07b873c3b09d9baed2df33adabff865cf83f88921daf29eec44bd66"
        ),
    },
}


@pytest.mark.parametrize("args", list(REFERENCE))
def test_writes_the_reference_data_sets_bytes(tmp_path, args):
    files = generate(tmp_path / "ours", *args.split())
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    assert digests == REFERENCE[args]
