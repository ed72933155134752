"""The round-trip guarantee of `export_data`, for every demo model and zoo model.

export_data then load_data of that file into the same database reports every row
unchanged; into an empty database (related rows exported first, loaded first) it
recreates the same table content. Run on SQLite and PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.models import ProtectedError, RestrictedError

from importers.registry import importer_for_model
from mysite.blog.models import Author, Category, Post, Tag
from tests.zoo import models as zoo

from .conftest import run

pytestmark = pytest.mark.django_db


# -- the rows each case starts from, saved with Model.save() ---------------------


def make_blog() -> None:
    ada = Author.objects.create(username="ada", name='Ada, "the" first', email="")
    bo = Author.objects.create(username="bo", name="Björn\nLindqvist", email="b@x.io")
    django = Category.objects.create(slug="django", name="Django")
    tags = [Tag.objects.create(name=n) for n in ("orm", "csv", "x-y_z")]
    moment = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    p1 = Post.objects.create(
        slug="one",
        title="=SUM(A1:A2), a formula-looking title",
        author=ada,
        category=django,
        status="published",
        published_at=moment,
        views=2_147_483_647,
        rating=Decimal("4.50"),
        body='line one\nline two, with "quotes"; and ; semicolons\ttab',
    )
    p1.tags.set(tags)
    p2 = Post.objects.create(
        slug="two", title="two", author=bo, category=None, body="€ ünïcödé 😀"
    )
    p2.tags.set(tags[:1])
    Post.objects.create(
        slug="three",
        title="three",
        author=bo,
        rating=Decimal("0.00"),
        published_at=datetime(
            1999, 12, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5))
        ),
        body="-",
    )


def make_zoo() -> None:
    zoo.Currency.objects.create(code="EUR", name="Euro")
    zoo.County.objects.create(fips=6037, name="Los Angeles")
    france = zoo.Country.objects.create(iso_num=250, name="France")
    zoo.Country.objects.create(iso_num=276, name="Germany")
    red = zoo.Label.objects.create(name="red")
    blue = zoo.Label.objects.create(name="blue")
    a1 = zoo.Product.objects.create(sku="A1", country=france, label=red)
    zoo.Product.objects.create(sku="B2")
    zoo.ProductTag.objects.create(product=a1, label=blue)
    zoo.Stamped.objects.create(slug="a", title="A")
    zoo.Shouty.objects.create(key="k1", shout="hello")
    zoo.SavedTitle.objects.create(key="k1", title="hello")
    zoo.Signalled.objects.create(key="s1", value=3)
    zoo.DbDefaulted.objects.create(key="d1")
    zoo.Checked.objects.create(key="c1", low=1, high=5)
    zoo.Member.objects.create(key="m1", email="a@x.org", active=True)
    zoo.Member.objects.create(key="m2", email="a@x.org", active=False)
    zoo.Period.objects.create(key="p1", start=date(2024, 1, 1), end=date(2024, 12, 31))
    zoo.External.objects.create(ext=-1, name="minus one")
    zoo.External.objects.create(ext=2**40, name="big")
    day = date(2024, 3, 31)
    zoo.Reading.objects.create(station="s", day=day, hour=0, value=Decimal("-0.01"))
    zoo.Reading.objects.create(station="s", day=day, hour=23, value=Decimal("1E+3"))
    zoo.Doc.objects.create(key="d1", data={"a": [1, 2.5, "x"], "b": None})
    zoo.Doc.objects.create(key="d2", data=None)
    zoo.Doc.objects.create(key="d3", data=[True, "text"])
    zoo.Place.objects.create(name="cafe", city="Paris")
    zoo.Restaurant.objects.create(name="bistro", city="Rome", seats=20)
    zoo.Typed.objects.create(
        key="t1",
        label="one",
        flag=True,
        count=-3,
        amount=Decimal("12.50"),
        ratio=0.25,
        day=date(2024, 2, 29),
        span=timedelta(days=1, hours=2),
        uid=UUID("12345678-1234-5678-1234-567812345678"),
    )
    zoo.Typed.objects.create(key="t2")
    zoo.Note.objects.create(text="a", count=1)
    fan = Author.objects.create(username="fan", name="Fan")
    zoo.Fan.objects.create(author=fan)
    zoo.Patron.objects.create(author=fan)


# -- what a table holds, independent of primary keys ---------------------------------


def content(model: type[models.Model]) -> list[tuple]:
    """Return a table's rows as comparable tuples: related rows by natural key.

    Left out: numbered primary keys and parent links (a new table numbers anew),
    and auto_now / auto_now_add timestamps (save() sets them to the time of saving).
    """
    importer = importer_for_model(model)
    names = []
    for f in model._meta.concrete_fields:
        auto_pk = f.primary_key and (
            isinstance(f, models.AutoField) or getattr(f.remote_field, "parent_link", 0)
        )
        if auto_pk or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", 0):
            continue
        names.append(f"{f.name}__{importer.get_lookup(f)}" if f.is_relation else f.name)
    rows = []
    manager = model._base_manager
    for obj in manager.order_by("pk"):
        values = list(manager.filter(pk=obj.pk).values_list(*names).get())
        for f in model._meta.many_to_many:
            lookup = importer.get_lookup(f)
            keys = getattr(obj, f.name).values_list(lookup, flat=True)
            values.append(sorted(keys))
        rows.append(tuple(repr(v) for v in values))
    return sorted(rows)


# -- the cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A model, and the models it names (exported and loaded first)."""

    label: str
    make: Callable[[], None]
    related: tuple[str, ...] = ()


