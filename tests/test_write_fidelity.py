"""Regression tests of issue 9's write path: what is stored is what save() stores.

One test (or a few) per item: to_field relations (6), primary keys in the file (7),
pre_save (8), save() overrides and signals (9), db_default (10), counts and links
when another run inserts the same keys (13), composite keys (17). The zoo
differential test (test_zoo_differential.py) compares whole tables with the
oracle; these pin the update paths, options and counts it does not reach.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from importers.importer import Importer
from importers.mapping import is_required
from importers.options import ImportOptions
from importers.pipeline import run_import
from importers.planning import Planner
from mysite.blog.models import Author, Post, Tag
from tests.zoo import models as zoo

from .conftest import run

pytestmark = pytest.mark.django_db


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def report_of(result) -> dict:
    assert result.error is None, result
    return json.loads(result.stdout)


# -- 6. ForeignKey to_field ----------------------------------------------------------
@pytest.fixture
def targets():
    # pks 1, 2, 3 never equal an iso_num: a pk written for it links no row.
    for iso in (3, 250, 276):
        zoo.Country.objects.create(iso_num=iso, name=str(iso))
    for name in ("red", "blue", "green"):
        zoo.Label.objects.create(name=name)


@pytest.mark.parametrize("native", [True, False], ids=["sql", "orm"])
def test_to_field_relations_store_and_update_the_target_value(
    tmp_path, targets, native
):
    importer = Importer.for_model(zoo.Product)
    first = write(tmp_path / "a.csv", "sku,country,label,tags\np1,250,red,blue;green\n")
    options = ImportOptions(native=native)
    assert run_import([(importer, first)], options).ok
    product = zoo.Product.objects.get()
    assert (product.country_id, product.label_id) == (250, "red")
    assert sorted(zoo.ProductTag.objects.values_list("product_id", "label_id")) == [
        ("p1", "blue"),
        ("p1", "green"),
    ]
    second = write(tmp_path / "b.csv", "sku,country,label,tags\np1,3,blue,red\n")
    report = run_import([(importer, second)], options)
    assert report.ok and report.total("update") == 1
    product.refresh_from_db()
    assert (product.country.name, product.label_id) == ("3", "blue")
    assert list(zoo.ProductTag.objects.values_list("product_id", "label_id")) == [
        ("p1", "red")
    ]
    again = run_import([(importer, second)], options)
    assert again.ok and again.total("unchanged") == 1


# -- 7. primary keys in the file ----------------------------------------------------
def test_a_text_primary_key_is_filled_and_is_the_key(tmp_path):
    path = write(tmp_path / "c.csv", "code,name\nEUR,Euro\nUSD,Dollar\n")
    assert run("load_data", path, "--model", "zoo.Currency").error is None
    path = write(tmp_path / "c.csv", "code,name\nEUR,Euro (new)\nGBP,Pound\n")
    report = report_of(
        run("load_data", path, "--model", "zoo.Currency", "--report", "json")
    )
    assert (report["totals"]["created"], report["totals"]["updated"]) == (1, 1)
    assert dict(zoo.Currency.objects.values_list("code", "name")) == {
        "EUR": "Euro (new)",
        "USD": "Dollar",
        "GBP": "Pound",
    }


def test_an_explicit_integer_primary_key_is_stored_as_given(tmp_path):
    path = write(tmp_path / "c.jsonl", '{"fips": 6037, "name": "LA"}\n')
    assert run("load_data", path, "--model", "zoo.County").error is None
    assert list(zoo.County.objects.values_list("fips", "name")) == [(6037, "LA")]


def test_an_auto_increment_id_needs_explicit_pk(tmp_path):
    path = write(tmp_path / "authors.csv", "id,username,name\n41,ada,Ada\n")
    result = run("load_data", path)
    assert result.returncode == 1 and "column 'id' matches no field" in result.error
    assert not Author.objects.exists()


def test_explicit_pk_stores_the_ids_and_resets_the_sequence(tmp_path):
    path = write(tmp_path / "authors.csv", "id,username,name\n41,ada,Ada\n40,bob,B\n")
    result = run("load_data", path, "--explicit-pk")
    assert result.error is None, result
    assert sorted(Author.objects.values_list("id", "username")) == [
        (40, "bob"),
        (41, "ada"),
    ]
    # As after loaddata: the next id is past the explicit ones (PostgreSQL resets
    # the sequence; without it this create would collide with id 40 or 41).
    assert Author.objects.create(username="cy", name="Cy").id > 41
    path = write(tmp_path / "authors.csv", "id,username,name\n41,ada,Ada L.\n")
    assert run("load_data", path, "--explicit-pk").error is None
    assert Author.objects.get(id=41).name == "Ada L."


def test_explicit_pk_through_an_importer_attribute(tmp_path):
    importer = Importer.for_model(Author, explicit_pk=True)
    path = write(tmp_path / "a.csv", "id,username,name\n7,ada,Ada\n")
    assert run_import([(importer, path)]).ok
    assert Author.objects.get().id == 7


def test_a_stored_rows_primary_key_is_never_changed(tmp_path):
    Author.objects.create(id=5, username="ada", name="Ada")
    path = write(tmp_path / "authors.csv", "id,username,name\n9,ada,Ada\n")
    result = run("load_data", path, "--explicit-pk", "--key", "username")
    assert result.returncode == 1
    assert "a primary key is never changed" in result.stderr
    assert list(Author.objects.values_list("id", flat=True)) == [5]


# -- 8. pre_save ---------------------------------------------------------------------
@pytest.mark.parametrize("native", [True, False], ids=["sql", "orm"])
@pytest.mark.parametrize("mode", ["upsert", "update"])
def test_auto_now_is_stamped_again_on_update(tmp_path, native, mode):
    importer = Importer.for_model(zoo.Stamped)
    path = write(tmp_path / "s.csv", "slug,title\na,A\n")
    assert run_import([(importer, path)]).ok
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    zoo.Stamped.objects.update(created=long_ago, modified=long_ago)
    path = write(tmp_path / "s.csv", "slug,title\na,A2\n")
    report = run_import([(importer, path)], ImportOptions(mode=mode, native=native))
    assert report.ok and report.total("update") == 1
    row = zoo.Stamped.objects.get()
    assert row.title == "A2"
    assert row.created.year == 2000  # auto_now_add: only on insert
    assert row.modified.year > 2000  # auto_now: on every save()


@pytest.mark.parametrize("native", [True, False], ids=["sql", "orm"])
def test_a_custom_pre_save_is_applied_on_insert_and_update(tmp_path, native):
    importer = Importer.for_model(zoo.Shouty)
    options = ImportOptions(native=native)
    path = write(tmp_path / "s.csv", "key,shout\nk1,hello\n")
    assert run_import([(importer, path)], options).ok
    assert zoo.Shouty.objects.get().shout == "HELLO"
    path = write(tmp_path / "s.csv", "key,shout\nk1,bye\n")
    assert run_import([(importer, path)], options).total("update") == 1
    assert zoo.Shouty.objects.get().shout == "BYE"
    # What pre_save would store is what is compared: nothing to update.
    assert run_import([(importer, path)], options).total("unchanged") == 1


@pytest.mark.parametrize(
    ("model", "header", "mode"),
    [
        ("zoo.Stamped", "slug", "update"),
        ("zoo.Shouty", "key", "update"),
        ("zoo.Restaurant", "name", "upsert"),
        ("zoo.DbDefaulted", "key", "upsert"),
    ],
)
def test_a_file_with_only_the_key_column(tmp_path, model, header, mode):
    zoo.Stamped.objects.create(slug="k1", title="T")
    zoo.Shouty.objects.create(key="k1", shout="x")
    path = write(tmp_path / "k.csv", f"{header}\nk1\n")
    result = run("load_data", path, "--model", model, "--mode", mode)
    assert result.error is None, result
    assert "Traceback" not in result.stderr


# -- 9. save() overrides and signals -------------------------------------------------
def test_a_save_override_runs_on_insert_and_update(tmp_path):
    path = write(tmp_path / "t.csv", "key,title\nk1,four\n")
    result = run("load_data", path, "--model", "zoo.SavedTitle")
    assert result.error is None, result
    assert "save() per row: zoo.SavedTitle.save() must run" in result.stdout
    path = write(tmp_path / "t.csv", "key,title\nk1,twelve chars\n")
    assert run("load_data", path, "--model", "zoo.SavedTitle").error is None
    assert zoo.SavedTitle.objects.get().title_length == 12


def test_post_save_receivers_run_with_created_true_then_false(tmp_path):
    path = write(tmp_path / "s.csv", "key,value\nk1,1\nk2,2\n")
    result = run("load_data", path, "--model", "zoo.Signalled")
    assert result.error is None and "post_save receivers must run" in result.stdout
    path = write(tmp_path / "s.csv", "key,value\nk1,1\nk2,3\n")
    assert run("load_data", path, "--model", "zoo.Signalled").error is None
    assert list(zoo.SignalLog.objects.order_by("id").values_list("key", "created")) == [
        ("k1", True),
        ("k2", True),
        ("k2", False),  # k1 was unchanged: not saved
    ]


def test_bulk_skips_save_and_signals_and_says_so(tmp_path):
    path = write(tmp_path / "s.csv", "key,value\nk1,1\n")
    result = run("load_data", path, "--model", "zoo.Signalled", "--bulk")
    assert result.error is None, result
    assert "post_save receivers not run (bulk writes were asked for)" in result.stdout
    assert zoo.Signalled.objects.count() == 1 and not zoo.SignalLog.objects.exists()


def test_bulk_through_an_importer_attribute(tmp_path):
    importer = Importer.for_model(zoo.SavedTitle, bulk=True)
    path = write(tmp_path / "t.csv", "key,title\nk1,four\n")
    report = run_import([(importer, path)])
    assert report.ok
    assert report.files[0].write_path == "sql"
    assert "zoo.SavedTitle.save() not run" in report.files[0].write_skipped
    assert zoo.SavedTitle.objects.get().title_length == 0


# -- 10. db_default -------------------------------------------------------------------
def test_db_default_columns_are_not_required():
    for name in ("status", "stamped"):
        field = zoo.DbDefaulted._meta.get_field(name)
        assert not is_required(field, Importer.for_model(zoo.DbDefaulted))


@pytest.mark.parametrize("native", [True, False], ids=["sql", "orm"])
def test_an_absent_db_default_column_gets_the_databases_default(tmp_path, native):
    importer = Importer.for_model(zoo.DbDefaulted)
    path = write(tmp_path / "d.csv", "key\nk1\n")
    assert run_import([(importer, path)], ImportOptions(native=native)).ok
    path = write(tmp_path / "d.csv", "key,status\nk2,old\n")
    assert run_import([(importer, path)], ImportOptions(native=native)).ok
    rows = {r.key: r for r in zoo.DbDefaulted.objects.all()}
    assert (rows["k1"].status, rows["k2"].status) == ("new", "old")
    assert rows["k1"].stamped is not None and rows["k1"].score == 7


# -- 13. counts and links when another run inserts the same keys ---------------------
@pytest.fixture
def inserted_meanwhile(monkeypatch):
    """Another run inserts post p1 (tagged "theirs") between planning and writing."""
    ada = Author.objects.create(username="ada", name="Ada")
    plan = Planner.plan

    def racing_plan(self, records):
        result = plan(self, records)
        if self.model is Post and not Post.objects.filter(slug="p1").exists():
            theirs = Post.objects.create(
                slug="p1", title="Theirs", author=ada, body="x"
            )
            theirs.tags.set([Tag.objects.get_or_create(name="theirs")[0]])
        return result

    monkeypatch.setattr(Planner, "plan", racing_plan)


POSTS = "slug,title,author,body,tags\np1,Mine,ada,mine,mine\np2,Two,ada,two,mine\n"


@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "no-atomic"])
def test_skip_counts_and_links_only_the_rows_it_inserted(
    tmp_path, inserted_meanwhile, atomic
):
    path = write(tmp_path / "posts.csv", POSTS)
    extra = [] if atomic else ["--no-atomic"]
    report = report_of(
        run("load_data", path, "--mode", "skip", "--report", "json", *extra)
    )
    totals = report["totals"]
    assert (totals["created"], totals["skipped"]) == (1, 1), totals
    p1 = Post.objects.get(slug="p1")
    assert p1.title == "Theirs"
    assert [t.name for t in p1.tags.all()] == ["theirs"]
    assert [t.name for t in Post.objects.get(slug="p2").tags.all()] == ["mine"]


def test_the_upsert_fallback_counts_the_other_runs_row_as_updated(
    tmp_path, inserted_meanwhile
):
    path = write(tmp_path / "posts.csv", POSTS)
    report = report_of(run("load_data", path, "--report", "json"))
    totals = report["totals"]
    assert (totals["created"], totals["updated"]) == (1, 1), totals
    p1 = Post.objects.get(slug="p1")
    assert (p1.title, [t.name for t in p1.tags.all()]) == ("Mine", ["mine"])


# -- 17. composite keys -------------------------------------------------------------
def readings(path: Path, count: int, value: int) -> str:
    lines = ["station,day,hour,value"]
    for n in range(count):
        day = date(2024, 1, 1) + timedelta(days=n // 24 % 300)
        lines.append(f"s{n // 7200},{day},{n % 24},{value}.{n % 100:02d}")
    return write(path, "\n".join(lines) + "\n")


def test_a_composite_key_at_the_default_batch_size(tmp_path):
    path = readings(tmp_path / "r.csv", 2500, 1)
    report = report_of(
        run("load_data", path, "--model", "zoo.Reading", "--report", "json")
    )
    assert report["totals"]["created"] == 2500
    dry = run("load_data", path, "--model", "zoo.Reading", "--dry-run")
    assert dry.error is None and "2500 unchanged" in dry.stdout, dry
    changed = readings(tmp_path / "r2.csv", 2500, 2)
    report = report_of(
        run("load_data", changed, "--model", "zoo.Reading", "--report", "json")
    )
    assert report["totals"]["updated"] == 2500
    assert zoo.Reading.objects.filter(value__gte=2).count() == 2500
    assert zoo.Reading.objects.count() == 2500


def test_a_composite_key_probe_finds_exactly_the_stored_keys(tmp_path):
    zoo.Reading.objects.create(station="a", day=date(2024, 1, 2), hour=3, value=1)
    zoo.Reading.objects.create(station="a", day=date(2024, 1, 3), hour=2, value=1)
    path = write(
        tmp_path / "r.csv",
        "station,day,hour,value\n"
        "a,2024-01-02,3,1\n"  # stored, unchanged
        "a,2024-01-02,2,1\n"  # crosses the two stored keys: new
        "a,2024-01-03,2,5\n",  # stored, changed
    )
    report = report_of(
        run("load_data", path, "--model", "zoo.Reading", "--report", "json")
    )
    totals = report["totals"]
    assert (totals["unchanged"], totals["created"], totals["updated"]) == (1, 1, 1)


def test_the_write_path_is_in_the_report(tmp_path):
    path = write(tmp_path / "authors.csv", "username,name\nada,Ada\n")
    report = report_of(run("load_data", path, "--report", "json"))
    assert report["files"][0]["write_path"] == "sql"
    assert connection.vendor in ("sqlite", "postgresql")


def test_the_save_path_pins_a_row_deleted_meanwhile_on_its_line(tmp_path, monkeypatch):
    zoo.SavedTitle.objects.create(key="k1", title="old")
    plan = Planner.plan

    def deleting_plan(self, records):
        result = plan(self, records)
        zoo.SavedTitle.objects.all().delete()
        return result

    monkeypatch.setattr(Planner, "plan", deleting_plan)
    path = write(tmp_path / "t.csv", "key,title\nk1,new\nk2,two\n")
    result = run("load_data", path, "--model", "zoo.SavedTitle", "--on-error", "skip")
    assert result.error == "1 row rejected", result
    assert "t.csv:2" in result.stderr and "deleted meanwhile" in result.stderr
    assert list(zoo.SavedTitle.objects.values_list("key", flat=True)) == ["k2"]
