"""Faults: the database stops in the middle of 1,000 order confirmations (each awards points
and hours) and comes back, with every client retrying; SIGTERM to a server under load.

Outage: 1,000 orders in `completed` (copies of one order driven through the real
transitions, tests/trust/seed.py) for 20 volunteers; 50 residents confirm their 20 orders
each over real HTTP, all 50 at once. When 300 are confirmed the database process is stopped,
and started again on the same port and storage 1.5 s later. A client retries on
503 and on connection errors with the same request; the confirm endpoint is idempotent by
the order's state and the ledger's key, so a retry of a confirmation that did commit gets
409 — counted as "already done" only after an earlier unknown outcome, and then checked
against the database. Afterwards: every order closed, exactly two ledger entries per order
(points, hours), every balance equal to the sum of its entries.

SIGTERM: a `python -m server serve` process under 24 clients placing orders; the figures
count requests in flight at the signal (client side and the server's own count), those
completed, refused (503 shutting_down, or connection refused once the listener is gone),
and the seconds to exit; every 201 is an order and every order got its 201.

Two bugs this found are fixed, with their regression tests first below: a transaction in
flight when the database went away was retried by the driver for up to 120 s (a hang, not
a 503); and a confirmation whose commit answer was lost, re-run by the driver, answered
409 although it had succeeded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections import Counter
from typing import Any

import pymongo
import pytest
import tornado.httpclient
import tornado.iostream
from pymongo.errors import PyMongoError

from models import orders
from models.core import uow
from models.people.users import create_user
from models.points import adjustments, ledger
from server.db import is_unavailable
from server.embedded import free_port
from server.errors import Conflict
from tests.conftest import Api, server_env
from tests.trust.figures import record
from tests.trust.procs import log_lines, spawn, stop_all, tail
from tests.trust.seed import clone_order, insert_orders, order_template
from tests.world import build_world

ORDERS = 1000
RESIDENTS = 50
MEMBERS = 20
STOP_AFTER = 300  # confirmations before the database goes away
OUTAGE_S = 1.5
SETUP_S = 30  # seeding and the recount are not under test: a busy machine may need > 1.5 s
UNKNOWN = (OSError, tornado.httpclient.HTTPClientError, tornado.iostream.StreamClosedError)
# a connection the stopping server closed before it read the request: reset, or a broken
# pipe when the client was still writing to a kept-alive connection
CUT_CONNECTION = ("ConnectionResetError", "BrokenPipeError", "StreamClosedError")


# ---------------------------------------------------------------- regressions found here


@pytest.mark.gen_test(timeout=60)
async def test_transaction_gives_up_fast_when_the_database_is_away(own_db, outage_service):
    """The driver retries a transaction for up to 120 s on network errors: a confirmation
    in flight when the DB went away hung instead of answering 503. Now bounded."""
    ctx = outage_service.ctx
    await ctx.db.ledger_entries.find_one({})  # connected
    own_db.stop()

    async def work(session: Any) -> None:
        await ctx.db.ledger_entries.insert_one({"idempotency_key": "t"}, session=session)

    started = time.monotonic()
    with pytest.raises(PyMongoError) as caught:
        await uow.in_transaction(ctx, work)
    elapsed = time.monotonic() - started
    assert is_unavailable(caught.value), repr(caught.value)  # → 503
    assert elapsed < 3 * int(ctx.config.mongo.timeout_ms) / 1000 + 1, elapsed


@pytest.mark.gen_test(timeout=60)
async def test_lost_commit_answer_is_success_not_conflict(world, ctx, monkeypatch):
    """When a commit's answer is lost the driver runs the callback again in a new
    transaction; if the first commit did land, the re-run finds its own work done. That
    was answered 409 (order_state_changed / adjustment_decided / already_reversed) for a
    request that had succeeded. Replays every transaction once to prove it no longer is."""
    real = uow.in_transaction

    async def replayed(ctx_: Any, work: Any) -> Any:
        await real(ctx_, work)  # commits; its answer "never arrives"
        return await real(ctx_, work)  # the driver's re-run

    monkeypatch.setattr(uow, "in_transaction", replayed)
    order_id = await world.order_in("completed")
    closed = await orders.confirm_order(ctx, world.actor("owner"), order_id, {"rating": 5})
    assert closed["status"] == "closed"
    assert await ctx.db.ledger_entries.count_documents({"source.id": order_id}) == 2

    member = world.id("m1")
    small = await adjustments.request_adjustment(
        ctx, world.actor("sec_a1"), member, kind="points", delta=5, reason="补录"
    )
    assert small["status"] == "applied"
    big = await adjustments.request_adjustment(
        ctx, world.actor("sec_a1"), member, kind="points", delta=80, reason="补录"
    )
    approved = await adjustments.approve(ctx, world.actor("sec_a"), big["_id"])
    assert approved["status"] == "applied"
    with pytest.raises(Conflict):  # a second approval is still refused
        await adjustments.approve(ctx, world.actor("admin"), big["_id"])
    assert await ctx.db.ledger_entries.count_documents({"member_id": member}) == 4
    assert await ledger.check_ledger(ctx) == []


@pytest.mark.gen_test(timeout=180)
async def test_db_outage_during_thousand_awards(api, own_db, outage_service):
    ctx = outage_service.ctx
    with pymongo.timeout(SETUP_S):
        world = await build_world(ctx)
        template = await order_template(world)
        a1 = world.orgs["A1"]["_id"]
        residents = [
            await create_user(ctx, role="resident", name=f"居民{i}", openid=f"outage-r{i}")
            for i in range(RESIDENTS)
        ]
        members = [
            await create_user(ctx, role="member", name=f"队员{i}", openid=f"outage-m{i}", org_id=a1)
            for i in range(MEMBERS)
        ]
        docs = [
            clone_order(
                template, world, resident=residents[n % RESIDENTS], member=members[n % MEMBERS]
            )
            for n in range(ORDERS)
        ]
        await insert_orders(ctx, docs)
    points, hours = template["points"], template["hours"]
    tokens = [await api.login(f"outage-r{i}") for i in range(RESIDENTS)]
    mine: dict[int, list[str]] = {i: [] for i in range(RESIDENTS)}
    for n, doc in enumerate(docs):
        mine[n % RESIDENTS].append(str(doc["_id"]))

    outcomes: dict[str, str] = {}
    statuses: Counter[Any] = Counter()
    retries = 0
    slowest = [0.0]
    done = asyncio.Event()
    confirmed = 0

    async def confirm(order_id: str, token: str) -> str:
        nonlocal retries, confirmed
        unknown = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            asked = time.monotonic()
            try:
                status, body = await api.post(
                    f"/api/v1/orders/{order_id}/confirm", {"rating": 5}, token=token, timeout=20
                )
            except UNKNOWN as exc:
                status, body = f"{type(exc).__name__}: {exc}"[:80], None
            slowest[0] = max(slowest[0], time.monotonic() - asked)
            statuses[status] += 1
            if status == 200:
                confirmed += 1
                if confirmed >= STOP_AFTER:
                    done.set()
                return "confirmed"
            if status == 409 and unknown:
                return "already"  # the earlier attempt committed; checked in the DB below
            if status == 409:
                return f"409 without an earlier attempt: {body}"
            if status == 503 or not isinstance(status, int):
                unknown = True
                retries += 1
                await asyncio.sleep(0.1 if status == 503 else 0.2)
                continue
            return f"unexpected {status}: {body}"
        return "gave up"

    async def client(i: int) -> None:
        for order_id in mine[i]:
            outcomes[order_id] = await confirm(order_id, tokens[i])

    loop = asyncio.get_running_loop()
    outage: dict[str, float] = {}

    async def chaos() -> None:
        await done.wait()
        outage["confirmed_before"] = confirmed
        await loop.run_in_executor(None, own_db.stop)
        down = time.monotonic()
        await asyncio.sleep(OUTAGE_S)
        await loop.run_in_executor(None, own_db.start)
        outage["seconds"] = round(time.monotonic() - down, 2)

    started = time.monotonic()
    await asyncio.gather(chaos(), *(client(i) for i in range(RESIDENTS)))
    elapsed = time.monotonic() - started

    with pymongo.timeout(SETUP_S):  # the database's word, not the clients'
        closed = await ctx.db.orders.count_documents(
            {"_id": {"$in": [d["_id"] for d in docs]}, "status": "closed"}
        )
        per_order: Counter[Any] = Counter()
        async for row in await ctx.db.ledger_entries.aggregate(
            [
                {"$match": {"source.type": "order"}},
                {"$group": {"_id": "$source.id", "n": {"$sum": 1}}},
            ]
        ):
            per_order[row["_id"]] = row["n"]
        lost = sum(1 for d in docs if per_order[d["_id"]] < 2)
        duplicated = sum(max(0, n - 2) for n in per_order.values())
        problems = await ledger.check_ledger(ctx)
        balances = {
            u["_id"]: (u["points_balance"], u["hours_tenths"] / 10)
            async for u in ctx.db.users.find({"_id": {"$in": [m["_id"] for m in members]}})
        }
        per_member = ORDERS // MEMBERS
        wrong_balances = [
            b for b in balances.values() if b != (points * per_member, hours * per_member)
        ]
    kinds = Counter(outcomes.values())
    server_errors = sum(
        n for s, n in statuses.items() if isinstance(s, int) and s >= 500 and s != 503
    )
    record(
        "faults: db outage during awards",
        completions=ORDERS,
        confirmed_before_outage=outage.get("confirmed_before"),
        outage_seconds=outage.get("seconds"),
        client_retries=retries,
        answered_503=statuses[503],
        connection_errors=sum(n for s, n in statuses.items() if not isinstance(s, int)),
        already_done_after_retry=kinds["already"],
        slowest_request_seconds=round(slowest[0], 2),
        server_errors=server_errors,
        closed=closed,
        lost=lost,
        duplicated=duplicated,
        check_ledger_problems=len(problems),
        seconds=round(elapsed, 1),
    )
    assert "seconds" in outage, "the outage never happened"
    assert set(kinds) <= {"confirmed", "already"}, kinds
    assert kinds["confirmed"] + kinds["already"] == ORDERS
    assert retries > 0 and statuses[503] > 0, statuses  # the clients did see the outage
    assert server_errors == 0, statuses
    assert closed == ORDERS and lost == 0 and duplicated == 0
    assert problems == [] and wrong_balances == []


# ---------------------------------------------------------------- SIGTERM under load


def _server_env(config, mongo_uri, fake_wechat, port: int) -> dict[str, str]:
    return server_env(
        config,
        mongo_uri,
        fake_wechat,
        http_port=port,
        jobs_enabled="false",
        orders_place_limit=0,  # one client places hundreds of orders here
    )


@pytest.mark.gen_test(timeout=90)
async def test_sigterm_under_load(world, ctx, config, mongo_uri, fake_wechat):
    port = free_port()
    logs = tempfile.mkdtemp(prefix="tongxin-trust-sigterm-")
    log_path = os.path.join(logs, "server.log")
    proc = spawn("serve", _server_env(config, mongo_uri, fake_wechat, port), log_path)
    api = Api(f"http://127.0.0.1:{port}")
    api.client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=100)
    outcomes: list[tuple[float, Any]] = []  # (answered at, status or error name)
    in_flight = 0
    in_flight_at_sigterm = None
    sent_at: float | None = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if (await api.get("/healthz", timeout=1))[0] == 200:
                    break
            except UNKNOWN:
                pass
            await asyncio.sleep(0.1)
        token = await api.login("openid-owner")

        async def client(n: int) -> None:
            nonlocal in_flight
            i = 0
            while True:
                i += 1
                in_flight += 1
                try:
                    status, body = await api.post(
                        "/api/v1/orders",
                        world.order_body(description=f"停机压测 {n}-{i}"),
                        token=token,
                        timeout=15,
                    )
                    if status == 503:
                        assert body["error"]["code"] in ("shutting_down", "database_unavailable"), (
                            body
                        )
                    outcomes.append((time.monotonic(), status))
                except UNKNOWN as exc:
                    outcomes.append((time.monotonic(), type(exc).__name__))
                    if isinstance(exc, ConnectionRefusedError):
                        return  # the listener is gone: refused cleanly
                finally:
                    in_flight -= 1
                if sent_at is not None and time.monotonic() - sent_at > 12:
                    return

        load = [asyncio.ensure_future(client(n)) for n in range(24)]
        while len(outcomes) < 150:
            await asyncio.sleep(0.01)
        in_flight_at_sigterm = in_flight
        proc.send_signal(signal.SIGTERM)
        sent_at = time.monotonic()
        await asyncio.gather(*load)
        while proc.poll() is None and time.monotonic() - sent_at < 15:
            await asyncio.sleep(0.02)
        exit_seconds = time.monotonic() - sent_at
        exit_code = proc.poll()
    finally:
        stop_all([proc])
        api.client.close()

    lines = log_lines(log_path)
    shutting = [x for x in lines if x.get("msg") == "shutting down"]
    server_inflight = shutting[0].get("inflight") if shutting else None
    assert sent_at is not None
    before = [s for t, s in outcomes if t < sent_at]
    after = [s for t, s in outcomes if t >= sent_at]
    created = sum(1 for _, s in outcomes if s == 201)
    stored = await ctx.db.orders.count_documents({"description": {"$regex": "^停机压测"}})
    status_after = Counter(after)
    record(
        "faults: SIGTERM under load",
        clients=24,
        requests=len(outcomes),
        requests_in_flight_at_sigterm=in_flight_at_sigterm,
        server_in_flight_at_sigterm=server_inflight,
        completed=created,
        completed_after_sigterm=status_after[201],
        refused_503=status_after[503],
        refused_connection=status_after["ConnectionRefusedError"],
        cut_connections=sum(n for s, n in status_after.items() if s in CUT_CONNECTION),
        server_errors=sum(1 for _, s in outcomes if isinstance(s, int) and s >= 500 and s != 503),
        lost=max(0, created - stored),
        phantom=max(0, stored - created),
        exit_code=exit_code,
        exit_seconds=round(exit_seconds, 2),
    )
    assert exit_code == 0, tail(log_path)
    assert exit_seconds < 10
    assert set(before) == {201}, Counter(before)
    assert set(status_after) <= {201, 503, "ConnectionRefusedError", *CUT_CONNECTION}, status_after
    assert status_after[201] >= 1  # requests in flight at SIGTERM did finish
    # nothing lost and nothing phantom: every 201 is an order, every order got its 201
    assert stored == created
