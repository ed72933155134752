"""Method `import_export`: django-import-export 4.4, configured for its fastest path.

A `ModelResource` for Post with foreign keys by natural key (`ForeignKeyWidget`),
`import_id_fields=["slug"]`, `use_bulk=True`, `batch_size=1000` and `skip_diff=True`,
importing a tablib Dataset read from the CSV file. The module is not named
`import_export` so that it cannot shadow the library.
"""

import os
import sys

import django

# The files' timestamps are ISO 8601 with an offset, which none of Django's
# DATETIME_INPUT_FORMATS (the widget's default) parse.
ISO_DATETIME = "%Y-%m-%dT%H:%M:%S%z"


def main(argv: list[str]) -> int:
    """Import the CSV file named in `argv` with `Resource.import_data`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    import tablib
    from import_export import fields, resources, widgets

    from mysite.blog.models import Author, Category, Post

    class PostResource(resources.ModelResource):
        author = fields.Field(
            attribute="author",
            column_name="author",
            widget=widgets.ForeignKeyWidget(Author, "username"),
        )
        category = fields.Field(
            attribute="category",
            column_name="category",
            widget=widgets.ForeignKeyWidget(Category, "slug"),
        )
        published_at = fields.Field(
            attribute="published_at",
            column_name="published_at",
            widget=widgets.DateTimeWidget(format=ISO_DATETIME),
        )

        class Meta:
            model = Post
            fields = (
                "slug",
                "title",
                "author",
                "category",
                "status",
                "published_at",
                "views",
                "rating",
                "body",
            )
            import_id_fields = ["slug"]
            use_bulk = True
            batch_size = 1000
            skip_diff = True

    with open(argv[0], newline="", encoding="utf-8") as f:
        dataset = tablib.Dataset().load(f.read(), format="csv")
    result = PostResource().import_data(dataset, dry_run=False, raise_errors=True)
    if result.has_errors() or result.has_validation_errors():
        sys.stderr.write(f"import-export reported errors: {result.totals}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
