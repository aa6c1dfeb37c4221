"""结算: points and hours to every attendee of an ended activity, exactly once.

Attendees are settled in batches; each batch is ONE transaction holding two bulk writes
(the ledger entries, keyed `activity:<id>:award:<member>:points|hours`, and the members'
balances) plus the sign-ups marked settled. A crash between batches leaves whole batches
done and the rest untouched; settling again picks up the unsettled rest, so every attendee
is awarded once however often it runs. No-shows are counted on the member's record.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import UpdateMany
from pymongo.asynchronous.client_session import AsyncClientSession

from models.activities.checkin import hours_of
from models.activities.hours import points_for
from models.activities.machine import _apply, need
from models.activities.states import CONFIRMED, ENDED, KIND_NAMES, LEAVE, PRESENT, SETTLED
from models.activities.visibility import get_organised
from models.core import uow
from models.core.context import Context
from models.people.users import Actor
from models.points import ledger
from server.errors import Conflict

MAX_ROUNDS = 10_000


def _attended(row: dict[str, Any]) -> bool:
    return bool(row.get("checkin_at")) or row.get("attendance") == PRESENT


def _award(
    ctx: Context, activity: dict[str, Any], row: dict[str, Any], actor: Actor
) -> tuple[list[ledger.LedgerEntry], int, float]:
    """The entries of one attendee: hours served (if the activity awards hours) and points.

    Points are whole (half up) and hours whole tenths in the ledger; the sign-up keeps the
    hours as the decimal with one digit the ledger holds."""
    hours = row.get("hours")
    if hours is None:
        hours = hours_of(ctx, row, activity) if row.get("checkout_at") else 0.0
    hours = ledger.tenths(hours) / 10
    points = ledger.whole_points(
        points_for(activity.get("points_mode", "none"), activity.get("points_value", 0), hours)
    )
    if activity.get("points_mode") == "fixed" and _attended(row):
        points = ledger.whole_points(activity.get("points_value", 0))
    member = row["member_id"]
    base = f"activity:{activity['_id']}:award:{member}"
    common = {
        "member_id": member,
        "source_type": "activity",
        "source_id": activity["_id"],
        "rule": f"activity:{activity.get('points_mode', 'none')}",
        "actor_id": actor.id,
    }
    label = f"{KIND_NAMES[activity['kind']]}「{activity['title']}」"
    entries = []
    if points > 0:
        entries.append(
            ledger.LedgerEntry(
                kind="points",
                delta=points,
                reason=f"参加{label}",
                idempotency_key=f"{base}:points",
                **common,
            )
        )
    awarded_hours = hours if activity.get("award_hours") and hours > 0 else 0.0
    if awarded_hours:
        entries.append(
            ledger.LedgerEntry(
                kind="hours",
                delta=ledger.tenths(awarded_hours),
                reason=f"服务时长：{label}",
                idempotency_key=f"{base}:hours",
                **common,
            )
        )
    return entries, points, awarded_hours


async def _settle_batch(ctx: Context, activity: dict[str, Any], actor: Actor, size: int) -> int:
    """Settle up to `size` unsettled sign-ups in one transaction; returns how many."""

    async def work(session: AsyncClientSession) -> int:
        rows = (
            await ctx.db.activity_signups.find(
                {"activity_id": activity["_id"], "status": CONFIRMED, "settled_at": None},
                session=session,
            )
            .limit(size)
            .to_list(size)
        )
        if not rows:
            return 0
        entries: list[ledger.LedgerEntry] = []
        paths: dict[ObjectId, list[ObjectId]] = {}
        counts: dict[ObjectId, dict[str, Any]] = {}
        marks: dict[tuple[Any, ...], list[ObjectId]] = {}
        now = ctx.now()
        for row in rows:
            attended = _attended(row)
            mine, points, hours = _award(ctx, activity, row, actor) if attended else ([], 0, 0)
            entries += mine
            paths[row["member_id"]] = row.get("member_org_path") or []
            no_show = not attended and row.get("attendance") != LEAVE
            if attended:
                counts[row["member_id"]] = {"activities_attended": 1}
            elif no_show:
                counts[row["member_id"]] = {"activity_no_shows": 1}
            marks.setdefault((attended, no_show, points, hours), []).append(row["_id"])
        await ledger.append_bulk(ctx, session, entries, org_paths=paths, also_inc=counts)
        ctx.failpoint("activities.settle.in_batch")
        # sign-ups settled alike share one update; each only if still unsettled
        ops = [
            UpdateMany(
                {"_id": {"$in": ids}, "settled_at": None},
                {
                    "$set": {
                        "settled_at": now,
                        "attended": attended,
                        "no_show": no_show,
                        "points_awarded": points,
                        "hours_awarded": hours,
                    },
                    "$inc": {"version": 1},
                },
            )
            for (attended, no_show, points, hours), ids in marks.items()
        ]
        marked = await ctx.db.activity_signups.bulk_write(ops, ordered=False, session=session)
        if marked.modified_count != len(rows):
            raise Conflict("结算进行中，请稍后刷新", code="settle_in_progress")
        return len(rows)

    return await uow.in_transaction(ctx, work)


async def settle(ctx: Context, actor: Actor, activity_id: ObjectId) -> dict[str, Any]:
    """结算 an ended activity: every attendee once, then the activity is settled."""
    activity = await get_organised(ctx, actor, activity_id)
    need(activity, ENDED)
    size = max(1, int(ctx.config.activities.settle_batch))
    settled = 0
    for _ in range(MAX_ROUNDS):
        try:
            done = await _settle_batch(ctx, activity, actor, size)
        except (ledger.AlreadyRecorded, Conflict) as exc:
            if isinstance(exc, Conflict) and exc.code not in (
                "already_recorded",
                "settle_in_progress",
            ):
                raise
            continue  # another settler took these rows first: read again
        if done == 0:
            break
        settled += done
        ctx.failpoint("activities.settle.between_batches")
    totals = await _totals(ctx, activity["_id"])
    fresh = await ctx.db.activities.find_one({"_id": activity["_id"]}, {"timeline": 0})
    if fresh is None or fresh["status"] == SETTLED:
        raise Conflict("活动已结算，不会重复发放", code="already_settled")
    need(fresh, ENDED)
    note = (
        f"出席 {totals['attended']} 人，未到 {totals['no_shows']} 人，"
        f"积分 {totals['points']:g}，时长 {totals['hours']:g} 小时"
    )
    updated = await _apply(
        ctx,
        fresh,
        actor,
        "settle",
        SETTLED,
        set_fields={"settled_at": ctx.now(), **totals},
        note=note,
    )
    return updated


async def _totals(ctx: Context, activity_id: ObjectId) -> dict[str, Any]:
    pipeline: list[dict[str, Any]] = [
        {"$match": {"activity_id": activity_id, "status": CONFIRMED}},
        {
            "$group": {
                "_id": None,
                "attended": {"$sum": {"$cond": ["$attended", 1, 0]}},
                "no_shows": {"$sum": {"$cond": ["$no_show", 1, 0]}},
                "points": {"$sum": {"$ifNull": ["$points_awarded", 0]}},
                "hours": {"$sum": {"$ifNull": ["$hours_awarded", 0]}},
            }
        },
    ]
    rows = await (await ctx.db.activity_signups.aggregate(pipeline)).to_list(1)
    row = rows[0] if rows else {}
    return {
        "attended": int(row.get("attended", 0)),
        "no_shows": int(row.get("no_shows", 0)),
        "points": int(row.get("points", 0)),
        "hours": round(float(row.get("hours", 0)), 1),
    }
