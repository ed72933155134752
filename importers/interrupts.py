"""Signals around the pipeline: SIGTERM unwinds as Ctrl-C does; commits are atomic.

A commit and the bookkeeping that records it (which lines are committed, whether
the run finished) must not be split by a signal, or the report would name less than
the database holds. `SignalWindow.hold()` holds SIGINT and SIGTERM from just before
a commit until the bookkeeping is done, then delivers them again, as they came.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is so that it unwinds as Ctrl-C does."""


def in_main_thread() -> bool:
    """Return whether signal handlers can be set here (only the main thread can)."""
    return threading.current_thread() is threading.main_thread()


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Make SIGTERM raise `Terminated` meanwhile."""
    if not in_main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:  # unless the run, ending, chose to ignore signals from now on
        if signal.getsignal(signal.SIGTERM) is stop:
            signal.signal(
                signal.SIGTERM, signal.SIG_DFL if previous is None else previous
            )


def ignore_further_signals() -> None:
    """Ignore SIGINT and SIGTERM from now on: the run is already ending.

    A second Ctrl-C while the first is reported would otherwise escape as a
    traceback, an "Exception ignored in atexit callback", or exit status -2.
    """
    if in_main_thread():  # a handler, not SIG_IGN: child processes must not inherit
        for sig in SIGNALS:
            signal.signal(sig, ignore)


def ignore(signum: int, frame: Any) -> None:
    """A signal handler that does nothing."""


class SignalWindow:
    """Hold SIGINT/SIGTERM from `hold()` to the end of the block, then deliver them.

    Use: `with SignalWindow() as window: ... window.hold(); commit; record it`.
    Signals before `hold()` act at once, as usual.
    """

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.received: list[int] = []

    def __enter__(self) -> SignalWindow:
        return self

    def hold(self) -> None:
        if self.previous or not in_main_thread():
            return
        for sig in SIGNALS:
            self.previous[sig] = signal.signal(sig, self.record)

    def record(self, signum: int, frame: Any) -> None:
        if signum not in self.received:
            self.received.append(signum)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for sig, previous in self.previous.items():
            signal.signal(sig, signal.SIG_DFL if previous is None else previous)
        self.previous = {}
        received, self.received = self.received, []
        for sig in received:  # to the handlers that were there: they raise or stop
            signal.raise_signal(sig)


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the whole block (a commit and what records it)."""
    with SignalWindow() as window:
        window.hold()
        yield
