"""Database round trips per core request, token check included (pymongo command monitoring).

Counts, not timings: a change that adds a query to a hot path fails here.
"""

from __future__ import annotations

import pytest
from pymongo import monitoring

from server.app import build_service
from tests.world import drop_database

# confirm: + the points bucket of the year (models/points/buckets.py); the farming rules
# (models/rewards/farming.py, off in tests) read more when on
BUDGET = {"place": 3, "dispatch": 4, "accept": 4, "confirm": 7}


class Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def counter():
    return Counter()


@pytest.fixture
def service(io_loop, config, mongo_uri, counter):
    svc = io_loop.run_sync(lambda: build_service(config, mongo_uri, event_listeners=[counter]))
    yield svc

    async def teardown():
        await drop_database(svc.client, config.mongo.database)
        await svc.close()

    io_loop.run_sync(teardown)


@pytest.mark.gen_test(timeout=60)
async def test_core_endpoints_stay_within_their_round_trip_budget(api, world, counter):
    owner = await api.login("openid-owner")
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    await api.get("/api/v1/service-categories")  # warm the per-process catalogue cache
    await api.get("/api/v1/orgs")
    m1_id = str(world.id("m1"))
    used = {}

    async def measure(name, *call, **kw):
        counter.commands.clear()
        status, body = await api.post(*call, **kw)
        assert status in (200, 201), body
        used[name] = list(counter.commands)
        return body

    order = await measure("place", "/api/v1/orders", world.order_body(), token=owner)
    oid = order["id"]
    await measure(
        "dispatch", f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [m1_id]}, token=sec
    )
    await measure("accept", f"/api/v1/orders/{oid}/accept", token=m1)
    await api.post(f"/api/v1/orders/{oid}/start", token=m1)
    await api.post(f"/api/v1/orders/{oid}/complete", {"note": "好了"}, token=m1)
    await measure("confirm", f"/api/v1/orders/{oid}/confirm", {"rating": 5}, token=owner)
    over = {k: v for k, v in used.items() if len(v) > BUDGET[k]}
    assert not over, over
    assert "commitTransaction" in used["confirm"]
