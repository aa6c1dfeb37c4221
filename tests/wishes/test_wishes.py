"""微心愿 over real HTTP: the whole loop, one claimant under a race, one award (retry and
crash), privacy on the wall, and the auto-confirm / reminder / release jobs on a clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from models import wishes
from models.core.context import FailpointTriggered
from models.people.users import create_user
from models.points import ledger


def body(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "org_id": str(world.orgs["A"]["_id"]),
        "category": "学习用品",
        "title": "给孙子一个新书包",
        "description": "孙子今年上一年级，想要一个新书包",
        "value": 120,
        **extra,
    }


async def approved_wish(api: Any, world: Any) -> str:
    owner = await api.login("openid-owner")
    status, wish = await api.post("/api/v1/wishes", body(world), token=owner)
    assert status == 201, wish
    sec = await api.login("openid-sec_a")
    status, wish = await api.post(f"/api/v1/wishes/{wish['id']}/approve", {}, token=sec)
    assert status == 200 and wish["status"] == "approved", wish
    return str(wish["id"])


@pytest.mark.gen_test(timeout=60)
async def test_wish_loop_awards_once_and_hides_the_resident(api, world, ctx):
    wid = await approved_wish(api, world)
    other, m1, owner = [await api.login(f"openid-{k}") for k in ("other", "m1", "owner")]
    # the wall: the wish and its community, never who the resident is
    status, wall = await api.get(
        f"/api/v1/wishes?scope=wall&org_id={world.orgs['A']['_id']}", token=other
    )
    assert status == 200 and [w["id"] for w in wall["items"]] == [wid]
    for text in ("林阿姨", "13912340000", "阳光社区 3 号楼"):
        assert text not in api.last_text
    assert wall["items"][0]["contact_phone"] is None and wall["items"][0]["timeline"] == []
    # claim: the claimant now sees the contact
    status, claimed = await api.post(f"/api/v1/wishes/{wid}/claim", {}, token=m1)
    assert status == 200 and claimed["status"] == "claimed", claimed
    assert claimed["contact_name"] == "林阿姨" and claimed["contact_phone"] == "13912340000"
    status, seen = await api.get(f"/api/v1/wishes/{wid}", token=other)
    assert status == 200 and seen["contact_phone"] is None and "林阿姨" not in api.last_text
    status, done = await api.post(f"/api/v1/wishes/{wid}/fulfil", {"note": "书包已送到"}, token=m1)
    assert status == 200 and done["status"] == "fulfilled"
    status, closed = await api.post(
        f"/api/v1/wishes/{wid}/confirm", {"thanks": "谢谢！"}, token=owner
    )
    assert status == 200 and closed["status"] == "confirmed"
    # a retried confirmation changes nothing
    status, again = await api.post(
        f"/api/v1/wishes/{wid}/confirm", {"thanks": "谢谢！"}, token=owner
    )
    assert status == 409 and again["error"]["code"] == "invalid_transition"
    keys = sorted([e["idempotency_key"] async for e in ctx.db.ledger_entries.find({})])
    member = world.id("m1")
    assert keys == [f"wish:{wid}:award:{member}:hours", f"wish:{wid}:award:{member}:points"]
    m = await ctx.db.users.find_one({"_id": member})
    assert (m["points_balance"], m["hours_tenths"]) == (5, 10)
    assert await ledger.check_ledger(ctx) == []
    # masked again once confirmed
    status, after = await api.get(f"/api/v1/wishes/{wid}", token=m1)
    assert status == 200 and after["contact_phone"] is None
    # every party was told at every step
    kinds = {(n["user_id"], n["kind"]) async for n in ctx.db.notifications.find({})}
    assert (world.id("owner"), "wish_claim") in kinds
    assert (world.id("owner"), "wish_fulfil") in kinds
    assert (member, "wish_confirm") in kinds
    assert (world.id("sec_a"), "wish_submit") in kinds


@pytest.mark.gen_test(timeout=120)
async def test_twenty_members_claim_one_wish(api, world, ctx):
    wid = await approved_wish(api, world)
    tokens = []
    for i in range(20):
        await create_user(
            ctx,
            role="member",
            name=f"党员{i}",
            org_id=world.orgs["A1"]["_id"],
            openid=f"wisher-{i}",
        )
        tokens.append(await api.login(f"wisher-{i}"))
    results = await asyncio.gather(
        *(api.post(f"/api/v1/wishes/{wid}/claim", {}, token=t) for t in tokens)
    )
    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [409] * 19, statuses
    assert {b["error"]["code"] for s, b in results if s == 409} == {"wish_taken"}
    wish = await ctx.db.wishes.find_one()
    assert [e["action"] for e in wish["timeline"]].count("claim") == 1
    winner = next(b for s, b in results if s == 200)
    assert str(wish["claimant_id"]) == winner["claimant_id"]


@pytest.mark.gen_test(timeout=60)
async def test_crash_between_confirm_and_award_leaves_nothing(api, world, ctx):
    wid = await approved_wish(api, world)
    m1, owner = await api.login("openid-m1"), await api.login("openid-owner")
    await api.post(f"/api/v1/wishes/{wid}/claim", {}, token=m1)
    await api.post(f"/api/v1/wishes/{wid}/fulfil", {"note": "已送达"}, token=m1)
    ctx.failpoints.add("wishes.before_award")
    with pytest.raises(FailpointTriggered):
        await wishes.confirm_wish(ctx, world.actor("owner"), wish_id(wid), {"thanks": ""})
    ctx.failpoints.clear()
    wish = await ctx.db.wishes.find_one({"_id": wish_id(wid)})
    assert wish["status"] == "fulfilled"  # the transaction rolled back the state too
    assert await ctx.db.ledger_entries.count_documents({}) == 0
    results = await asyncio.gather(
        *(api.post(f"/api/v1/wishes/{wid}/confirm", {}, token=owner) for _ in range(5))
    )
    assert sorted(s for s, _ in results) == [200] + [409] * 4
    assert await ctx.db.ledger_entries.count_documents({}) == 2
    assert await ledger.check_ledger(ctx) == []


def wish_id(text: str) -> Any:
    from bson import ObjectId

    return ObjectId(text)


@pytest.mark.gen_test(timeout=60)
async def test_jobs_remind_release_and_auto_confirm(api, world, ctx, clock):
    wid = await approved_wish(api, world)
    m1 = await api.login("openid-m1")
    await api.post(f"/api/v1/wishes/{wid}/claim", {}, token=m1)
    clock.move(days=5, hours=1)
    first = await wishes.run_wishes(ctx)
    second = await wishes.run_wishes(ctx)
    assert (first["reminded"], second["reminded"]) == (1, 0)  # once per claim
    clock.move(days=5)
    assert (await wishes.run_wishes(ctx))["released"] == 1
    wish = await ctx.db.wishes.find_one({"_id": wish_id(wid)})
    assert wish["status"] == "approved" and wish["claimant_id"] is None
    assert wish["timeline"][-1]["action"] == "auto_release"
    # claimed again by another member, fulfilled, never confirmed → auto-confirmed once
    m2 = await api.login("openid-m2")
    assert (await api.post(f"/api/v1/wishes/{wid}/claim", {}, token=m2))[0] == 200
    assert (await api.post(f"/api/v1/wishes/{wid}/fulfil", {"note": "已办"}, token=m2))[0] == 200
    clock.move(days=7, minutes=1)
    runs = await asyncio.gather(wishes.run_wishes(ctx), wishes.run_wishes(ctx))
    assert sum(r["auto_confirmed"] for r in runs) == 1
    wish = await ctx.db.wishes.find_one({"_id": wish_id(wid)})
    assert wish["status"] == "confirmed" and wish["auto_confirmed"] is True
    entries = await ctx.db.ledger_entries.find({}).to_list(None)
    assert {e["member_id"] for e in entries} == {world.id("m2")} and len(entries) == 2


@pytest.mark.gen_test(timeout=60)
async def test_bad_input_and_scope(api, world, ctx):
    owner, other, m_b1, sec_b1 = [
        await api.login(f"openid-{k}") for k in ("owner", "other", "m_b1", "sec_b1")
    ]
    status, err = await api.post(
        "/api/v1/wishes", body(world, value=5000, category="豪车"), token=owner
    )
    assert status == 400 and set(err["error"]["fields"]) == {"category"}
    status, err = await api.post("/api/v1/wishes", body(world, value=5000), token=owner)
    assert status == 400 and "500" in err["error"]["fields"]["value"]
    status, err = await api.post(
        "/api/v1/wishes", body(world, photos=["6b10555380ff795289934bdc"] * 10), token=owner
    )
    assert status == 400 and "photos" in err["error"]["fields"]
    assert await ctx.db.wishes.count_documents({}) == 0
    status, wish = await api.post("/api/v1/wishes", body(world), token=owner)
    wid = wish["id"]
    # not approved yet: invisible to others, B's secretary cannot approve
    assert (await api.get(f"/api/v1/wishes/{wid}", token=other))[0] == 404
    assert (await api.post(f"/api/v1/wishes/{wid}/approve", {}, token=sec_b1))[0] == 404
    sec = await api.login("openid-sec_a")
    await api.post(f"/api/v1/wishes/{wid}/approve", {}, token=sec)
    # a member of another community cannot claim it
    status, _ = await api.post(f"/api/v1/wishes/{wid}/claim", {}, token=m_b1)
    assert status == 404
    # a secretary posts for a resident without a phone: contact and address required
    status, err = await api.post("/api/v1/wishes", body(world), token=sec)
    assert status == 400 and set(err["error"]["fields"]) == {"contact_name", "address"}
    status, wish = await api.post(
        "/api/v1/wishes", body(world, contact_name="王奶奶", address="5 号楼 101"), token=sec
    )
    assert status == 201 and wish["mine"] is True and wish["contact_name"] == "王奶奶"
