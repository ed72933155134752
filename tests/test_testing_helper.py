"""importers.testing: importing inside tests, failing with the rows that are wrong."""

from __future__ import annotations

import pytest

from importers.pipeline import Records
from importers.testing import import_file, import_files
from mysite.blog.importers import AuthorImporter
from mysite.blog.management.commands.seed_posts import SAMPLE_FILES
from mysite.blog.models import Author, Post

pytestmark = pytest.mark.django_db

AUTHORS, CATEGORIES, TAGS, POSTS = SAMPLE_FILES


def test_import_file_picks_the_importer_by_file_name():
    report = import_file(AUTHORS)
    assert report.ok and report.total("create") == 24
    assert report.files[0].importer == "authors"
    assert Author.objects.count() == 24


def test_records_import_like_a_file_with_an_importer_class_or_name():
    rows = [{"username": "ada", "name": "Ada"}, {"username": "bob", "name": "Bob"}]
    import_file(Records("people", rows), AuthorImporter)
    report = import_file(Records("people", rows), "authors")
    assert report.total("unchanged") == 2
    assert sorted(Author.objects.values_list("username", flat=True)) == ["ada", "bob"]


def test_records_named_after_an_importer_need_no_importer():
    report = import_file(Records("authors", [{"username": "cy", "name": "Cy"}]))
    assert report.total("create") == 1


def test_several_files_run_in_order_in_one_run():
    report = import_files(*SAMPLE_FILES)
    assert [f.importer for f in report.files] == [
        "authors",
        "categories",
        "tags",
        "posts",
    ]
    assert Post.objects.count() == 300


def test_rejected_row_fails_listing_the_rows_and_why():
    rows = [
        {"username": "ok", "name": "Fine", "email": ""},
        {"username": "bad", "name": "Bad", "email": "not-an-email"},
    ]
    with pytest.raises(AssertionError) as failure:
        import_file(Records("authors", rows), on_error="skip")
    message = str(failure.value)
    assert "1 row rejected:" in message
    assert "authors:2: column 'email', value 'not-an-email'" in message
    assert "valid email" in message
    assert Author.objects.filter(username="ok").exists()  # skip mode kept it
    assert "expect_errors=True" in message


def test_aborted_run_fails_naming_the_reason():
    rows = [{"slug": "p", "title": "P", "author": "nobody", "body": "."}]
    with pytest.raises(AssertionError, match=r"aborted: .*nobody"):
        import_file(Records("posts", rows))
    assert not Post.objects.exists()


def test_expect_errors_returns_the_report():
    rows = [{"username": "bad", "name": "Bad", "email": "nope"}]
    report = import_file(Records("authors", rows), expect_errors=True)
    assert not report.ok
    assert report.files[0].errors[0].column == "email"


def test_options_are_import_options():
    report = import_file(AUTHORS, dry_run=True, preview=1)
    assert report.dry_run and report.files[0].previews["create"]
    assert not Author.objects.exists()
    with pytest.raises(TypeError):
        import_file(AUTHORS, no_such_option=True)


def test_unknown_importer_names_the_registered_ones():
    with pytest.raises(LookupError, match="registered: authors, categories"):
        import_file(Records("people", [{"username": "x"}]))


def test_seed_fixture_imports_into_the_test_database(seed):
    report = seed(AUTHORS, CATEGORIES)
    assert report.total("create") == 32


def test_blog_fixture_holds_the_sample_blog(blog):
    assert blog.ok and Post.objects.count() == 300
    assert Post.objects.filter(tags__name="pytest").exists()
