"""The ORM is the oracle: `load_data` leaves the tables exactly as `save()` per row.

For each zoo model (tests/zoo) and the blog's Post: a file of valid rows (CSV and
JSON Lines) is imported with `load_data`; the tables are read; the imported rows
are deleted; the same rows are saved by the oracle, `Model(**values).save()` (and
`.set()` for many-to-many) per row, in the same order; the tables are read again
and must be equal: every column of the model's table(s), its many-to-many links,
and the rows its post_save receiver writes. Auto-increment ids are compared
relative to the first row of their table (the oracle runs after the import, so
they cannot be equal), and times stamped by `auto_now` / `db_default=Now()` by
checking that they fall inside the run.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.db import models
from django.utils import timezone
from django.utils.duration import duration_iso_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers.importer import default_key
from importers.registry import importer_for_model
from mysite.blog.models import Author, Category, Post, Tag
from tests.zoo import models as zoo
from tests.zoo.importers import zoo_name

from .conftest import run

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    """A model, its valid rows (natural keys for relations), what to compare."""

    model: type[models.Model]
    rows: list[dict[str, Any]]
    #: tables to compare besides the model's own (and its parents' and links')
    also: list[type[models.Model]] = field(default_factory=list)
    #: fields stamped with the time of the write: checked to be inside the run
    stamped: tuple[str, ...] = ()
    #: the write path `load_data` must take
    path: str = "sql"
    formats: tuple[str, ...] = ("csv", "jsonl")


def related_rows() -> None:
    """Rows other models point at, made once before the import and the oracle."""
    # Countries' pks (1, 2, 3) differ from their iso_num: a pk written instead of
    # the to_field value would point at no row, or at another one.
    for iso, name in ((3, "Three"), (250, "France"), (276, "Germany")):
        zoo.Country.objects.create(iso_num=iso, name=name)
    for name in ("red", "blue", "green"):
        zoo.Label.objects.create(name=name)
    Author.objects.create(username="ada", name="Ada")
    Author.objects.create(username="bob", name="Bob")
    Category.objects.create(slug="news", name="News")
    for name in ("python", "django"):
        Tag.objects.create(name=name)


CASES = {
    "currency": Case(
        zoo.Currency,
        [{"code": "EUR", "name": "Euro"}, {"code": "USD", "name": "Dollar"}],
    ),
    "county": Case(
        zoo.County,
        [{"fips": 6037, "name": "Los Angeles"}, {"fips": 17031, "name": "Cook"}],
    ),
    "product": Case(
        zoo.Product,
        [
            {"sku": "p1", "country": 250, "label": "red", "tags": ["blue", "green"]},
            {"sku": "p2", "country": 3, "label": "blue", "tags": ["red"]},
            {"sku": "p3", "country": None, "label": None, "tags": []},
        ],
    ),
    "stamped": Case(
        zoo.Stamped,
        [{"slug": "a", "title": "A"}, {"slug": "b", "title": "B"}],
        stamped=("created", "modified"),
    ),
    "shouty": Case(
        zoo.Shouty, [{"key": "k1", "shout": "hello"}, {"key": "k2", "shout": "Hi"}]
    ),
    "savedtitle": Case(
        zoo.SavedTitle,
        [{"key": "k1", "title": "four"}, {"key": "k2", "title": "eleven char"}],
        path="save",
    ),
    "signalled": Case(
        zoo.Signalled,
        [{"key": "k1", "value": 1}, {"key": "k2", "value": 2}],
        also=[zoo.SignalLog],
        path="save",
    ),
    "dbdefaulted": Case(
        zoo.DbDefaulted,
        [{"key": "k1", "score": 1}, {"key": "k2", "score": 2}],
        stamped=("stamped",),
    ),
    "checked": Case(
        zoo.Checked,
        [{"key": "k1", "low": 1, "high": 2}, {"key": "k2", "low": 5, "high": 5}],
    ),
    "member": Case(
        zoo.Member,
        [
            {"key": "k1", "email": "a@example.com", "active": True},
            {"key": "k2", "email": "a@example.com", "active": False},
        ],
    ),
    "period": Case(
        zoo.Period,
        [{"key": "k1", "start": date(2024, 1, 1), "end": date(2024, 2, 1)}],
    ),
    "external": Case(
        zoo.External,
        [{"ext": 10, "name": "ten"}, {"ext": 2**40, "name": "big"}],
    ),
    "reading": Case(
        zoo.Reading,
        [
            {
                "station": f"s{n % 3}",
                "day": date(2024, 1, 1) + timedelta(days=n // 24),
                "hour": n % 24,
                "value": Decimal(n) / 4,
            }
            for n in range(60)
        ],
    ),
    "doc": Case(
        zoo.Doc,
        [{"key": "k1", "data": {"a": [1, 2], "b": None}}, {"key": "k2", "data": 5}],
        formats=("jsonl",),
    ),
    "doc-csv": Case(zoo.Doc, [{"key": "k1"}, {"key": "k2"}], formats=("csv",)),
    "louddoc": Case(
        zoo.LoudDoc, [{"key": "l1", "data": ["x"]}, {"key": "l2", "data": "y"}]
    ),
    "place": Case(
        zoo.Place, [{"name": "Home", "city": "Paris"}, {"name": "Away", "city": ""}]
    ),
    "restaurant": Case(
        zoo.Restaurant,
        [
            {"name": "Chez A", "city": "Lyon", "seats": 20},
            {"name": "Chez B", "city": "", "seats": 0},
        ],
        path="save",
    ),
    "post": Case(
        Post,
        [
            {
                "slug": "one",
                "title": "One",
                "author": "ada",
                "category": "news",
                "status": "published",
                "views": 3,
                "rating": Decimal("4.50"),
                "body": "b1",
                "tags": ["python", "django"],
            },
            {
                "slug": "two",
                "title": "Two",
                "author": "bob",
                "category": None,
                "status": "draft",
                "views": 0,
                "rating": None,
                "body": "b2",
                "tags": [],
            },
        ],
    ),
}
CASES.update(
    {
        "typed": Case(
            zoo.Typed,
            [
                {
                    "key": "t1",
                    "label": "one",
                    "flag": True,
                    "count": -3,
                    "amount": Decimal("12.50"),
                    "ratio": 0.25,
                    "day": date(2024, 2, 29),
                    "at": datetime(
                        2024, 3, 1, 12, 30, tzinfo=timezone.get_fixed_timezone(60)
                    ),
                    "span": timedelta(days=1, hours=2),
                    "uid": UUID("12345678-1234-5678-1234-567812345678"),
                },
                {"key": "t2", "label": "", "flag": False, "count": 0},
            ],
        ),
        # No key: each run creates (one import compared; never run twice here).
        "note": Case(zoo.Note, [{"text": "a", "count": 1}, {"text": "a", "count": 1}]),
        "fan": Case(zoo.Fan, [{"author": "ada"}, {"author": "bob"}]),
        "patron": Case(zoo.Patron, [{"author": "bob"}]),
    }
)
# LoudDoc's JSON values through CSV would be parsed or not: JSON Lines only.
CASES["louddoc"].formats = ("jsonl",)


# -- files ----
def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    return str(value)


def json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def write_file(path: Path, rows: list[dict[str, Any]], fmt: str) -> Path:
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, list(rows[0]))
            writer.writeheader()
            writer.writerows({k: cell(v) for k, v in row.items()} for row in rows)
    else:
        path.write_text(
            "".join(
                json.dumps({k: json_value(v) for k, v in row.items()}) + "\n"
                for row in rows
            )
        )
    return path


# -- the oracle ----
def oracle(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Save each row with Model(**values).save(), as Django's own code would."""
    importer = importer_for_model(model)
    opts = model._meta
    for row in rows:
        values, links = {}, {}
        for name, value in row.items():
            f = opts.get_field(name)
            if f.is_relation:
                related = f.related_model._base_manager
                attr = importer.get_lookup(f)
                if f.many_to_many:
                    links[name] = [related.get(**{attr: v}) for v in value]
                    continue
                value = None if value is None else related.get(**{attr: value})
            values[name] = value
        obj = model(**values)
        obj.save()
        for name, targets in links.items():
            getattr(obj, name).set(targets)


