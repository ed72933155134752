"""Method `django_loop`: the Django loop a developer would write by hand.

`csv.DictReader` -> `Post(...)` with `author_id`/`category_id` from dicts built once,
`bulk_create` in batches of 1,000 inside one `transaction.atomic()`, no validation.
Batches are handed over as they fill, so memory stays flat as a careful author's would.
"""

import csv
import os
import sys

import django

BATCH_SIZE = 1000


def main(argv: list[str]) -> int:
    """Load the CSV file named in `argv` through the ORM."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.db import transaction

    from mysite.blog.models import Author, Category, Post

    authors = dict(Author.objects.values_list("username", "pk"))
    categories = dict(Category.objects.values_list("slug", "pk"))
    with open(argv[0], newline="", encoding="utf-8") as f, transaction.atomic():
        batch: list[Post] = []
        for row in csv.DictReader(f):
            batch.append(
                Post(
                    slug=row["slug"],
                    title=row["title"],
                    author_id=authors[row["author"]],
                    category_id=categories[row["category"]]
                    if row["category"]
                    else None,
                    status=row["status"],
                    published_at=row["published_at"] or None,
                    views=int(row["views"]),
                    rating=row["rating"] or None,
                    body=row["body"],
                )
            )
            if len(batch) == BATCH_SIZE:
                Post.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                batch = []
        Post.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
