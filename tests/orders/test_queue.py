"""The dispatch queue (submitted orders, oldest first) reads from a per-node floor, and the
organisation's history newest first, both in page-sized windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import orders
from models.ops import checks
from models.orders import visibility


@pytest.mark.gen_test(timeout=120)
async def test_queue_pages_oldest_first_and_the_floor_follows_the_oldest(ctx, world, clock):
    made = []
    for _ in range(5):
        made.append(await world.order_in("submitted"))
        clock.move(hours=2)
    node = world.orgs["A1"]["_id"]
    seen, cursor = [], None
    while True:
        rows, cursor = await orders.awaiting_dispatch(ctx, node, cursor, 2)
        seen += [r["_id"] for r in rows]
        if cursor is None:
            break
    assert seen == made
    floor = await ctx.db.queue_floors.find_one({"_id": visibility.floor_id(node)})
    first = await ctx.db.orders.find_one({"_id": made[0]})
    assert floor["at"] <= first["created_at"]

    # the oldest is dispatched: the next first page raises the floor to the new oldest
    await orders.dispatch_order(
        ctx, world.actor("sec_a1"), made[0], {"volunteer_ids": [world.id("m1")]}
    )
    rows, _ = await orders.awaiting_dispatch(ctx, node, None, 2)
    assert [r["_id"] for r in rows] == made[1:3]
    second = await ctx.db.orders.find_one({"_id": made[1]})
    raised = await ctx.db.queue_floors.find_one({"_id": visibility.floor_id(node)})
    assert first["created_at"] < raised["at"] <= second["created_at"]

    # a floor above a waiting order would hide it: the check says so and repairs it
    check = next(c for c in checks.CHECKS if c.name == "queue_floors")
    assert await check.find(ctx) == []
    await ctx.db.queue_floors.update_one(
        {"_id": visibility.floor_id(node)}, {"$set": {"at": clock.now + timedelta(hours=1)}}
    )
    problems = await check.find(ctx)
    assert problems and problems[0]["floor"] == visibility.floor_id(node)
    assert check.repair is not None and await check.repair(ctx, problems) == 1
    rows, _ = await orders.awaiting_dispatch(ctx, node, None, 10)
    assert [r["_id"] for r in rows] == made[1:]


@pytest.mark.gen_test(timeout=120)
async def test_the_org_history_is_newest_first_across_windows(ctx, world, clock):
    made = []
    for hours in (0, 1, 30, 400, 2):  # sparse and dense stretches
        clock.move(hours=hours)
        made.append(await world.order_in("submitted"))
    sec = await world.refresh("sec_a1")
    seen, cursor = [], None
    while True:
        rows, cursor = await orders.list_orders(
            ctx, sec, scope="org", status=None, cursor=cursor, limit=2
        )
        seen += [r["_id"] for r in rows]
        if cursor is None:
            break
    assert [s for s in seen if s in made] == made[::-1]
