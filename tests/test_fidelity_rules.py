"""Rules the model declares (issue 9.16): the dry run counts what the real run does.

Model.clean() (zoo Period) runs in every run; declared CheckConstraints (zoo
Checked) and conditional UniqueConstraints (zoo Member) are checked in a dry run
as Model.validate_constraints() would, and refused by the database in a real run.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, F, Q

from tests.zoo.models import Checked, Member, Period

from .conftest import run

pytestmark = pytest.mark.django_db

CASES = {
    "zoo.Period": (
        "key,start,end\n"
        "p1,2024-01-01,2024-02-01\n"
        "p2,2024-03-01,2024-02-01\n"
        "p3,2024-01-01,2024-01-01\n",
        {"p1", "p3"},
        "The period ends before it starts.",
    ),
    "zoo.Checked": (
        "key,low,high\nc1,1,2\nc2,5,1\nc3,3,3\n",
        {"c1", "c3"},
        None,
    ),
    "zoo.Member": (
        "key,email,active\n"
        "m1,a@example.com,true\n"
        "m2,a@example.com,true\n"
        "m3,a@example.com,false\n"
        "m4,b@example.com,true\n"
        "m5,taken@example.com,true\n",
        {"m1", "m3", "m4"},
        None,
    ),
}


def counts(text: str) -> dict[str, int]:
    return {
        action: int(n)
        for n, action in re.findall(r"(\d+) (created|updated|unchanged|rejected)", text)
    }


@pytest.mark.parametrize("label", sorted(CASES))
def test_the_dry_run_counts_what_the_real_run_does(tmp_path, label):
    text, stored, message = CASES[label]
    model = {"zoo.Period": Period, "zoo.Checked": Checked, "zoo.Member": Member}[label]
    if model is Member:
        Member.objects.create(key="old", email="taken@example.com", active=True)
    path = tmp_path / "rows.csv"
    path.write_text(text)
    args = ["load_data", str(path), "--model", label, "--on-error", "skip"]
    dry = run(*args, "--dry-run")
    real = run(*args)
    assert dry.returncode == real.returncode == 1, (dry, real)
    assert counts(dry.stdout) == counts(real.stdout), (dry.stdout, real.stdout)
    keys = set(model.objects.values_list("key", flat=True)) - {"old"}
    assert keys == stored
    if message:
        assert message in dry.stderr and message in real.stderr


def test_clean_sees_the_stored_values_on_update(tmp_path):
    Period.objects.create(key="p", start="2024-01-01", end="2024-02-01")
    path = tmp_path / "rows.csv"
    path.write_text("key,start\np,2024-03-01\n")
    result = run("load_data", str(path), "--model", "zoo.Period", "--mode", "update")
    assert result.returncode == 1
    assert "The period ends before it starts." in result.stderr
    assert str(Period.objects.get().start) == "2024-01-01"


@pytest.mark.parametrize(
    "condition",
    [
        Q(low__lte=F("high")),
        Q(low__lt=5) | ~Q(high__gte=3),
        Q(low__in=[1, 2, None]),
        Q(low__isnull=True) | Q(high__exact=F("low")),
        Q(low__gt=F("high"), high__gte=0),
    ],
)
@pytest.mark.parametrize(("low", "high"), [(1, 2), (5, 1), (3, 3), (None, 2)])
def test_the_python_evaluation_agrees_with_the_database(condition, low, high):
    from importers.rules import evaluate

    instance = Checked(key="k", low=low, high=high)
    # Django's own CheckConstraint.validate() is the oracle: NULL passes, as in SQL
    # (Q.check() alone changed its NULL answer in Django 6).
    constraint = CheckConstraint(condition=condition, name="probe")
    try:
        constraint.validate(Checked, instance)
        in_database = True
    except ValidationError:
        in_database = False
    value = evaluate(condition, instance)
    assert (value is not False) == in_database
