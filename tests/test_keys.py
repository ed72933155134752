"""The compact index of keys met in a run: repeats found, first lines kept."""

import random
from datetime import UTC

import pytest

from importers.keys import KeyIndex


def test_new_keys_are_none_and_repeats_name_the_first_line():
    index = KeyIndex()
    assert index.first_lines(["a", "b"], [2, 3]) == [None, None]
    assert index.first_lines(["c", "a", "c", "c"], [4, 5, 6, 7]) == [None, 2, 4, 4]
    assert index.first_lines([("x", 1), ("x", 1)], [8, 9]) == [None, 8]
    assert len(index) == 4


def test_agrees_with_a_dict_over_many_batches():
    rng = random.Random(5)
    index, first = KeyIndex(), {}
    line = 1
    for _ in range(300):
        keys = [f"k{rng.randrange(5000)}" for _ in range(rng.randrange(1, 60))]
        lines = list(range(line, line + len(keys)))
        line += len(keys)
        expected = []
        for key, at in zip(keys, lines, strict=True):
            earlier = first.setdefault(key, at)
            expected.append(None if earlier == at else earlier)
        assert index.first_lines(keys, lines) == expected
    assert len(index) == len(first)
    assert len(index.runs) <= 14  # merged as they grow


def test_memory_is_twenty_bytes_a_key():
    index = KeyIndex()
    for start in range(0, 200_000, 1000):
        index.first_lines(
            [f"post-{i}" for i in range(start, start + 1000)],
            list(range(start, start + 1000)),
        )
    stored = sum(h.nbytes + lines.nbytes for h, lines in index.runs)
    assert stored == 200_000 * 20


# Distinct keys that CPython's hash() maps to one value (integers modulo 2**61-1).
HASH_TWINS = [
    (-1, -2),
    (0, 2**61 - 1),
    (1, 2**61),
    (2**64, 2**64 + 2**61 - 1),
    ((-1, "a"), (-2, "a")),
    ((1, 2), (2**61, 2)),
    (-1.0, -2.0),
    ("1", 1),
    (("a", "b"), ("ab",)),
    (True, 1),
]


@pytest.mark.parametrize(("a", "b"), HASH_TWINS)
def test_distinct_keys_are_never_repeats(a, b):
    index = KeyIndex()
    assert index.first_lines([a, b], [2, 3]) == [None, None]
    assert index.first_lines([b, a], [4, 5]) == [3, 2]
    index.mark([a])
    assert index.marked([a, b]) == [True, False]
    assert index.first_lines([a], [6]) == [2]  # the mark is not part of the line


def test_equal_values_are_one_key():
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    utc = datetime(2024, 1, 1, 12, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=1)))
    index = KeyIndex()
    assert index.first_lines([Decimal("1.0"), Decimal("1.00")], [2, 3]) == [None, 2]
    assert index.first_lines([utc, paris], [4, 5]) == [None, 4]


def test_marks_agree_with_a_set():
    rng = random.Random(7)
    index, met, marked = KeyIndex(), set(), set()
    line = 1
    for _ in range(200):
        batch = [rng.randrange(-3000, 3000) for _ in range(rng.randrange(1, 40))]
        probe = [rng.randrange(-3000, 3000) for _ in range(20)]
        assert index.marked(probe) == [k in marked for k in probe]
        index.first_lines(batch, list(range(line, line + len(batch))))
        line += len(batch)
        met.update(batch)
        chosen = batch[::2]
        index.mark(chosen)
        marked.update(chosen)
    assert len(index) == len(met)
    assert sum(k.nbytes + v.nbytes for k, v in index.runs) == 20 * len(met)
