"""A complaint about a member's service, ruled 属实 by the staff in charge, keeps that member off
the month's 服务标兵/党员之星 candidates; only the resident served can name the order."""

from __future__ import annotations

from typing import Any

import pytest

from jobs import tasks
from models import honours, orders


def complaint(world: Any, order_id: Any, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "category": "社区服务",
        "text": "队员上门迟到一个多小时，也没有提前打电话说明",
        "org_id": str(world.orgs["A1"]["_id"]),
        "order_id": str(order_id),
        **extra,
    }


async def served(world: Any, ctx: Any, member: str, times: int) -> list[Any]:
    done = []
    for _ in range(times):
        oid = await world.order_in("completed", member=member)
        await orders.confirm_order(ctx, world.actor("owner"), oid, {"rating": 5})
        done.append(oid)
    return done


async def close_complaint(api: Any, vid: str, sec: str, m1: str, upheld: bool) -> None:
    assert (await api.post(f"/api/v1/voices/{vid}/accept", {}, token=sec))[0] == 200
    status, _ = await api.post(f"/api/v1/voices/{vid}/reply", {"text": "已约谈队员"}, token=sec)
    assert status == 200
    # the member named in the complaint (or anyone but the staff in charge) cannot rule on it
    status, err = await api.post(
        f"/api/v1/voices/{vid}/close", {"reason": "核实", "upheld": False}, token=m1
    )
    assert status in (403, 404), err
    status, closed = await api.post(
        f"/api/v1/voices/{vid}/close", {"reason": "经核实", "upheld": upheld}, token=sec
    )
    assert status == 200, closed
    assert closed["upheld"] is upheld and closed["about_member_name"] == "队员1"


@pytest.mark.gen_test(timeout=120)
async def test_upheld_complaint_keeps_the_member_off_the_candidates(api, world, ctx, clock):
    owner = await api.login("openid-owner")
    other = await api.login("openid-other")
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    first, _ = await served(world, ctx, "m1", 2)

    # another resident cannot name someone else's order; only complaints name orders
    status, err = await api.post("/api/v1/voices", complaint(world, first), token=other)
    assert status == 404, err
    status, err = await api.post(
        "/api/v1/voices", complaint(world, first, kind="suggestion"), token=owner
    )
    assert status == 400 and "order_id" in err["error"]["fields"], err
    unserved = await world.order_in("submitted")
    status, err = await api.post("/api/v1/voices", complaint(world, unserved), token=owner)
    assert status == 400 and "order_id" in err["error"]["fields"], err
    assert await ctx.db.voices.count_documents({}) == 0

    status, voice = await api.post("/api/v1/voices", complaint(world, first), token=owner)
    assert status == 201, voice
    assert voice["about_order_id"] == str(first) and voice["about_member_name"] is None
    status, seen = await api.get(f"/api/v1/voices/{voice['id']}", token=sec)
    assert seen["about_member_name"] == "队员1"  # staff see whom it is about
    await close_complaint(api, voice["id"], sec, m1, upheld=True)

    clock.move(days=32)
    await tasks.honours_job(ctx, None)
    rows = await honours.list_for_node(ctx, world.orgs["A1"]["_id"])
    named = {c["name"] for h in rows for c in h["candidates"]}
    assert "队员1" not in named, rows


@pytest.mark.gen_test(timeout=120)
async def test_a_complaint_ruled_unfounded_does_not_count(api, world, ctx, clock):
    owner = await api.login("openid-owner")
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    first, _ = await served(world, ctx, "m1", 2)
    status, voice = await api.post("/api/v1/voices", complaint(world, first), token=owner)
    assert status == 201, voice
    await close_complaint(api, voice["id"], sec, m1, upheld=False)

    clock.move(days=32)
    await tasks.honours_job(ctx, None)
    rows = await honours.list_for_node(ctx, world.orgs["A1"]["_id"])
    service = next(h for h in rows if h["title"] == "服务标兵")
    assert [c["name"] for c in service["candidates"]] == ["队员1"]
