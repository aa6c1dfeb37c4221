"""The dashboard without reading every order: open-order tallies kept by the transitions,
overdue orders from the tallies' due hours, today's figures step by step."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from models import orders
from models.core import clock as clocks
from models.ops import checks, stats
from models.orders import tallies
from models.people import orgs
from models.people.users import Actor, create_user
from server.errors import Conflict


async def recount(ctx: Any, node: Any) -> tuple[dict[str, int], list[Any]]:
    """Open orders by state and the overdue ids (most overdue first), from the orders."""
    counts: dict[str, int] = {}
    late = []
    async for o in ctx.db.orders.find({"org_path": node}):
        if o["status"] in stats.OPEN_STATUSES:
            counts[o["status"]] = counts.get(o["status"], 0) + 1
        due = o.get("due_at")
        if o["status"] in stats.CLOCK_RUNNING and due and due < ctx.now():
            late.append((due, o["_id"]))
    return counts, [i for _, i in sorted(late)]


async def root(world: Any) -> dict[str, Any]:
    return await orgs.get_org(world.ctx, world.orgs["A1"]["path"][0])


def shown(data: dict[str, Any]) -> dict[str, int]:
    return {row["status"]: row["count"] for row in data["open"] if row["count"]}


@pytest.mark.gen_test(timeout=120)
async def test_tallies_stay_right_under_concurrent_transitions(ctx, world):
    racers = [
        await create_user(
            ctx,
            role="member",
            name=f"抢单队员{i}",
            openid=f"tally-racer-{i}",
            org_id=world.orgs["A1"]["_id"],
            skills=["助老"],
        )
        for i in range(6)
    ]
    sec = world.actor("sec_a1")
    hall = []
    for _ in range(4):
        oid = await world.order_in("submitted")
        await orders.dispatch_order(ctx, sec, oid, {"to_hall": True})
        hall.append(oid)
    waiting = [await world.order_in("submitted") for _ in range(3)]
    started = await world.order_in("accepted")

    async def attempt(call: Any) -> str:
        try:
            await call
            return "ok"
        except Conflict:
            return "409"

    calls = [orders.accept_order(ctx, Actor.from_user(r), oid) for oid in hall for r in racers]
    calls += [orders.cancel_order(ctx, world.actor("owner"), hall[0], "不要了")]
    for oid in waiting:  # a dispatch and a cancel race for each waiting order
        calls.append(orders.dispatch_order(ctx, sec, oid, {"to_hall": True}))
        calls.append(orders.cancel_order(ctx, world.actor("owner"), oid, "不要了"))
    calls.append(orders.start_order(ctx, world.actor("m1"), started))
    outcomes = await asyncio.gather(*(attempt(c) for c in calls))
    # one accept or the cancel per hall order; a waiting order may be dispatched, then
    # cancelled; the start
    assert 4 + 3 + 1 <= outcomes.count("ok") <= 4 + 6 + 1

    assert await tallies.drift(ctx) == []
    top = await root(world)
    data = await stats.dashboard(ctx, top, clocks.local_day(ctx.now()), clocks.local_day(ctx.now()))
    counts, late = await recount(ctx, top["_id"])
    assert shown(data) == counts and data["open_total"] == sum(counts.values())
    assert counts.get("accepted", 0) >= 3 and counts.get("in_service") == 1
    assert data["overdue"] == len(late) == 0
    other = await stats.dashboard(
        ctx, world.orgs["B1"], clocks.local_day(ctx.now()), clocks.local_day(ctx.now())
    )
    assert other["open_total"] == 0


@pytest.mark.gen_test(timeout=120)
async def test_overdue_count_and_the_most_overdue_from_the_due_hours(ctx, world, clock):
    clock.now = clock.now.replace(minute=30, second=0)
    start = clock.now
    sec = world.actor("sec_a1")
    made = []
    for i in range(14):
        oid = await world.order_in("submitted")
        due = start + timedelta(minutes=10 + 25 * i)
        await orders.dispatch_order(
            ctx, sec, oid, {"volunteer_ids": [world.id("m1")], "due_at": due}
        )
        made.append(oid)
    member = await world.refresh("m1")
    await orders.accept_order(ctx, member, made[0])
    await orders.accept_order(ctx, member, made[5])
    await orders.start_order(ctx, world.actor("m1"), made[5])
    await orders.cancel_order(ctx, world.actor("owner"), made[1], "不要了")  # leaves the count
    clock.move(hours=5)  # due before +5 h: 12 orders, the last ones in the current hour
    top = await root(world)
    day = clocks.local_day(ctx.now())
    data = await stats.dashboard(ctx, top, day, day)
    _, late = await recount(ctx, top["_id"])
    assert len(late) == 11
    assert data["overdue"] == 11
    assert data["overdue_ids"] == late[:10]
    listed = await stats.overdue_orders(ctx, data["overdue_ids"])
    assert [o["_id"] for o in listed] == late[:10]
    clock.move(hours=10)  # every one overdue now, counted from past hours only
    data = await stats.dashboard(ctx, top, day, clocks.local_day(ctx.now()))
    _, late = await recount(ctx, top["_id"])
    assert data["overdue"] == len(late) == 13 and data["overdue_ids"] == late[:10]
    b1 = await stats.dashboard(ctx, world.orgs["B1"], day, clocks.local_day(ctx.now()))
    assert b1["overdue"] == 0 and b1["overdue_ids"] == []


@pytest.mark.gen_test(timeout=120)
async def test_the_check_finds_a_drifted_tally_and_repair_fixes_it(ctx, world):
    await world.order_in("submitted")
    await world.order_in("accepted")
    assert await tallies.drift(ctx) == []
    a1 = world.orgs["A1"]["_id"]
    some = await ctx.db.order_tallies.find_one({"org_id": a1})
    await ctx.db.order_tallies.update_one({"_id": some["_id"]}, {"$inc": {"open.submitted": 2}})
    doc = await ctx.db.order_tallies.find_one({"org_id": a1, "due": {"$exists": True}})
    hour = next(h for h, n in doc["due"].items() if n)
    await ctx.db.order_tallies.update_one({"_id": doc["_id"]}, {"$inc": {f"due.{hour}": -1}})
    problems = await tallies.drift(ctx)
    assert [p["org_id"] for p in problems] == [a1]
    assert problems[0]["off_by"] == {"open.submitted": -2, f"due.{hour}": 1}
    outcome = next(
        o for o in await checks.run_checks(ctx, repair=True) if o.check.name == "order_tallies"
    )
    assert outcome.problems and outcome.repaired == 1
    assert await tallies.drift(ctx) == []
    top = await root(world)
    day = clocks.local_day(ctx.now())
    data = await stats.dashboard(ctx, top, day, day)
    assert shown(data) == {"submitted": 1, "accepted": 1}
    assert await tallies.prune(ctx) >= 0  # zero hours go; the figures stay
    assert await tallies.drift(ctx) == []


def day_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's inputs from a day's rows, in a comparable form."""
    out: dict[str, Any] = {}
    for key in ("created_total", "rating_sum", "rating_count"):
        out[key] = sum(r[key] for r in rows)
    for key in ("points", "hours"):
        out[key] = round(sum(r[key] for r in rows), 1)
    for key in ("dispatch_min", "accept_min", "close_min"):
        out[key] = sorted(v for r in rows for v in r[key])
    for key in ("created", "by_channel"):
        merged: dict[str, int] = {}
        for r in rows:
            for k, n in r[key].items():
                merged[k] = merged.get(k, 0) + n
        out[key] = {k: n for k, n in merged.items() if n}
    return out


