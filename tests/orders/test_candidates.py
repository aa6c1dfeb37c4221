"""Bounded member samples (recommendations, the hall notice) and the notifier's outbox mark:
what each reads is bounded, nobody excluded slips in, and each cache has its check."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from bson import ObjectId

from models import orders
from models.ops import checks
from models.orders import candidates, notices
from models.people.users import new_user_doc, pick_of


async def crowd(ctx: Any, org: dict[str, Any], n: int, **fields: Any) -> list[ObjectId]:
    docs = [
        new_user_doc(
            ctx,
            role="member",
            name=f"队员{i}",
            org_id=org["_id"],
            org_path=list(org["path"]),
            phone=f"135{i:08d}",
            **fields,
        )
        for i in range(n)
    ]
    for start in range(0, len(docs), 50):  # small batches: a loaded machine's timeouts
        await ctx.db.users.insert_many(docs[start : start + 50])
    return [d["_id"] for d in docs]


@pytest.mark.gen_test(timeout=120)
async def test_a_sample_reads_about_what_it_wants_not_the_node(ctx, world):
    a1 = world.orgs["A1"]
    await crowd(ctx, a1, 300, skills=["家电维修"])
    base = {"org_path": a1["_id"], "role": "member"}
    order = {"_id": ObjectId()}
    start = candidates.start_point(order)
    ranges: list[dict[str, Any]] = []
    real_find = type(ctx.db.users).find

    def recording_find(self: Any, query: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        ranges.append(query)
        return real_find(self, query, *args, **kwargs)

    with mock.patch.object(type(ctx.db.users), "find", recording_find):
        rows = await candidates.sample_members(
            ctx, base, want=25, start=start, keep=lambda m: True, projection={"name": 1}
        )
    assert len(rows) == 25 and len({r["_id"] for r in rows}) == 25
    # the walk read an arc from the start: the rows taken are the nearest picks after it
    arcs = sorted((r["pick"] - start) % 1.0 for r in rows)
    assert arcs[-1] < 0.5, arcs[-1]  # 25 of ~300: far less than the whole circle
    # every read is an indexed `pick` range, and together they hold a few pages, not 300
    assert ranges and all(set(q) == {"org_path", "role", "pick"} for q in ranges)
    read = sum([await ctx.db.users.count_documents(q) for q in ranges])
    assert 25 <= read <= 100, read

    # fewer matching members than wanted: the node is read whole, every one found
    two = {"13500000001", "13500000002"}
    few = await candidates.sample_members(
        ctx, base, want=25, start=start, keep=lambda m: m.get("phone") in two
    )
    assert sorted(m["phone"] for m in few) == sorted(two)


@pytest.mark.gen_test(timeout=120)
async def test_recommendations_never_offer_the_placer_or_their_phone_in_a_large_branch(ctx, world):
    a1 = world.orgs["A1"]
    await crowd(ctx, a1, 120, skills=["家电维修"])
    owner = world.users["owner"]
    # the resident's own member account (same phone) and a member who declined
    twin = new_user_doc(
        ctx,
        role="member",
        name="林阿姨(队员)",
        org_id=a1["_id"],
        org_path=list(a1["path"]),
        phone=owner["phone"],
        skills=["家电维修"],
    )
    await ctx.db.users.insert_one(twin)
    oid = await world.order_in("submitted")
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["resident_phone"] == owner["phone"]
    # whichever arc the order's walk reads, the twin is inside it
    await ctx.db.users.update_one(
        {"_id": twin["_id"]}, {"$set": {"pick": candidates.start_point(order)}}
    )
    items = await orders.recommend_volunteers(ctx, world.actor("sec_a1"), oid, limit=200)
    ids = {i["member"]["id"] for i in items}
    assert str(twin["_id"]) not in ids and str(owner["_id"]) not in ids
    assert 0 < len(items) <= 200
    # the hall notice leaves them out too
    told = await notices.hall_members(ctx, order, a1["_id"])
    assert twin["_id"] not in told and 0 < len(told) <= int(ctx.config.sla.hall_max_recipients)


@pytest.mark.gen_test(timeout=120)
async def test_member_picks_check_and_repair(ctx, world):
    check = next(c for c in checks.CHECKS if c.name == "member_picks")
    assert await check.find(ctx) == []
    await ctx.db.users.update_one({"_id": world.id("m1")}, {"$unset": {"pick": ""}})
    await ctx.db.users.update_one({"_id": world.id("m2")}, {"$set": {"pick": 0.5}})
    problems = await check.find(ctx)
    assert {p["user_id"] for p in problems} == {world.id("m1"), world.id("m2")}
    assert check.repair is not None and await check.repair(ctx, problems) == 2
    assert await check.find(ctx) == []
    m1 = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert m1["pick"] == pick_of(world.id("m1"))


@pytest.mark.gen_test(timeout=120)
async def test_the_notifier_reads_only_marked_orders_and_a_late_transition_stays_marked(ctx, world):
    oid = await world.order_in("submitted")
    assert (await ctx.db.orders.find_one({"_id": oid}))["notify_due"] is not None
    first = await notices.run_notifier(ctx)
    assert first["orders"] == 1 and first["notifications"] >= 1
    done = await ctx.db.orders.find_one({"_id": oid})
    assert "notify_due" not in done and done["notified_version"] == done["version"] == 0
    assert (await notices.run_notifier(ctx))["orders"] == 0  # nothing waits: nothing read

    # the notifier read the order, then a dispatch landed before it wrote: the mark stays
    stale = await ctx.db.orders.find_one({"_id": oid})
    await orders.dispatch_order(
        ctx, world.actor("sec_a1"), oid, {"volunteer_ids": [world.id("m1")]}
    )
    stale["notified_version"] = None  # as if told from scratch
    await notices.notify_order(ctx, {**stale, "notified_version": 0})
    moved = await ctx.db.orders.find_one({"_id": oid})
    assert moved["version"] == 1 and moved["notify_due"] is not None
    again = await notices.run_notifier(ctx)
    assert again["orders"] == 1 and again["notifications"] >= 1  # m1 hears of the dispatch
    assert await ctx.db.notifications.count_documents({"user_id": world.id("m1")}) == 1

    # an order behind with no mark (a write past the transitions): check finds, repair marks
    check = next(c for c in checks.CHECKS if c.name == "order_outbox")
    assert await check.find(ctx) == []
    await ctx.db.orders.update_one({"_id": oid}, {"$set": {"notified_version": 0}})
    problems = await check.find(ctx)
    assert [p["order_id"] for p in problems] == [oid]
    assert check.repair is not None and await check.repair(ctx, problems) == 1
    assert (await notices.run_notifier(ctx))["orders"] == 1
    assert await check.find(ctx) == []