BLOG = [
    Case("blog.Author", make_blog),
    Case("blog.Category", make_blog),
    Case("blog.Tag", make_blog),
    Case("blog.Post", make_blog, related=("blog.Author", "blog.Category", "blog.Tag")),
]
ZOO = [
    Case("zoo.Currency", make_zoo),
    Case("zoo.County", make_zoo),
    Case("zoo.Country", make_zoo),
    Case("zoo.Label", make_zoo),
    Case(
        "zoo.Product",
        make_zoo,
        related=("zoo.Country", "zoo.Label"),
    ),
    Case(
        "zoo.ProductTag",
        make_zoo,
        related=("zoo.Country", "zoo.Label", "zoo.Product"),
    ),
    Case("zoo.Stamped", make_zoo),
    Case("zoo.Shouty", make_zoo),
    Case("zoo.SavedTitle", make_zoo),
    Case("zoo.Signalled", make_zoo),
    Case("zoo.DbDefaulted", make_zoo),
    Case("zoo.Checked", make_zoo),
    Case("zoo.Member", make_zoo),
    Case("zoo.Period", make_zoo),
    Case("zoo.External", make_zoo),
    Case("zoo.Reading", make_zoo),
    Case("zoo.Doc", make_zoo),
    Case("zoo.LoudDoc", make_zoo),
    Case("zoo.Place", make_zoo),
    Case("zoo.Restaurant", make_zoo),
    Case("zoo.SignalLog", make_zoo),
    Case("zoo.Typed", make_zoo),
    Case("zoo.Note", make_zoo),
    Case("zoo.Fan", make_zoo, related=("blog.Author",)),
    Case("zoo.Patron", make_zoo, related=("blog.Author",)),
]
CASES = BLOG + ZOO
FORMATS = ("csv", "json")


def test_every_model_has_a_case():
    """A model added to the blog or the zoo must be added here too."""
    covered = {case.label for case in CASES}
    for label in ("blog", "zoo"):
        for model in apps.get_app_config(label).get_models():
            assert model._meta.label in covered


def export(label: str, path: Path) -> None:
    result = run("export_data", "--model", label, "-o", str(path), "--no-progress")
    assert result.error is None, result.error


def load(label: str, path: Path) -> dict:
    result = run("load_data", str(path), "--model", label, "--report", "json")
    assert result.error is None, (result.error, result.stdout, result.stderr)
    return json.loads(result.stdout)["totals"]


def params(cases: list[Case], test: str):
    for case in cases:
        for fmt in FORMATS:
            yield pytest.param(case, fmt, id=f"{case.label}-{fmt}")


@pytest.mark.parametrize(("case", "fmt"), list(params(CASES, "same")))
def test_same_database_every_row_unchanged(case: Case, fmt: str, tmp_path):
    case.make()
    model = apps.get_model(case.label)
    if not importer_for_model(model).get_key():
        pytest.skip("no key: loading rows back creates them again (documented)")
    path = tmp_path / f"rows.{fmt}"
    export(case.label, path)
    before = content(model)
    count = model._base_manager.count()
    totals = load(case.label, path)
    assert totals == {
        "rows": count,
        "created": 0,
        "updated": 0,
        "unchanged": count,
        "skipped": 0,
        "rejected": 0,
    }
    assert content(model) == before
    connection.check_constraints()  # deferred foreign keys: fail here, not later


def empty_database() -> None:
    """Delete every blog and zoo row, in whatever order protections allow."""
    tables = [
        model
        for label in ("blog", "zoo")
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy
    ]
    for _ in range(len(tables)):
        for model in tables:
            try:
                model._base_manager.all().delete()
            except (ProtectedError, RestrictedError):
                continue  # a row protecting it goes first, in a later pass
    assert not any(model._base_manager.exists() for model in tables)


@pytest.mark.parametrize(("case", "fmt"), list(params(CASES, "empty")))
def test_empty_database_same_content(case: Case, fmt: str, tmp_path):
    case.make()
    labels = [*case.related, case.label]
    files = {label: tmp_path / f"{label}.{fmt}" for label in labels}
    for label, path in files.items():
        export(label, path)
    before = {label: content(apps.get_model(label)) for label in labels}
    empty_database()
    for label in labels:
        load(label, files[label])
    assert {label: content(apps.get_model(label)) for label in labels} == before
    connection.check_constraints()
