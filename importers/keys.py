"""The keys a run has met, kept compactly so memory is bounded by the batch.

Duplicate keys inside the files are found across a whole run, so something must be
kept per row. A dict of keys costs ~250 bytes a row (170 MB for 1M rows); this keeps
a 64-bit hash and the line of each key in sorted numpy runs, 12 bytes a row, merged
as they grow (like an LSM tree) so adding a batch stays O(batch log n).

Two different keys with the same 64-bit hash would be taken for duplicates: with a
million keys the chance is about 3 in 100 million per run.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


class KeyIndex:
    """Remember keys with the line (< 2**32) they were first met on; tell repeats."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, lines)

    def __len__(self) -> int:
        return sum(len(hashes) for hashes, _ in self.runs)

    def first_lines(
        self, keys: Sequence[Hashable], lines: Sequence[int]
    ) -> list[int | None]:
        """Return, per key, the line it was met on before (None if new); add them."""
        count = len(keys)
        if not count:
            return []
        hashes = np.fromiter((hash(k) for k in keys), dtype=np.int64, count=count)
        at = np.asarray(lines, dtype=np.uint32)
        earlier = np.full(count, -1, dtype=np.int64)
        for run_hashes, run_lines in self.runs:
            position = np.searchsorted(run_hashes, hashes)
            position[position == len(run_hashes)] = 0
            hit = (run_hashes[position] == hashes) & (earlier < 0)
            earlier[hit] = run_lines[position[hit]]
        # Repeats inside the batch point at the first of their group.
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        starts = np.ones(count, dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        group_first = order[
            np.maximum.accumulate(np.where(starts, np.arange(count), 0))
        ]
        repeat = np.zeros(count, dtype=bool)
        repeat[order] = ~starts
        inside = repeat & (earlier < 0)
        earlier[inside] = at[group_first[np.argsort(order)][inside]]
        new = (earlier < 0) & ~repeat
        if new.any():
            self.add(hashes[new], at[new])
        return [None if e < 0 else int(e) for e in earlier]

    def add(self, hashes: np.ndarray, lines: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        run = (hashes[order], lines[order])
        # Merge while the newest run is at least as large as the one before it.
        while self.runs and len(self.runs[-1][0]) <= len(run[0]):
            older = self.runs.pop()
            merged = np.concatenate([older[0], run[0]])
            merged_lines = np.concatenate([older[1], run[1]])
            order = np.argsort(merged, kind="stable")
            run = (merged[order], merged_lines[order])
        self.runs.append(run)