@pytest.mark.gen_test(timeout=120)
async def test_todays_figures_kept_step_by_step_equal_a_recount(ctx, world, clock):
    day_start, _ = clocks.day_bounds(clocks.local_day(clock.now))
    clock.now = day_start + timedelta(hours=9)
    top = await root(world)
    today = clocks.local_day(clock.now)
    sec = world.actor("sec_a1")

    async def look() -> list[dict[str, Any]]:
        await stats.dashboard(ctx, top, today, today)  # stores a step when one is due
        return await stats.live_today(ctx, top["_id"], ctx.now())

    first = await world.order_in("in_service")
    again = await world.order_in("dispatched", member="m2")
    await look()
    clock.move(minutes=7)
    await orders.complete_order(ctx, world.actor("m1"), first, {"note": "好了"})
    await orders.decline_order(ctx, await world.refresh("m2"), again, "临时有事")
    await look()
    clock.move(minutes=9)  # a re-dispatch replaces the first dispatch of the day
    await orders.dispatch_order(
        ctx,
        sec,
        again,
        {"volunteer_ids": [world.id("m3")], "due_at": ctx.now() + timedelta(hours=4)},
    )
    await orders.confirm_order(ctx, world.actor("owner"), first, {"rating": 4})
    await world.order_in("submitted")
    mark = (await ctx.db.job_state.find_one({"_id": stats.LIVE_ID}))["until"]
    assert mark > day_start  # steps were stored
    clock.move(minutes=4)
    await look()
    clock.move(minutes=1)
    live = await look()
    full = (await stats.compute_days(ctx, today, today, ctx.now() + timedelta(seconds=1)))[today]
    assert day_figures(live) == day_figures(list(full.values()))
    assert day_figures(live)["created_total"] == 3 and day_figures(live)["rating_count"] == 1
    assert len(day_figures(live)["dispatch_min"]) == 2  # once per order, as the recount
    data = await stats.dashboard(ctx, top, today, today)
    assert data["created_total"] == 3 and data["rating_avg"] == 4.0 and data["closed_total"] == 1