# -- comparing tables ----
def tables_of(case: Case) -> list[type[models.Model]]:
    concrete = case.model._meta.concrete_model
    tables = [concrete, *concrete._meta.get_parent_list()]
    tables += [f.remote_field.through for f in concrete._meta.many_to_many]
    return [*tables, *case.also]


def auto_pk(model: type[models.Model]) -> models.Field | None:
    pk = model._meta.pk
    return pk if isinstance(pk, models.AutoField | models.BigAutoField) else None


def snapshot(cases: list[Case], started: datetime, ended: datetime) -> dict:
    """Every table's rows; auto ids relative to their table's first; times checked."""
    tables = list(dict.fromkeys(t for case in cases for t in tables_of(case)))
    stamped = {
        (case.model._meta.concrete_model, name)
        for case in cases
        for name in case.stamped
    }
    unordered = {t for case in cases for t in case.also}
    unordered |= {
        f.remote_field.through for case in cases for f in case.model._meta.many_to_many
    }
    bases = {}
    for model in tables:
        pk = auto_pk(model)
        if pk is not None:
            first = model._base_manager.aggregate(m=models.Min(pk.attname))["m"]
            bases[model] = first or 0
    result = {}
    for model in tables:
        rows = []
        own = model._meta.local_concrete_fields  # parents are tables of their own
        for row in model._base_manager.values(*[f.attname for f in own]):
            for f in own:
                value = row[f.attname]
                if (model, f.name) in stamped:
                    assert value is not None and started <= value <= ended, (f, value)
                    row[f.attname] = "stamped in the run"
                elif f is auto_pk(model):
                    row[f.attname] = value - bases[model]
                elif f.is_relation and f.related_model in bases and value is not None:
                    target = f.target_field
                    if target is auto_pk(f.related_model):
                        row[f.attname] = value - bases[f.related_model]
            if model in unordered:
                # Link and log rows: their own ids follow no order we promise.
                pk = auto_pk(model)
                if pk is not None:
                    del row[pk.attname]
            rows.append(row)
        result[model._meta.label] = sorted(rows, key=repr)
    return result


