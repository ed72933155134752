"""The harness's stopwatch: run one command, write its wall time and peak RSS.

    python -I -S bench/_measure.py RESULT.json -- COMMAND [ARG ...]

The harness starts every timed process through this wrapper rather than directly:
Linux charges a child the resident memory of the process that spawned it (the
high-water mark survives `exec`), so measuring from the harness itself would add the
harness's own memory to every child. This wrapper stays tiny (no `site`, nothing
imported before the spawn), so the floor it adds is below any Python child's own.
`os.wait4` gives the rusage of exactly that one child.
"""

import os
import sys
import time


def main() -> int:
    """Spawn the command, wait for it, write {seconds, peak_rss_kb, returncode}."""
    result_path, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        sys.stderr.write("usage: _measure.py RESULT.json -- COMMAND [ARG ...]\n")
        return 2
    started = time.perf_counter()
    try:
        pid = os.posix_spawnp(command[0], command, os.environ)
    except OSError as error:
        sys.stderr.write(f"cannot start {command[0]}: {error}\n")
        return 127
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started

    import json  # only now: imports before the spawn would raise the floor

    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(
            {
                "seconds": seconds,
                "peak_rss_kb": usage.ru_maxrss,  # kilobytes on Linux
                "returncode": os.waitstatus_to_exitcode(status),
            },
            f,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
