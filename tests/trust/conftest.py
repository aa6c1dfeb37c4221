"""The trust harness starts with a clean figures file for the run."""

from __future__ import annotations

import pytest

from tests.trust import figures


@pytest.fixture(scope="session", autouse=True)
def fresh_figures():
    figures.reset()
    yield
