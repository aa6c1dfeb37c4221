"""Dashboard figures (数据看板): running tallies that match a recount, count each change
exactly once whoever applies it, and find overdue orders without reading the collection."""

from __future__ import annotations

import asyncio
import random
import statistics
from datetime import timedelta

import pytest

from models import orders
from models.core import clock, histogram
from models.ops import migrations, recount, stats, tallies
from models.orders.notices import run_notifier


def test_dashboard_figures_match_a_recount_and_a_rebuild(live, staff):
    w, ctx = staff, live.ctx
    real = ctx.clock
    start = real() - timedelta(days=3)
    ctx.clock = lambda: start
    try:
        for _ in range(3):
            live.run(w.order_in("accepted"))
        done = live.run(w.order_in("completed", member="m3"))
        live.run(orders.confirm_order(ctx, w.actor("owner"), done, {"rating": 4}))
    finally:
        ctx.clock = real
    day = clock.local_day(start)
    org = w.orgs["street"]
    data = live.run(stats.dashboard(ctx, org, day, clock.local_day(real())))
    assert data["created_total"] == 4 and data["rating_avg"] == 4.0
    assert data["open_total"] == 3 and data["closed_total"] == 1
    assert {o["status"]: o["count"] for o in data["open"]}["accepted"] == 3
    assert data["median_dispatch_min"] is not None and data["median_dispatch_min"] < 1
    assert sum(sum(s["data"]) for s in data["chart_series"]) == 4
    assert data["leaderboard"][0]["name"] == "阳光社区第一党支部"
    assert data["leaderboard"][0]["points"] == 10
    # the points of that day are on the street's rollup of the day
    settled = live.run(
        ctx.db.stats_daily.find_one({"_id": tallies.day_id(day.isoformat(), org["_id"])})
    )
    assert settled["earned"]["points"] == 10 and settled["created_total"] == 4
    other = live.run(stats.dashboard(ctx, w.orgs["B1"], day, clock.local_day(real())))
    assert other["created_total"] == 0 and other["open_total"] == 0
    assert live.run(recount.drift(ctx)) == []
    # a rebuild from the orders (after a restore) gives the same figures
    assert live.run(recount.rebuild(ctx)) == 4
    again = live.run(stats.dashboard(ctx, org, day, clock.local_day(real())))
    assert {k: again[k] for k in ("created_total", "open_total", "closed_total")} == {
        "created_total": 4,
        "open_total": 3,
        "closed_total": 1,
    }


def test_racing_passes_count_each_change_exactly_once(live, staff):
    """The notifier and dashboards catching up the outbox at the same moment: every
    transition is counted once (a double count or a lost one shows as drift)."""
    w, ctx = staff, live.ctx

    async def race() -> None:
        await asyncio.gather(*(tallies.catch_up(ctx) for _ in range(4)), run_notifier(ctx))

    ids = [live.run(w.order_in("submitted")) for _ in range(3)]
    live.run(race())
    for oid in ids[:2]:
        live.run(
            orders.dispatch_order(ctx, w.actor("sec_a1"), oid, {"volunteer_ids": [w.id("m1")]})
        )
    live.run(race())
    live.run(orders.accept_order(ctx, live.run(w.refresh("m1")), ids[0]))
    live.run(orders.cancel_order(ctx, w.actor("owner"), ids[2], "不需要了"))
    live.run(race())
    assert live.run(recount.drift(ctx)) == []
    figures = live.run(stats.open_figures(ctx, w.orgs["street"]["_id"]))
    assert figures["counts"] == {"accepted": 1, "dispatched": 1}
    # the points and hours an award earns: counted once by racing passes too
    done = live.run(w.order_in("completed", member="m3"))
    live.run(orders.confirm_order(ctx, w.actor("owner"), done, {"rating": 5}))
    live.run(race())
    assert live.run(recount.drift(ctx)) == []
    today = clock.local_day(ctx.now()).isoformat()
    street_day = live.run(
        ctx.db.stats_daily.find_one({"_id": tallies.day_id(today, w.orgs["street"]["_id"])})
    )
    assert street_day["earned"]["points"] == 10 and street_day["earned"]["hours"] == 20
    counted = live.run(ctx.db.order_tallies.find({"_id": {"$in": ids}}).to_list(None))
    versions = {d["_id"]: d["version"] for d in counted}
    current = {
        o["_id"]: o["version"]
        for o in live.run(ctx.db.orders.find({"_id": {"$in": ids}}, {"version": 1}).to_list(None))
    }
    assert versions == current


def test_a_counted_change_corrupted_is_found_and_rebuilt(live, staff):
    w, ctx = staff, live.ctx
    live.run(w.order_in("accepted"))
    live.run(tallies.catch_up(ctx))
    assert live.run(recount.drift(ctx)) == []
    node = w.orgs["A"]["_id"]
    live.run(ctx.db.open_tallies.update_one({"_id": node}, {"$inc": {"counts.accepted": 5}}))
    problems = live.run(recount.drift(ctx))
    assert [p["open_tallies"] for p in problems if "open_tallies" in p] == [node]
    assert live.run(recount.repair(ctx, problems)) == len(problems)
    assert live.run(recount.drift(ctx)) == []
    assert live.run(stats.open_figures(ctx, node))["counts"] == {"accepted": 1}


