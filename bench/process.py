"""Child processes: timed runs through _measure.py, and plain set-up steps.

A failure never escapes as a traceback of the harness: a timed run comes back as a
`Measurement` whose `error` says what went wrong, with the tail of the child's stderr;
a set-up step raises `StepError` carrying the same.
"""

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEASURE = Path(__file__).resolve().parent / "_measure.py"
TAIL_LINES = 15


class StepError(Exception):
    """A set-up step failed; the message says which, and how."""


@dataclass(frozen=True)
class Measurement:
    """What one timed child process did."""

    seconds: float
    peak_rss_mb: float
    error: str | None  # None when the child exited with status 0
    stderr_tail: str
    stdout_path: Path

    @property
    def ok(self) -> bool:
        return self.error is None


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """Return the last `lines` non-blank lines of `text`."""
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def child_env(database_url: str) -> dict[str, str]:
    """Return the environment of a child working on the bench database."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["BENCH_DATABASE_URL"] = database_url
    env.pop("PYTHONPATH", None)  # children find `bench` and `mysite` from the cwd
    return env


def _wait(process: subprocess.Popen, timeout: float) -> str | None:
    """Wait for `process`; kill its whole session and say so if it overruns."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"timed out after {timeout:g} s"
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return None


def run_measured(
    command: list[str], *, env: dict[str, str], log_stem: Path, timeout: float
) -> Measurement:
    """Run `command` from the repository root; time it and take its peak RSS."""
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    result_path = log_stem.with_suffix(".json")
    stdout_path = log_stem.with_suffix(".out")
    stderr_path = log_stem.with_suffix(".err")
    result_path.unlink(missing_ok=True)
    argv = [sys.executable, "-I", "-S", str(MEASURE), str(result_path), "--", *command]
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=err, start_new_session=True
        )
        error = _wait(process, timeout)
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result = {"seconds": 0.0, "peak_rss_kb": 0, "returncode": None}
        error = error or f"measurement wrapper failed (status {process.returncode})"
    if error is None and result["returncode"] != 0:
        error = f"exit status {result['returncode']}"
    return Measurement(
        seconds=result["seconds"],
        peak_rss_mb=result["peak_rss_kb"] / 1024,
        error=error,
        stderr_tail=tail(stderr),
        stdout_path=stdout_path,
    )


def run_step(
    command: list[str], *, env: dict[str, str] | None, what: str, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run an untimed set-up step; raise `StepError` unless it exits with 0."""
    try:
        completed = subprocess.run(
            command,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise StepError(f"{what}: {error}") from None
    if completed.returncode != 0:
        raise StepError(
            f"{what}: exit status {completed.returncode}\n"
            f"{tail(completed.stderr or completed.stdout)}"
        )
    return completed
