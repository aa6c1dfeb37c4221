"""Fixtures of the admin tests: a live server per test, and (in the browser module) one
headless Debian Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from server.config import Config
from tests.admin.live import LiveServer, staff_world


@pytest.fixture
def live(config: Config, mongo_uri: str) -> Iterator[LiveServer]:
    server = LiveServer(config, mongo_uri)
    yield server
    server.stop()


@pytest.fixture
def staff(live: LiveServer) -> Any:
    return live.run(staff_world(live.ctx))
