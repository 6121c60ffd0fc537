"""Fixtures of the system tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webclient import demo_site


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The web client's server on a fresh demo database, one per test module: a browser
    spec's writes (a journal's marks, a family's live events) never reach another's."""
    with demo_site() as base:
        yield base
