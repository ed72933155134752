"""Frames and Parquet beside CSV: the readers alone, then whole imports, and read_frame.

    python bench/make_posts.py DIR --rows 50000 --tags
    DATABASE_URL=sqlite:///DIR/db.sqlite3 PYTHONPATH=. python bench/frames.py DIR

Loads DIR's authors and categories, writes DIR/posts.parquet from posts.csv (typed
columns), then times each way into an empty posts table, twice, interleaved.
"""

import os
import resource
import sys
import time
from decimal import Decimal
from io import StringIO

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
import django

django.setup()
from django.core.management import call_command  # noqa: E402

DATA = sys.argv[1]
call_command("migrate", verbosity=0)
call_command(
    "load_data", f"{DATA}/authors.csv", f"{DATA}/categories.csv", stdout=StringIO()
)
started = time.perf_counter()
import pandas as pd  # noqa: E402
import pyarrow.parquet  # noqa: E402, F401

print(f"import pandas + pyarrow: {time.perf_counter() - started:.2f}s")
from importers import read_frame, run_import  # noqa: E402
from importers.frames import FrameReader  # noqa: E402
from importers.readers import reader_for  # noqa: E402
from importers.sources import open_source  # noqa: E402
from mysite.blog.importers import PostImporter  # noqa: E402
from mysite.blog.models import Post  # noqa: E402

frame = pd.read_csv(f"{DATA}/posts.csv", keep_default_na=False, dtype=str)
frame["published_at"] = pd.to_datetime(
    frame["published_at"].replace("", None), format="ISO8601", utc=True
)
frame["views"] = frame["views"].astype("int64")
frame["rating"] = [Decimal(v) if v else None for v in frame["rating"]]
frame["category"] = frame["category"].replace("", None).astype("category")
frame["tags"] = [v.split(";") if v else [] for v in frame["tags"]]
frame.to_parquet(f"{DATA}/posts.parquet")
rows = len(frame)


def show(label, seconds):
    print(f"{label}: {seconds:.2f}s ({rows / seconds:,.0f} rows/s)")


def read_file(name):
    with open_source(f"{DATA}/{name}") as source:
        return sum(1 for _ in reader_for(source)(source))


for _ in range(2):
    for label, read in [
        ("reader posts.csv", lambda: read_file("posts.csv")),
        ("reader posts.parquet", lambda: read_file("posts.parquet")),
        ("FrameReader", lambda: sum(1 for _ in FrameReader(frame))),
    ]:
        started = time.perf_counter()
        read()
        show(label, time.perf_counter() - started)
for _ in range(2):
    for label, load in [
        (
            "load_data posts.csv",
            lambda: call_command("load_data", f"{DATA}/posts.csv", stdout=StringIO()),
        ),
        (
            "load_data posts.parquet",
            lambda: call_command(
                "load_data", f"{DATA}/posts.parquet", stdout=StringIO()
            ),
        ),
        ("run_import(frame)", lambda: run_import([(PostImporter, frame)])),
    ]:
        Post.objects.all().delete()
        started = time.perf_counter()
        load()
        show(label, time.perf_counter() - started)
started = time.perf_counter()
out = read_frame(Post)
show(f"read_frame(Post), {len(out)} rows", time.perf_counter() - started)
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
