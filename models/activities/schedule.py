"""Time-driven activity work for the scheduler: start and end activities on time (closing
forgotten check-outs), and remind everyone signed up 24 h and 1 h before the start, once."""

from __future__ import annotations

from datetime import timedelta

from models.activities import machine, notices
from models.activities.states import IN_PROGRESS, PUBLISHED
from models.core.context import Context
from server.errors import Conflict

BATCH = 200


def _reminder_hours(ctx: Context) -> list[float]:
    text = str(ctx.config.activities.remind_hours)
    return sorted((float(h) for h in text.split(",") if h.strip()), reverse=True)


async def run_activities(ctx: Context) -> dict[str, int]:
    now = ctx.now()
    counts = {"started": 0, "ended": 0, "reminded": 0, "forgotten_checkouts": 0}
    margin = timedelta(minutes=float(ctx.config.activities.checkin_margin_minutes))
    # end first: an activity both started and finished since the last run ends at once
    for status in (PUBLISHED, IN_PROGRESS):
        due = (
            ctx.db.activities.find(
                {"status": status, "end_at": {"$lte": now - margin}}, {"timeline": 0}
            )
            .sort([("end_at", 1)])
            .limit(BATCH)
        )
        async for activity in due:
            try:
                ended = await machine.end_activity(ctx, activity)
            except Conflict:
                continue
            counts["ended"] += 1
            counts["forgotten_checkouts"] += int(ended.get("forgotten_checkouts", 0))
    starting = (
        ctx.db.activities.find({"status": PUBLISHED, "start_at": {"$lte": now}}, {"timeline": 0})
        .sort([("start_at", 1)])
        .limit(BATCH)
    )
    async for activity in starting:
        try:
            await machine.start_activity(ctx, activity)
            counts["started"] += 1
        except Conflict:
            continue
    marks = _reminder_hours(ctx)
    for i, hours in enumerate(marks):
        label = f"{hours:g}h"
        # (next closer mark, this mark]: one created late gets only the closer reminder
        closer = marks[i + 1] if i + 1 < len(marks) else 0.0
        window = {"$gt": now + timedelta(hours=closer), "$lte": now + timedelta(hours=hours)}
        upcoming = (
            ctx.db.activities.find(
                {"status": PUBLISHED, "start_at": window},
                {"timeline": 0},
            )
            .sort([("start_at", 1)])
            .limit(BATCH)
        )
        async for activity in upcoming:
            if label in activity.get("reminded", []):
                continue
            counts["reminded"] += await notices.reminder(ctx, activity, label)
            await ctx.db.activities.update_one(
                {"_id": activity["_id"]}, {"$addToSet": {"reminded": label}}
            )
    return counts
