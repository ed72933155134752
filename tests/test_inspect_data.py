"""`inspect_data` writes code that works: into a new app, makemigrations, migrate,
and `load_data` of the same file rejects no row.

Each file gets its own temporary app; the commands run as users run them, in
subprocesses against a fresh SQLite database (a migration cannot run inside the
test transaction), with the blog's authors and categories loaded so that columns
naming them become ForeignKeys.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from .conftest import MAKE_POSTS, ROOT

# Objects lack keys, in any order; the first one names every key, because the
# engine maps columns from the first object (see test_ragged_keys_seen_late).
RAGGED = [
    {"code": "a-1", "price": 1.5, "qty": 3, "tags": ["x"], "ok": True, "note": None,
     "meta": None, "when": None},
    {"ok": False, "code": "a-2", "price": 12.25, "note": "only here"},
    {"code": "a-3", "qty": 7, "meta": {"k": [1, 2]}, "when": "2024-05-01"},
    {"code": "a-4", "price": None, "qty": None, "ok": True, "when": "2024-06-30"},
]  # fmt: skip
LATE_KEYS = [{"code": "b-1", "qty": 1}, {"code": "b-2", "qty": 2, "extra": "x"}]
NA_CSV = (
    "id,amount,day,label,flag\n"
    "1,10,2024-01-01,first,yes\n"
    "2,NA,NA,NA,no\n"
    "3,-7,2024-02-29,,NA\n"
    "4,123456789012,2024-03-01,fourth,yes\n"
)
SEMICOLON_BOM = (
    "\ufeffOrder ID;Unit Price;Shipped?;Customer Name;Placed At\n"
    "0001;3.50;1;Ada Lovelace;2024-05-01T10:00:00+02:00\n"
    '0002;12.00;0;Björn, "the" Second;2024-05-02T11:30:00+02:00\n'
    "0003;0.99;1;;2024-05-03T09:15:00-05:00\n"
)
APPS = {
    "insp_posts": ("posts.csv", ()),
    "insp_ragged": ("ragged.json", ()),
    "insp_na": ("measures.csv", ("--null", "NA")),
    "insp_semi": ("orders.csv", ()),
    "insp_late": ("late.json", ()),
}


@pytest.fixture(scope="module")
def inspected(tmp_path_factory):
    """Run inspect_data -> makemigrations -> migrate -> load_data for every file."""
    tmp = tmp_path_factory.mktemp("inspect")
    data = tmp / "data"
    subprocess.run(
        [sys.executable, str(MAKE_POSTS), str(data), "--rows", "400", "--tags"],
        check=True,
    )
    (data / "ragged.json").write_text(json.dumps(RAGGED), encoding="utf-8")
    (data / "late.json").write_text(json.dumps(LATE_KEYS), encoding="utf-8")
    (data / "measures.csv").write_text(NA_CSV, encoding="utf-8")
    (data / "orders.csv").write_text(SEMICOLON_BOM, encoding="utf-8")
    for app in APPS:
        (tmp / app / "migrations").mkdir(parents=True)
        (tmp / app / "__init__.py").write_text("")
        (tmp / app / "migrations" / "__init__.py").write_text("")
        (tmp / app / "models.py").write_text("")
    (tmp / "insp_settings.py").write_text(
        "from tests.settings import *  # noqa\n"
        f"INSTALLED_APPS = [*INSTALLED_APPS, {', '.join(map(repr, APPS))}]\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "insp_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def ok(result: subprocess.CompletedProcess) -> str:
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok(manage("migrate", "-v0"))
    ok(manage("load_data", str(data / "authors.csv"), str(data / "categories.csv")))
    code = {}
    for app, (name, extra) in APPS.items():
        ok(manage("inspect_data", str(data / name), "-o", str(tmp / app), *extra))
        code[app] = "\n".join(
            (tmp / app / module).read_text() for module in ("models.py", "importers.py")
        )
    ok(manage("makemigrations", *APPS, "-v0"))
    ok(manage("migrate", "-v0"))
    loaded = {}
    for app, (name, _) in APPS.items():
        model = next(
            node.name
            for node in ast.parse(code[app]).body
            if isinstance(node, ast.ClassDef)
        )
        result = manage(
            "load_data", str(data / name), "--model", f"{app}.{model}",
            "--report", "json", "--on-error", "skip", "--no-progress",
        )  # fmt: skip
        loaded[app] = (result.returncode, json.loads(result.stdout or "{}"))
    return code, loaded


@pytest.mark.parametrize("app", APPS)
def test_generated_code_migrates_and_imports_every_row(inspected, app):
    loaded = inspected[1]
    returncode, report = loaded[app]
    assert returncode == 0, report
    totals = report["totals"]
    assert totals["rejected"] == 0
    assert totals["created"] == totals["rows"] > 0


def test_reference_posts_guesses(inspected):
    code = inspected[0]["insp_posts"]
    assert "slug = models.CharField(max_length=20, unique=True)" in code
    assert 'models.ForeignKey("blog.Author"' in code
    assert "rating = models.DecimalField(max_digits=3, decimal_places=2" in code
    assert "published_at = models.DateTimeField(null=True, blank=True)" in code
    assert "views = models.IntegerField()" in code
    assert "body = models.TextField()" in code
    assert "-> null=True" in code and "with offsets -> aware DateTimeField" in code


def test_ragged_json_guesses(inspected):
    code = inspected[0]["insp_ragged"]
    assert "tags = models.JSONField(null=True, blank=True)" in code
    assert "meta = models.JSONField(null=True, blank=True)" in code
    assert "ok = models.BooleanField(null=True, blank=True)" in code
    assert "price = models.DecimalField(max_digits=4, decimal_places=2" in code
    assert "when = models.DateField(null=True, blank=True)" in code


def test_na_markers_guesses(inspected):
    code = inspected[0]["insp_na"]
    assert "null_values = ['NA']" in code
    assert "amount = models.BigIntegerField(null=True, blank=True)" in code
    assert "flag = models.BooleanField(null=True, blank=True)" in code
    # "id" is Django's primary key: the column gets another name and an alias
    assert "'id': 'id_value'" in code


def test_semicolons_and_bom_guesses(inspected):
    code = inspected[0]["insp_semi"]
    assert "\ufeff" not in code
    # 0001: leading zeros are text; unique -> the key
    assert "order_id = models.CharField(max_length=10, unique=True)" in code
    assert "'Unit Price': 'unit_price'" in code
    assert "shipped = models.BooleanField()" in code


# -- the guesses, one column at a time (no database) ---------------------------------

GUESSES = [
    (["1", "2", "300"], "models.SmallIntegerField()"),
    (["1", "", "70000"], "models.IntegerField(null=True, blank=True)"),
    (["-1", "9999999999"], "models.BigIntegerField()"),
    (["007", "123"], "models.CharField(max_length=10)"),
    (["+33", "44"], "models.CharField(max_length=10)"),
    (["1.5", "22.25", "3"], "models.DecimalField(max_digits=4, decimal_places=2)"),
    (["1e5", "2.5"], "models.FloatField()"),
    (["yes", "no", "YES"], "models.BooleanField()"),
    (["0", "1", ""], "models.BooleanField(null=True, blank=True)"),
    (["2024-01-31", "NA"], "models.DateField(null=True, blank=True)"),
    (["2024-01-31T10:00:00+01:00"], "models.DateTimeField()"),
    (["2024-01-31 10:00:00"], "models.DateTimeField()"),
    (["a" * 300], "models.TextField()"),
    (["two\nlines"], "models.TextField()"),
    (["abc", ""], "models.CharField(max_length=10, blank=True)"),
    ([[1, 2], None], "models.JSONField(null=True, blank=True)"),
    ([True, False, None], "models.BooleanField(null=True, blank=True)"),
    ([3, 4.5], "models.DecimalField(max_digits=2, decimal_places=1)"),
]


@pytest.mark.parametrize(("values", "code"), GUESSES)
def test_guess_field(values, code):
    from importers.inspect import guess_field

    assert guess_field("c", "c", values, {"", "NA"}, choices=False).code == code


def test_choices_only_when_asked():
    from importers.inspect import guess_field

    values = ["draft", "published"] * 5
    assert "choices" not in guess_field("s", "s", values, {""}, choices=False).code
    asked = guess_field("s", "s", values, {""}, choices=True).code
    assert "choices=[('draft', 'draft'), ('published', 'published')]" in asked


@pytest.mark.parametrize(
    ("header", "name"),
    [("Order ID", "order_id"), ("unitPrice", "unit_price"), ("id", "id_value"),
     ("class", "class_value"), ("2nd", "column_2nd"), ("Shipped?", "shipped"),
     ("a__b", "a_b"), ("", "column")],
)  # fmt: skip
def test_field_name(header, name):
    from importers.inspect import field_name

    assert field_name(header, set()) == name


@pytest.mark.django_db
def test_usage_errors(tmp_path):
    from .conftest import run

    assert run("inspect_data", str(tmp_path / "nope.csv")).returncode == 2
    (tmp_path / "x.csv").write_text("a\n1\n")
    result = run("inspect_data", str(tmp_path / "x.csv"), "--name", "not a name")
    assert result.returncode == 2
