"""A tqdm progress bar on the command's stderr, only where a person is watching.

Django's OutputWrapper adds a newline to every write; tqdm redraws a line many
times, so it writes through a small adapter that writes with `ending=""`.
"""

from __future__ import annotations

from typing import Any


class OutputAdapter:
    """A file-like view of a Django OutputWrapper that writes text as given."""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class ProgressBar:
    """Bytes read of each file (its size as total where known), rows and rows/s."""

    def __init__(self, stream: Any) -> None:
        self.stream = OutputAdapter(stream)
        self.bar: Any = None
        self.position = 0

    def start(self, name: str, total: int | None) -> None:
        from tqdm import tqdm

        self.position = 0
        self.bar = tqdm(
            total=total,
            desc=name,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=self.stream,
            dynamic_ncols=True,
            leave=True,
        )

    def update(self, position: int, rows: int) -> None:
        if self.bar is None:
            return
        self.bar.update(max(0, position - self.position))
        self.position = position
        elapsed = self.bar.format_dict.get("elapsed") or 0
        rate = f", {rows / elapsed:,.0f} rows/s" if elapsed else ""
        self.bar.set_postfix_str(f"{rows:,} rows{rate}", refresh=False)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
