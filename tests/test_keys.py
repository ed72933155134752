"""The compact index of keys met in a run: repeats found, first lines kept."""

import random

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


def test_memory_is_twelve_bytes_a_key():
    index = KeyIndex()
    for start in range(0, 200_000, 1000):
        index.first_lines(
            [f"post-{i}" for i in range(start, start + 1000)],
            list(range(start, start + 1000)),
        )
    stored = sum(h.nbytes + lines.nbytes for h, lines in index.runs)
    assert stored == 200_000 * 12
