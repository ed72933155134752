"""Export benchmark: `export_data posts` against `dumpdata blog.post --natural-foreign`.

    DATABASE_URL=... python bench/export.py [--runs 3] [--rows N]

Run against a database that already holds the reference posts (load them with
`load_data` first: authors.csv, categories.csv, posts.csv from make_posts.py --tags).
Each command runs as a whole process (start-up included), writing to a temporary
file; the figure is the median of the runs. Prints a Markdown table for
bench/RESULTS.md. Not part of `bench/run.py` (which measures imports into an empty
table), because an export needs the rows loaded first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(argv: list[str], runs: int) -> float:
    """Return the median seconds of `runs` runs of manage.py `argv`."""
    seconds = []
    env = {**os.environ, "DJANGO_DEBUG": "0"}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, help="posts in the database (counted)")
    args = parser.parse_args()
    if args.rows is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from mysite.blog.models import Post

        args.rows = Post.objects.count()
    out = Path(tempfile.mkdtemp(prefix="export-bench-"))
    methods = {
        "export_data posts (csv)": ["export_data", "posts", "-o", str(out / "p.csv")],
        "export_data posts (json)": ["export_data", "posts", "-o", str(out / "p.json")],
        "dumpdata blog.post --natural-foreign": [
            "dumpdata", "blog.post", "--natural-foreign", "-o", str(out / "d.json"),
        ],
    }  # fmt: skip
    figures = {name: timed(argv, args.runs) for name, argv in methods.items()}
    dumpdata = args.rows / figures["dumpdata blog.post --natural-foreign"]
    print("| method | rows | median s | rows/s | x dumpdata |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds in figures.items():
        rate = args.rows / seconds
        print(
            f"| {name} | {args.rows:,} | {seconds:.2f} | {rate:,.0f} "
            f"| {rate / dumpdata:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
