"""A tqdm progress bar on the command's stderr, only where a person is watching.

The bar is one line redrawn in place, so it must never be wider than the terminal
(a wrapped line leaves a new line at every redraw and the screen scrolls). It
measures the terminal before every redraw (a resized window is followed), keeps
one column free (some terminals wrap on the last one), draws with Unicode blocks
where the terminal's encoding has them, and is cleared when the file is done: the
summary line that follows says the rest.

It writes to the stream under Django's OutputWrapper: the wrapper would add a
newline to every frame, and colour stderr red.
"""

from __future__ import annotations

import os
from typing import Any

FALLBACK_COLUMNS = 80
#: bytes are counted in KiB, MiB...: tqdm's scaled numbers, with the unit after
WITH_TOTAL = (
    "{desc} {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B{postfix} [{remaining}]"
)
WITHOUT_TOTAL = "{desc} {n_fmt}B{postfix} [{elapsed}]"


def short_name(name: str, width: int) -> str:
    """Return a file's name short enough to leave the bar room: its tail."""
    name = os.path.basename(name) or name
    room = max(8, min(30, width // 4))
    return name if len(name) <= room else "…" + name[-(room - 1) :]


class OutputAdapter:
    """A file-like view of a Django OutputWrapper that writes text as given.

    For data written to the command's stdout (export_data's rows, templates): the
    wrapper would end every write with a newline.
    """

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class TerminalStream:
    """A file-like view of the terminal under a Django OutputWrapper."""

    def __init__(self, wrapper: Any) -> None:
        self.out = getattr(wrapper, "_out", wrapper)

    @property
    def encoding(self) -> str:
        return getattr(self.out, "encoding", None) or "ascii"

    def write(self, text: str) -> None:
        self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.out, "isatty", lambda: False)())

    def columns(self) -> int:
        """Return the terminal's width now (it may have been resized)."""
        try:
            return os.get_terminal_size(self.out.fileno()).columns or FALLBACK_COLUMNS
        except (AttributeError, OSError, ValueError):
            return FALLBACK_COLUMNS


class ProgressBar:
    """Bytes read of each file (its size as total where known), rows and rows/s."""

    def __init__(self, stream: Any) -> None:
        self.stream = TerminalStream(stream)
        self.bar: Any = None
        self.position = 0

    def width(self) -> int:
        return max(10, self.stream.columns() - 1)

    def start(self, name: str, total: int | None) -> None:
        from tqdm import tqdm

        self.position = 0
        width = self.width()
        self.bar = tqdm(
            total=total,
            desc=short_name(name, width),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=self.stream,
            ncols=width,
            bar_format=WITH_TOTAL if total else WITHOUT_TOTAL,
            leave=False,
        )

    def update(self, position: int, rows: int) -> None:
        if self.bar is None:
            return
        self.bar.ncols = self.width()  # follow a resized terminal
        elapsed = self.bar.format_dict.get("elapsed") or 0
        rate = f" {rows / elapsed:,.0f}/s" if elapsed else ""
        self.bar.set_postfix_str(f"{rows:,} rows{rate}", refresh=False)
        self.bar.update(max(0, position - self.position))
        self.position = position

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.ncols = self.width()
            self.bar.close()
            self.bar = None
