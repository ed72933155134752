"""Shared fixtures: the blog factories, seeded so every test sees the same data."""

import pytest

from mysite.blog.factories import reseed


@pytest.fixture(autouse=True)
def _seeded_factories():
    reseed(1234)
