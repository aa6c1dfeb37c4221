"""The order timeline stays bounded: the newest `orders.timeline_embedded` events on the
order, the older ones archived in the same transaction — the whole history, in order, once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson import ObjectId

from models.ops.checks import run_checks
from models.people.users import create_user

CAP = 4


@pytest.fixture
def config(config):  # a small cap: the archive is reached in a few transitions
    return config.replace(orders={"timeline_embedded": CAP, "escalate_after_declines": 100})


async def volunteers(api: Any, ctx: Any, world: Any, n: int) -> list[tuple[str, str]]:
    """n members of A1 (id, token): each may decline an order once."""
    out = []
    for _ in range(n):
        openid = f"tl-{ObjectId()}"
        user = await create_user(
            ctx, role="member", name="队员", org_id=world.orgs["A1"]["_id"], openid=openid
        )
        out.append((str(user["_id"]), await api.login(openid)))
    return out


async def history(ctx: Any, oid: ObjectId) -> list[dict[str, Any]]:
    """Archive + embedded, straight from the collections, with each event's seq."""
    order = await ctx.db.orders.find_one({"_id": oid})
    archived = await ctx.db.order_events.find({"order_id": oid}).sort("seq", 1).to_list(None)
    first = order.get("timeline_archived", 0)
    assert [e["seq"] for e in archived] == list(range(first)), "archive: seq 0 … n−1, no gap"
    assert len(order["timeline"]) <= CAP
    return [*archived, *order["timeline"]]


@pytest.mark.gen_test(timeout=120)
async def test_long_history_is_capped_and_archived_whole(api, world, ctx):
    oid = await world.order_in("submitted")
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    member = str(world.id("m1"))
    for i, (vid, token) in enumerate(await volunteers(api, ctx, world, 6)):
        status, body = await api.post(
            f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [vid]}, token=sec
        )
        assert status == 200, body
        status, body = await api.post(
            f"/api/v1/orders/{oid}/decline", {"reason": f"第{i}次：时间冲突"}, token=token
        )
        assert status == 200, body
    for action in ("dispatch", "accept", "start", "complete"):
        body = {"volunteer_ids": [member]} if action == "dispatch" else {}
        if action == "complete":
            body = {"note": "已修好"}
        status, answer = await api.post(
            f"/api/v1/orders/{oid}/{action}", body, token=sec if action == "dispatch" else m1
        )
        assert status == 200, answer
    owner = await api.login("openid-owner")
    status, answer = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 5}, token=owner)
    assert status == 200, answer

    events = await history(ctx, oid)
    actions = [e["action"] for e in events]
    assert actions == (
        ["submit"]
        + ["dispatch", "decline"] * 6
        + ["dispatch", "accept", "start", "complete", "confirm"]
    )
    notes = [e["note"] for e in events if e["action"] == "decline"]
    assert notes == [f"第{i}次：时间冲突；无可接单队员，待重新派单" for i in range(6)]
    times = [e["at"] for e in events]
    assert times == sorted(times)
    order = await ctx.db.orders.find_one({"_id": oid})
    assert len(order["timeline"]) == CAP and order["timeline_archived"] == len(events) - CAP
    assert order["version"] == len(events) - 1  # event i made version i

    # the order view: the recent events and the counts
    status, view = await api.get(f"/api/v1/orders/{oid}", token=owner)
    assert status == 200
    assert [e["action"] for e in view["timeline"]] == actions[-CAP:]
    assert (view["timeline_total"], view["timeline_archived"]) == (len(events), len(events) - CAP)

    # the history endpoint pages the whole of it, newest first, each event once
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(20):
        status, page = await api.get(
            f"/api/v1/orders/{oid}/timeline?limit=5" + (f"&cursor={cursor}" if cursor else ""),
            token=sec,
        )
        assert status == 200, page
        assert page["timeline_total"] == len(events)
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["seq"] for e in seen] == list(range(len(events) - 1, -1, -1))
    assert [e["action"] for e in reversed(seen)] == actions
    assert (await run_checks_named(ctx, "order_timelines")) == []


async def run_checks_named(ctx: Any, name: str) -> list[dict[str, Any]]:
    return next(o.problems for o in await run_checks(ctx) if o.check.name == name)


def plain(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("_id", "order_id", "seq")} for e in events]


@pytest.mark.gen_test(timeout=120)
async def test_racing_actors_archive_once(api, world, ctx):
    """Past the cap, every transition is raced by two actors (two secretaries dispatching,
    a volunteer's double tap declining): one wins each time, the other gets 409, and the
    history grows by exactly that one event — the archived ones unchanged and once."""
    oid = await world.order_in("submitted")
    sec_a1 = await api.login("openid-sec_a1")
    sec_a = await api.login("openid-sec_a")
    before = plain(await history(ctx, oid))
    for i, (vid, token) in enumerate(await volunteers(api, ctx, world, 5)):
        for path, body, tokens in (
            ("dispatch", {"volunteer_ids": [vid]}, (sec_a1, sec_a)),
            ("decline", {"reason": f"冲突{i}"}, (token, token)),
        ):
            results = await asyncio.gather(
                *(api.post(f"/api/v1/orders/{oid}/{path}", body, token=t) for t in tokens)
            )
            assert sorted(s for s, _ in results) == [200, 409], (i, results)
            after = plain(await history(ctx, oid))
            assert after[: len(before)] == before, "archived events kept as they were"
            assert len(after) == len(before) + 1
            before = after
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["version"] == len(before) - 1 == 10
    assert order["timeline_archived"] == len(before) - CAP
    assert await ctx.db.order_events.count_documents({"order_id": oid}) == len(before) - CAP
    assert (await run_checks_named(ctx, "order_timelines")) == []