def clear(cases: list[Case]) -> None:
    """Delete what the import wrote (links and log first), keep related rows."""
    tables = list(dict.fromkeys(t for case in cases for t in tables_of(case)))
    for model in reversed(tables):
        model._base_manager.all()._raw_delete(model._base_manager.db)


def window() -> datetime:
    # SQLite's CURRENT_TIMESTAMP (db_default=Now()) has whole seconds.
    now = timezone.now()
    return now.replace(microsecond=0)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(name, fmt) for name, case in CASES.items() for fmt in case.formats],
)
def test_load_data_stores_what_save_per_row_stores(tmp_path, name, fmt):
    case = CASES[name]
    related_rows()
    path = write_file(tmp_path / f"{name}.{fmt}", case.rows, fmt)
    importer = (
        ["--importer", "posts"]
        if case.model is Post
        else ["--importer", zoo_name(case.model)]
    )
    started = window()
    result = run("load_data", str(path), *importer, "--report", "json")
    ended = window() + timedelta(seconds=1)
    assert result.error is None, result
    report = json.loads(result.stdout)
    assert report["totals"]["created"] == len(case.rows), report
    assert report["files"][0]["write_path"] == case.path, report
    imported = snapshot([case], started, ended)
    clear([case])

    started = window()
    oracle(case.model, case.rows)
    ended = window() + timedelta(seconds=1)
    assert snapshot([case], started, ended) == imported
    assert sum(map(len, imported.values())) >= len(case.rows)


