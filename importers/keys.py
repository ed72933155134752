"""The keys a run has met, kept compactly so memory is bounded by the batch.

Duplicate keys inside the files are found across a whole run, and a dry run must
remember the keys it would have created (a later file may name them), so something
is kept per row. A dict or set of keys costs ~130-250 bytes a row; this keeps a
16-byte digest of each key and the 4-byte line it was first met on (its top bit
marks a row a dry run would have created) in sorted numpy runs, merged as they
grow (like an LSM tree) so adding a batch stays O(batch log n): 20 bytes a row,
real run or dry run.

The digest is exact for integers that fit in 64 bits (the integer itself) and
otherwise BLAKE2b-128 of a canonical, typed byte encoding of the key (`encode`), so
`-1` and `-2`, `1` and `"1"`, `("a", "b")` and `("ab",)` never meet. Two different
keys share a BLAKE2b-128 digest with probability about n**2 / 2**129: for a run of
a billion keys, below 1 in 10**21.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from hashlib import blake2b
from typing import Any

import numpy as np

DIGEST = np.dtype("S16")
_INT64 = (-(2**63), 2**63 - 1)


def encode(key: Any) -> bytes:
    """Return a byte string that only keys equal in the database share."""
    kind = type(key)
    if kind is str:
        return b"s" + key.encode("utf-8", "surrogatepass")
    if kind is int:
        return b"i%d" % key
    if kind is tuple:
        parts = [encode(part) for part in key]
        return b"t" + b"".join(len(p).to_bytes(8, "little") + p for p in parts)
    if key is None:
        return b"n"
    if kind is Decimal and key.is_finite():
        return b"d" + str(key.normalize()).encode()
    if kind is datetime and key.tzinfo is not None:
        return b"z" + key.astimezone(UTC).isoformat().encode()
    if kind is bytes:
        return b"b" + key
    name = f"{kind.__module__}.{kind.__qualname__}:{key!r}"
    return b"o" + name.encode("utf-8", "surrogatepass")


def digests(keys: Sequence[Hashable]) -> np.ndarray:
    """Return one 16-byte digest per key (array of dtype S16)."""
    count = len(keys)
    low, high = _INT64
    if all(type(k) is int and low <= k <= high for k in keys):
        words = np.zeros((count, 2), dtype=np.int64)
        words[:, 1] = np.fromiter(keys, dtype=np.int64, count=count)
        return words.view(DIGEST).reshape(count)
    buffer = b"".join(
        [blake2b(encode(k), digest_size=16, person=b"key").digest() for k in keys]
    )
    return np.frombuffer(buffer, dtype=DIGEST).copy()


#: the top bit of a stored line: the key's row would have been created (dry run)
MARK = np.uint32(1 << 31)


def merge(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Merge two sorted runs without sorting again (no n-sized index array)."""
    (a_keys, a_lines), (b_keys, b_lines) = a, b
    at = np.searchsorted(a_keys, b_keys, side="right")
    at += np.arange(len(b_keys), dtype=at.dtype)
    keys = np.empty(len(a_keys) + len(b_keys), dtype=a_keys.dtype)
    lines = np.empty(len(keys), dtype=a_lines.dtype)
    from_a = np.ones(len(keys), dtype=bool)
    from_a[at] = False
    keys[at] = b_keys
    keys[from_a] = a_keys
    lines[at] = b_lines
    lines[from_a] = a_lines
    return keys, lines


class KeyIndex:
    """Remember keys with the line (< 2**31) they were first met on; tell repeats.

    A dry run also marks the keys whose rows it would have created (`mark`), so a
    later file naming them finds them (`marked`) without a second set of keys.
    """

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted digests, lines)

    def __len__(self) -> int:
        return sum(len(found) for found, _ in self.runs)

    def lookup(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (hit mask, stored line with its mark, -1 if none) per digest."""
        hit = np.zeros(len(wanted), dtype=bool)
        payload = np.full(len(wanted), -1, dtype=np.int64)
        for stored, lines in self.runs:
            position = np.searchsorted(stored, wanted)
            position[position == len(stored)] = 0
            new_hit = (stored[position] == wanted) & ~hit
            payload[new_hit] = lines[position[new_hit]]
            hit |= new_hit
        return hit, payload

    def add(self, found: np.ndarray, lines: np.ndarray) -> None:
        order = np.argsort(found, kind="stable")
        run = (found[order], lines[order])
        del order
        # Merge while the newest run is at least as large as the one before it.
        while self.runs and len(self.runs[-1][0]) <= len(run[0]):
            run = merge(self.runs.pop(), run)
        self.runs.append(run)

    def first_lines(
        self, keys: Sequence[Hashable], lines: Sequence[int]
    ) -> list[int | None]:
        """Return, per key, the line it was met on before (None if new); add them."""
        count = len(keys)
        if not count:
            return []
        found = digests(keys)
        at = np.asarray(lines, dtype=np.uint32)
        hit, earlier = self.lookup(found)
        earlier[~hit] = -1
        earlier[hit] &= ~np.int64(MARK)
        # Repeats inside the batch point at the first of their group.
        order = np.argsort(found, kind="stable")
        ordered = found[order]
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
            self.add(found[new], at[new])
        return [None if e < 0 else int(e) for e in earlier]

    def mark(self, keys: Sequence[Hashable]) -> None:
        """Mark keys met before as rows a dry run would have created."""
        if not keys:
            return
        wanted = digests(keys)
        for stored, lines in self.runs:
            position = np.searchsorted(stored, wanted)
            position[position == len(stored)] = 0
            hit = stored[position] == wanted
            lines[position[hit]] |= MARK

    def marked(self, keys: Sequence[Hashable]) -> list[bool]:
        """Return, per key, whether it was marked."""
        if not keys or not self.runs:
            return [False] * len(keys)
        hit, payload = self.lookup(digests(keys))
        return (hit & ((payload & np.int64(MARK)) != 0)).tolist()

    def __bool__(self) -> bool:
        return bool(self.runs)
