"""How long the admin's import requests take, to set IMPORTERS_ADMIN_MAX_RUN_SIZE.

    python bench/admin_request.py [--rows 5000,20000] [--database-url URL]

For each size: the reference posts file (make_posts.py, with tags) is uploaded
through the admin with Django's test client (the preview request: upload, dry
run), confirmed (the import request: the real run), then uploaded again with every
title changed and confirmed (an update of every row). Prints seconds and MB/s per
request; the default limit is the size whose slowest request takes about 10 s.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKE_POSTS = ROOT / "bench" / "make_posts.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="5000,20000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--make-posts", default=str(MAKE_POSTS))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{work}/db.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from importers.testing import import_files
    from mysite.blog.models import Post

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.IMPORTERS_ADMIN_MAX_RUN_SIZE = 1 << 40
    settings.IMPORTERS_ADMIN_UPLOAD_DIR = str(work / "uploads")
    call_command("migrate", verbosity=0)
    Post.objects.all().delete()
    user = User.objects.filter(
        username="bench"
    ).first() or User.objects.create_superuser("bench", password="x")
    client = Client()
    client.force_login(user)
    print(f"database: {settings.DATABASES['default']['ENGINE']}")
    print(f"{'rows':>7} {'MB':>6} {'request':<18} {'seconds':>8} {'MB/s':>6}")
    for rows in [int(n) for n in args.rows.split(",")]:
        data = work / f"rows-{rows}"
        subprocess.run(
            [sys.executable, args.make_posts, str(data), "--rows", str(rows), "--tags"],
            check=True,
        )
        import_files(data / "authors.csv", data / "categories.csv")
        posts = data / "posts.csv"
        changed = data / "changed" / "posts.csv"
        changed.parent.mkdir()
        changed.write_text(
            re.sub(r"^(post-\d+),", r"\1,Changed ", posts.read_text(), flags=re.M)
        )
        for label, path in [("create", posts), ("update", changed)]:
            size = path.stat().st_size / 1e6
            started = time.perf_counter()
            with path.open("rb") as file:
                response = client.post(
                    "/admin/blog/post/import/", {"file": file, "on_error": "abort"}
                )
            preview = time.perf_counter() - started
            assert response.status_code == 302, response.content[:500]
            page = client.get(response.url).content.decode()
            sha256 = re.search(r'name="sha256" value="(\w+)"', page).group(1)
            started = time.perf_counter()
            response = client.post(response.url + "confirm/", {"sha256": sha256})
            run = time.perf_counter() - started
            assert b"was imported" in response.content, response.content[:2000]
            for request, seconds in [("preview", preview), ("import", run)]:
                name = f"{request} ({label})"
                print(
                    f"{rows:>7} {size:>6.1f} {name:<18} {seconds:>8.2f} "
                    f"{size / seconds:>6.2f}"
                )
        Post.objects.all().delete()


if __name__ == "__main__":
    main()