def test_overdue_orders_are_counted_from_the_tally_and_the_hour_in_progress(live, staff):
    w, ctx = staff, live.ctx
    real = ctx.clock
    late = live.run(w.order_in("accepted"))  # due in a day
    due = live.run(ctx.db.orders.find_one({"_id": late}))["due_at"]
    later, _ = live.run(orders.place_order(ctx, w.actor("owner"), _body(w)))
    live.run(
        orders.dispatch_order(
            ctx,
            w.actor("sec_a1"),
            later["_id"],
            {"volunteer_ids": [w.id("m2")], "due_at": due + timedelta(hours=3)},
        )
    )
    street, node = w.orgs["street"], w.orgs["street"]["_id"]
    assert live.run(stats.dashboard(ctx, street, *_today(real)))["overdue"] == 0
    try:
        # in the hour it fell due (read from the orders), then hours later (from the tally)
        for after, expected in ((timedelta(minutes=1), 1), (timedelta(hours=5), 2)):
            ctx.clock = lambda after=after: due + after
            data = live.run(stats.dashboard(ctx, street, *_today(ctx.clock)))
            assert data["overdue"] == expected and data["overdue_ids"][0] == late
            assert len(data["overdue_ids"]) == expected
            other = live.run(stats.dashboard(ctx, w.orgs["B"], *_today(ctx.clock)))
            assert other["overdue"] == 0 and other["overdue_ids"] == []
        live.run(orders.start_order(ctx, w.actor("m1"), late))
        live.run(orders.complete_order(ctx, w.actor("m1"), late, {"note": "好了"}))
        live.run(tallies.catch_up(ctx))
        figures = live.run(stats.open_figures(ctx, node))
        assert figures["overdue"] == 1  # its clock stopped: only the other one is left
    finally:
        ctx.clock = real


def _body(w):  # type: ignore[no-untyped-def]
    return {
        **w.order_body(),
        "category_id": w.category["_id"],
        "org_id": w.orgs["A1"]["_id"],
    }


def _today(now_of):  # type: ignore[no-untyped-def]
    day = clock.local_day(now_of())
    return day, day


@pytest.mark.parametrize("seed", range(5))
def test_the_histogram_median_is_within_a_bucket_of_the_exact_one(seed):
    rng = random.Random(seed)
    samples = [rng.lognormvariate(4, 1.5) for _ in range(rng.randrange(1, 400))]
    hist: dict[str, int] = {}
    for m in samples:
        b = str(histogram.bucket(m))
        hist[b] = hist.get(b, 0) + 1
    exact = statistics.median(samples)
    estimate = histogram.median(hist)
    assert estimate is not None
    if exact >= 1:
        assert exact / histogram.BASE <= estimate <= exact * histogram.BASE
    assert histogram.median({}) is None
    assert histogram.median({"0": 3, "9": 1}) == 0.0


def test_the_upgrade_computes_the_tallies_and_day_buckets_once_from_the_record(live, staff):
    w, ctx = staff, live.ctx
    done = live.run(w.order_in("completed"))
    live.run(orders.confirm_order(ctx, w.actor("owner"), done, {"rating": 5}))
    live.run(w.order_in("accepted"))
    for name in ("order_tallies", "open_tallies", "stats_daily"):  # as before the upgrade
        live.run(ctx.db[name].delete_many({}))
    live.run(ctx.db.ledger_entries.update_many({}, {"$unset": {"tally_due": ""}}))
    counts = live.run(migrations.dashboard_tallies(ctx))
    assert counts == {"orders": 2}
    assert live.run(recount.drift(ctx)) == []
    today = clock.local_day(ctx.now())
    data = live.run(stats.dashboard(ctx, w.orgs["street"], today, today))
    assert (data["created_total"], data["open_total"], data["month_points"]) == (2, 1, 10)


def test_an_order_removed_before_anyone_saw_it_is_taken_back(live, staff):
    """place_order removes an order whose photos could not be attached: counted by a pass
    meanwhile or not, it leaves no trace in the tallies, and no later pass counts it."""
    w, ctx = staff, live.ctx
    counted = live.run(w.order_in("submitted"))
    live.run(tallies.catch_up(ctx))
    held = live.run(ctx.db.orders.find_one({"_id": counted}))
    unseen = live.run(w.order_in("submitted"))
    unseen_doc = live.run(ctx.db.orders.find_one({"_id": unseen}))
    for oid in (counted, unseen):
        live.run(ctx.db.orders.delete_one({"_id": oid}))
        live.run(tallies.forget(ctx, oid))
    # passes that read them before they went come late: nothing is counted
    assert live.run(tallies.apply(ctx, unseen_doc, None)) is False
    assert live.run(tallies.apply_many(ctx, [held, unseen_doc])) == 0
    assert live.run(recount.drift(ctx)) == []
    assert live.run(stats.open_figures(ctx, w.orgs["street"]["_id"]))["counts"] == {}
