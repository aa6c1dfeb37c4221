"""Consistency checks (`python -m server check`): every cache against its book of record.

Each check finds drift and says what it is; counters may be repaired (`--repair`), the
ledger never is: a wrong balance is a bug to investigate, fixed by reversing entries.
New domains add their check (stock, point buckets …) to `CHECKS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from models import records
from models.activities import signup as activity_signup
from models.core.context import Context
from models.media import consistency as media_consistency
from models.notifications import sms
from models.ops import recount
from models.orders import candidates as order_candidates
from models.orders import notices as order_notices
from models.orders import timeline as order_timeline
from models.orders import visibility as order_queue
from models.orders import workload
from models.people import membership
from models.points import boards, buckets, ledger
from models.rewards import listing
from models.voices import rollup as voice_rollup

Problems = list[dict[str, Any]]


@dataclass(frozen=True)
class Check:
    name: str
    what: str
    find: Callable[[Context], Awaitable[Problems]]
    repair: Callable[[Context, Problems], Awaitable[int]] | None = None


CHECKS: list[Check] = [
    Check("ledger", "balance == sum(ledger entries) for every member", ledger.check_ledger),
    Check(
        "open_orders",
        "open_orders == orders held (accepted or in service) for every member",
        workload.open_order_drift,
        workload.repair_open_orders,
    ),
    Check(
        "record_months",
        "cached months of service records == ledger and orders of that month",
        records.month_cache_drift,
        records.forget_drifted_months,
    ),
    Check(
        "activity_places",
        "signed_up / waiting == confirmed / waiting sign-ups for every live activity",
        activity_signup.counter_drift,
        activity_signup.repair_counters,
    ),
    Check(
        "reward_stock",
        "item stock + live redemptions == initial stock + restocks for every reward item",
        listing.check_stock,
    ),
    Check(
        "sms_daily_counts",
        "each number's SMS count of the day == its texts that day that were sent (or tried)",
        sms.count_drift,
        sms.repair_counts,
    ),
    Check("point_buckets", "no member's points bucket holds fewer than 0", buckets.check_buckets),
    Check(
        "voice_figures",
        "民情分析 counters == a recount of the voices and follow-ups of each node and month",
        voice_rollup.check,
        voice_rollup.repair,
    ),
    Check(
        "media",
        "attached photos have their bytes in the store and an owner that still exists",
        media_consistency.drift,
        media_consistency.repair,
    ),
    Check(
        "leaderboard_buckets",
        "leaderboard buckets (all time, this month, this year) == earned points of the ledger",
        boards.drift,
        boards.rebuild,
    ),
    Check(
        "dashboard_tallies",
        "the dashboard's open counts and day rollups == the sum of every order's contribution",
        recount.drift,
        recount.repair,
    ),
    Check(
        "member_counts",
        "each node's member counter (共 N 名) == its members (role member, not erased)",
        membership.count_drift,
        membership.repair_counts,
    ),
    Check(
        "order_timelines",
        "each order's timeline_archived == its archived events, seq 0 … n−1 (no gap, no copy)",
        order_timeline.archive_drift,
    ),
    Check(
        "queue_floors",
        "no submitted order is older than its node's dispatch-queue floor",
        order_queue.floor_drift,
        order_queue.repair_floors,
    ),
    Check(
        "order_outbox",
        "every order with events not told carries the notifier's `notify_due` mark",
        order_notices.untold_orders,
        order_notices.mark_untold,
    ),
    Check(
        "member_picks",
        "every member carries the sample key `pick` its id makes",
        order_candidates.pick_drift,
        order_candidates.repair_picks,
    ),
]


@dataclass
class Outcome:
    check: Check
    problems: Problems
    repaired: int = 0


async def run_checks(ctx: Context, *, repair: bool = False) -> list[Outcome]:
    outcomes = []
    for check in CHECKS:
        problems = await check.find(ctx)
        outcome = Outcome(check, problems)
        if repair and problems and check.repair is not None:
            outcome.repaired = await check.repair(ctx, problems)
        outcomes.append(outcome)
    return outcomes
