"""`import_authors`: another system's export, read through aliases and clean_ hooks."""

from __future__ import annotations

import json

import pytest

from mysite.blog.management.commands.seed_posts import FIXTURES
from mysite.blog.models import Author

from .conftest import run

pytestmark = pytest.mark.django_db

EXPORT = str(FIXTURES / "crm-authors.csv")


def test_export_columns_map_and_values_are_normalized():
    result = run("import_authors", EXPORT)
    assert result.error is None, result.stderr
    assert "9 rows read, 9 created" in result.stdout
    zoe = Author.objects.get(username="zoe.kim")  # "Zoe.Kim" in the export
    assert (zoe.name, zoe.email) == ("Zoë Kim", "zoe.kim@example.com")
    assert Author.objects.get(username="arjun").email == ""  # "N/A"
    assert not Author.objects.filter(username__regex=r"[A-Z]").exists()


def test_the_export_meets_the_seeded_blog_by_normalized_login(seed):
    seed(str(FIXTURES / "authors.csv"))
    result = run("import_authors", EXPORT, "--report", "json")
    totals = json.loads(result.stdout)["totals"]
    assert (totals["created"], totals["unchanged"]) == (3, 6)
    assert Author.objects.count() == 24 + 3


def test_second_import_changes_nothing():
    run("import_authors", EXPORT)
    again = run("import_authors", EXPORT)
    assert "0 created, 0 updated, 9 unchanged" in again.stdout


def test_a_bad_address_names_the_export_column(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Login,Full name,E-mail address\nAda,Ada Lovelace,ada-at-example.com\n"
    )
    result = run("import_authors", str(path))
    assert result.returncode == 1
    assert "column 'E-mail address'" in result.stderr
    assert not Author.objects.exists()


def test_dry_run_previews_normalized_values():
    result = run("import_authors", EXPORT, "--dry-run", "--preview", "1")
    assert result.error is None, result.stderr
    assert "username=amara" in result.stdout and "email=amara@example.com" in (
        result.stdout
    )
    assert not Author.objects.exists()
