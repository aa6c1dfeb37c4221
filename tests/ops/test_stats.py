"""Dashboard rollups: past days match a direct count and are stored once."""

from __future__ import annotations

from datetime import timedelta

from models import orders
from models.core import clock
from models.ops import stats


def test_rollups_of_past_days_match_a_direct_count_and_are_stored_once(live, staff):
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
    assert data["median_dispatch_min"] == 0.0
    assert sum(sum(s["data"]) for s in data["chart_series"]) == 4
    assert data["leaderboard"][0]["name"] == "阳光社区第一党支部"
    stored = live.run(ctx.db.stats_days.find_one({"_id": day.isoformat()}))
    assert stored is not None and stored["orgs"] == 1
    other = live.run(stats.dashboard(ctx, w.orgs["B1"], day, clock.local_day(real())))
    assert other["created_total"] == 0 and other["open_total"] == 0
    assert live.run(stats.rebuild(ctx)) >= 3
    again = live.run(stats.dashboard(ctx, org, day, clock.local_day(real())))
    assert again["created_total"] == 4
