"""Django settings for benchmark processes: the demo project's, on the bench database.

Every Django process the harness starts (methods, `manage.py load_data`, `migrate`)
runs with `DJANGO_SETTINGS_MODULE=bench.settings` and `BENCH_DATABASE_URL` naming the
bench's own database, so a benchmark never touches db.sqlite3 or `DATABASE_URL`.
"""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mysite.settings import *  # noqa: F403

if not os.environ.get("BENCH_DATABASE_URL"):
    raise ImproperlyConfigured(
        "BENCH_DATABASE_URL is not set: run the benchmark through bench/run.py"
    )

DATABASES = {
    "default": dj_database_url.parse(os.environ["BENCH_DATABASE_URL"], conn_max_age=0)
}

# As in production: with DEBUG on, Django keeps every query in memory.
DEBUG = False
