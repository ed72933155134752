"""Test settings: the demo project plus the model zoo (tests/zoo)."""

from mysite.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.zoo"]  # noqa: F405
# The zoo has no migrations: its tables are made from the models (syncdb).
MIGRATION_MODULES = {"zoo": None}