def test_every_zoo_model_has_a_case():
    covered = {case.model for case in CASES.values()}
    wanted = {
        m
        for m in zoo.__dict__.values()
        if isinstance(m, type)
        and issubclass(m, models.Model)
        and m is not zoo.SignalLog
    }
    wanted -= {zoo.Country, zoo.Label, zoo.ProductTag}  # related rows, links
    assert wanted <= covered, wanted - covered


def test_the_zoo_rows_are_not_trivial():
    assert math.prod(len(c.rows) for c in CASES.values()) > 1


# -- a real manage.py, twice ---------------------------------------------------------
RELATED = {
    zoo.Country: [
        {"iso_num": 3, "name": "Three"},
        {"iso_num": 250, "name": "France"},
        {"iso_num": 276, "name": "Germany"},
    ],
    zoo.Label: [{"name": "red"}, {"name": "blue"}, {"name": "green"}],
}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_manage_py_load_data_of_every_zoo_model_twice(manage, tmp_path, fmt):
    """First run: the oracle's rows; second run: every row unchanged; no traceback."""
    cases = [
        c
        for c in CASES.values()
        if c.model is not Post and fmt in c.formats and default_key(c.model)
    ]
    files = [
        write_file(tmp_path / f"{zoo_name(model)}.{fmt}", rows, fmt)
        for model, rows in RELATED.items()
    ]
    files += [
        write_file(tmp_path / f"{zoo_name(case.model)}.{fmt}", case.rows, fmt)
        for case in cases
    ]
    args = ["load_data", *map(str, files), "--no-progress", "--report", "json"]
    started = window()
    first = manage(*args)
    ended = window() + timedelta(seconds=1)
    assert first.returncode == 0 and not first.stderr, first.stderr.decode()
    report = json.loads(first.stdout)
    rows = [len(r) for r in RELATED.values()] + [len(c.rows) for c in cases]
    assert [f["created"] for f in report["files"]] == rows
    imported = snapshot(cases, started, ended)

    second = manage(*args)
    assert second.returncode == 0 and not second.stderr, second.stderr.decode()
    report = json.loads(second.stdout)
    assert [f["unchanged"] for f in report["files"]] == rows, report
    assert report["totals"]["rows"] == report["totals"]["unchanged"]
    assert snapshot(cases, started, ended) == imported

    clear(cases)
    started = window()
    for case in cases:
        oracle(case.model, case.rows)
    ended = window() + timedelta(seconds=1)
    assert snapshot(cases, started, ended) == imported


# -- generated rows ------------------------------------------------------------------
SKUS = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=20)
PRODUCTS = st.lists(
    st.fixed_dictionaries(
        {
            "sku": SKUS,
            "country": st.sampled_from([None, 3, 250, 276]),
            "label": st.sampled_from([None, "red", "blue", "green"]),
            "tags": st.lists(st.sampled_from(["red", "blue", "green"]), unique=True),
        }
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda row: row["sku"],
)


@pytest.fixture
def related():
    related_rows()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=PRODUCTS, fmt=st.sampled_from(["csv", "jsonl"]))
def test_generated_products_are_stored_as_save_stores_them(
    tmp_path, related, rows, fmt
):
    case = Case(zoo.Product, rows)
    clear([case])
    path = write_file(tmp_path / f"products.{fmt}", rows, fmt)
    started = window()
    result = run("load_data", str(path), "--importer", zoo_name(zoo.Product))
    assert result.error is None, result
    imported = snapshot([case], started, window())
    clear([case])
    oracle(zoo.Product, rows)
    assert snapshot([case], started, window()) == imported
    clear([case])
