"""The daily digest to each secretary (what waits on them) and the monthly points
statement to each member.

Both are due-checked often (`jobs.digest_check_seconds`) rather than fired once at a cron
instant, so a leader that changed or a process that was down at 08:30 still sends today's
digest. A period marker in `job_state` says a period is done; the notice keys
(`digest:<date>:<user>`, `statement:<month>:<user>`) make a half-finished run safe to
repeat.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bson import ObjectId

from models import orders
from models.core.clock import tz
from models.core.context import Context
from models.notifications.inbox import Notice, notify_many
from models.people.users import STAFF_ROLES
from models.points import ledger


def _at(text: str) -> time:
    hour, _, minute = str(text).partition(":")
    return time(int(hour), int(minute or 0))


async def _done(ctx: Context, marker: str) -> bool:
    return await ctx.db.job_state.count_documents({"_id": marker}, limit=1) > 0


async def _mark(ctx: Context, marker: str, counts: dict[str, int]) -> None:
    await ctx.db.job_state.update_one(
        {"_id": marker}, {"$set": {"done_at": ctx.now(), "counts": counts}}, upsert=True
    )


async def _by_node(ctx: Context, collection: str, match: dict[str, Any]) -> dict[ObjectId, int]:
    pipeline: list[dict[str, Any]] = [
        {"$match": match},
        {"$project": {"org_path": 1}},
        {"$unwind": "$org_path"},
        {"$group": {"_id": "$org_path", "n": {"$sum": 1}}},
    ]
    rows = await (await ctx.db[collection].aggregate(pipeline)).to_list(None)
    return {r["_id"]: r["n"] for r in rows}


async def daily_digest(ctx: Context, *, force: bool = False) -> dict[str, int]:
    now = ctx.now()
    local = now.astimezone(tz(ctx))
    if not force and local.time() < _at(ctx.config.jobs.digest_time):
        return {"due": 0}
    day = local.date().isoformat()
    marker = f"digest:{day}"
    if await _done(ctx, marker):
        return {"due": 0}
    waiting = {
        "待派单": await _by_node(ctx, "orders", {"status": orders.SUBMITTED}),
        "待接单": await _by_node(ctx, "orders", {"status": orders.DISPATCHED}),
        "超时未完成": await _by_node(
            ctx,
            "orders",
            {"status": {"$in": [orders.ACCEPTED, orders.IN_SERVICE]}, "due_at": {"$lt": now}},
        ),
        "待确认超过三天": await _by_node(
            ctx,
            "orders",
            {"status": orders.COMPLETED, "updated_at": {"$lt": now - timedelta(days=3)}},
        ),
        "待审核队员": await _by_node(ctx, "member_registrations", {"status": "pending"}),
    }
    notices = []
    async for user in ctx.db.users.find(
        {"role": {"$in": list(STAFF_ROLES)}, "deleted_at": None, "org_id": {"$ne": None}},
        {"org_id": 1},
    ):
        parts = [
            (label, counts.get(user["org_id"], 0))
            for label, counts in waiting.items()
            if counts.get(user["org_id"], 0)
        ]
        if not parts:
            continue
        body = "；".join(f"{label} {n}" for label, n in parts)
        total = sum(n for _, n in parts)
        notices.append(
            Notice(
                user_id=user["_id"],
                key=f"digest:{day}:{user['_id']}",
                kind="daily_digest",
                title=f"今日待办 {total} 项",
                body=body,
                template="todo",
                push={"subject": "今日待办", "status": "待处理", "remark": body, "time": now},
            )
        )
    written = await notify_many(ctx, notices)
    counts = {"due": 1, "digests": written}
    await _mark(ctx, marker, counts)
    return counts


def _month_bounds(local: datetime) -> tuple[datetime, datetime]:
    """The month before `local`'s month, as [start, end) in the same zone."""
    this_month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    return last_month, this_month


async def monthly_statement(ctx: Context, *, force: bool = False) -> dict[str, int]:
    now = ctx.now()
    local = now.astimezone(tz(ctx))
    day = int(ctx.config.jobs.statement_day)
    if not force and (
        local.day < day or (local.day == day and local.time() < _at(ctx.config.jobs.statement_time))
    ):
        return {"due": 0}
    start, end = _month_bounds(local)
    month = f"{start.year}-{start.month:02d}"
    marker = f"statement:{month}"
    if await _done(ctx, marker):
        return {"due": 0}
    pipeline: list[dict[str, Any]] = [
        {"$match": {"created_at": {"$gte": start, "$lt": end}}},
        {
            "$group": {
                "_id": "$member_id",
                "earned": {
                    "$sum": {
                        "$cond": [
                            {"$and": [{"$eq": ["$kind", "points"]}, {"$gt": ["$delta", 0]}]},
                            "$delta",
                            0,
                        ]
                    }
                },
                "spent": {
                    "$sum": {
                        "$cond": [
                            {"$and": [{"$eq": ["$kind", "points"]}, {"$lt": ["$delta", 0]}]},
                            "$delta",
                            0,
                        ]
                    }
                },
                "hours": {"$sum": {"$cond": [{"$eq": ["$kind", "hours"]}, "$delta", 0]}},
            }
        },
    ]
    sums = {
        r["_id"]: r for r in await (await ctx.db.ledger_entries.aggregate(pipeline)).to_list(None)
    }
    label = f"{start.year}年{start.month}月"
    notices = []
    async for user in ctx.db.users.find(
        {"role": "member", "deleted_at": None}, {"points_balance": 1, "hours_tenths": 1}
    ):
        row = sums.get(user["_id"], {})
        earned, spent = row.get("earned", 0), -row.get("spent", 0)
        hours = ledger.hours_of_tenths(row.get("hours", 0))
        body = (
            f"{label}获得 {earned:g} 积分，使用 {spent:g} 积分，服务 {hours:g} 小时；"
            f"当前积分余额 {user.get('points_balance', 0):g}，"
            f"累计服务 {ledger.hours_of_tenths(user.get('hours_tenths')):g} 小时"
        )
        notices.append(
            Notice(
                user_id=user["_id"],
                key=f"statement:{month}:{user['_id']}",
                kind="points_statement",
                title=f"{label}积分月报",
                body=body,
                template="todo",
                push={
                    "subject": f"{label}积分月报",
                    "status": "已出账",
                    "remark": body,
                    "time": now,
                },
            )
        )
    written = await notify_many(ctx, notices)
    counts = {"due": 1, "statements": written}
    await _mark(ctx, marker, counts)
    return counts
