"""报名与候补: sign-up under a capacity, an ordered waiting list, overlap refusal.

Capacity holds under races with two counters on the activity document (`signed_up`, the
confirmed places; `waiting`, the list's length) moved only by conditional `$inc`: a place
is taken by `{signed_up < capacity, waiting: 0}` (nobody jumps the list), and a place freed
goes to the first on the list through `fill_from_waitlist`, which every path that frees a
place or joins the list calls after its own write. A unique index on (activity, member)
makes a second sign-up of the same person impossible; overlapping sign-ups of one member
are decided one at a time (see `_claim_row`). `python -m server check` compares
both counters with the sign-ups (and can repair them).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.activities import notices
from models.activities.states import (
    CONFIRMED,
    HOLDING,
    LIVE,
    PENDING,
    PUBLISHED,
    WAITING,
    WITHDRAWN,
)
from models.activities.visibility import get_visible, may_join
from models.core import uow
from models.core.clock import local_time
from models.core.context import Context
from models.people.users import Actor
from server.errors import Conflict, Forbidden


def _new_signup(ctx: Context, activity: dict[str, Any], actor: Actor) -> dict[str, Any]:
    now = ctx.now()
    return {
        "_id": ObjectId(),
        "activity_id": activity["_id"],
        "org_path": activity["org_path"],
        "member_id": actor.id,
        "member_name": actor.name,
        "member_org_path": list(actor.org_path),
        "status": PENDING,
        "version": 0,
        "start_at": activity["start_at"],
        "end_at": activity["end_at"],
        "queued_at": None,
        "created_at": now,
        "updated_at": now,
    }


async def _claim_row(ctx: Context, activity: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Hold this member's row (new, or a withdrawn one reopened) unless another of their
    sign-ups overlaps it in time; 409 if already held or overlapping.

    One transaction per member at a time: each bumps the member's `signup_locks` document
    (made at their first sign-up, outside the transaction, so later ones pay no upsert),
    so two sign-ups racing for overlapping activities conflict, one is retried, and the
    retry sees the other's row. (Comparing rows without it let both through when the newer
    row was checked before the older one was inserted.)
    """
    doc = _new_signup(ctx, activity, actor)

    async def work(session: AsyncClientSession) -> dict[str, Any] | None:
        locked = await ctx.db.signup_locks.update_one(
            {"_id": actor.id}, {"$inc": {"seq": 1}}, session=session
        )
        if locked.matched_count == 0:
            return None  # the member's first sign-up: the lock is made outside, then again
        existing = await ctx.db.activity_signups.find_one(
            {"activity_id": activity["_id"], "member_id": actor.id}, session=session
        )
        if existing is not None and existing["status"] != WITHDRAWN:
            raise Conflict("您已报名该活动", code="already_signed_up")
        await _refuse_overlap(ctx, doc, session)
        if existing is None:
            await ctx.db.activity_signups.insert_one(doc, session=session)
            return doc
        fields = {k: doc[k] for k in ("member_name", "member_org_path", "status", "updated_at")}
        fields.update(start_at=activity["start_at"], end_at=activity["end_at"], queued_at=None)
        await ctx.db.activity_signups.update_one(
            {"_id": existing["_id"]},
            {"$set": fields, "$inc": {"version": 1}},
            session=session,
        )
        return {**existing, **fields, "version": existing.get("version", 0) + 1}

    row = await uow.in_transaction(ctx, work)
    if row is None:
        try:
            await ctx.db.signup_locks.insert_one({"_id": actor.id, "seq": 0})
        except DuplicateKeyError:
            pass  # a racing first sign-up made it
        row = await uow.in_transaction(ctx, work)
    if row is None:  # the lock exists now; only its removal under our feet gets here
        raise Conflict("报名繁忙，请稍后重试", code="signup_busy")
    return row


async def _refuse_overlap(ctx: Context, row: dict[str, Any], session: AsyncClientSession) -> None:
    """409 naming the member's held sign-up that overlaps `row` in time, if there is one."""
    cursor = ctx.db.activity_signups.find(
        {
            "member_id": row["member_id"],
            "status": {"$in": list(HOLDING)},
            "start_at": {"$lt": row["end_at"]},
            "end_at": {"$gt": row["start_at"]},
            "activity_id": {"$ne": row["activity_id"]},
        },
        # the member's sign-ups ending after this one starts: their future, not their past
        hint=[("member_id", 1), ("end_at", 1)],
        session=session,
    ).limit(1)
    for other in await cursor.to_list(1):
        title = await ctx.db.activities.find_one(
            {"_id": other["activity_id"]}, {"title": 1}, session=session
        )
        raise Conflict(
            f"您已报名同一时段的活动「{(title or {}).get('title', '')}」，时间冲突",
            code="activity_overlap",
        )


async def _back_out(ctx: Context, row: dict[str, Any]) -> None:
    await ctx.db.activity_signups.update_one(
        {"_id": row["_id"], "status": PENDING},
        {"$set": {"status": WITHDRAWN, "updated_at": ctx.now()}, "$inc": {"version": 1}},
    )


async def sign_up(ctx: Context, actor: Actor, activity_id: ObjectId) -> dict[str, Any]:
    """报名: a place if one is free and nobody waits, else a spot on the waiting list."""
    activity = await get_visible(ctx, actor, activity_id)
    if not may_join(activity, actor):
        raise Forbidden("您不在该活动的报名范围内", code="not_eligible")
    if activity["status"] != PUBLISHED:
        raise Conflict("活动当前不在报名阶段", code="signup_closed")
    now = ctx.now()
    opens = activity.get("signup_opens_at")
    closes = activity.get("signup_closes_at") or activity["start_at"]
    if opens is not None and now < opens:
        raise Conflict(f"报名尚未开始，{local_time(opens)} 开放报名", code="signup_not_open")
    if now >= closes:
        raise Conflict("报名已截止", code="signup_closed")
    row = await _claim_row(ctx, activity, actor)
    capacity = activity.get("capacity")
    took_filter: dict[str, Any] = {"_id": activity["_id"], "status": PUBLISHED}
    if capacity is not None:
        took_filter.update(signed_up={"$lt": capacity}, waiting=0)
    took = await ctx.db.activities.update_one(took_filter, {"$inc": {"signed_up": 1}})
    if took.modified_count == 1:
        status, queued = CONFIRMED, None
    else:
        joined = await ctx.db.activities.update_one(
            {"_id": activity["_id"], "status": PUBLISHED}, {"$inc": {"waiting": 1}}
        )
        if joined.modified_count != 1:
            await _back_out(ctx, row)
            raise Conflict("活动当前不在报名阶段", code="signup_closed")
        status, queued = WAITING, now
    await ctx.db.activity_signups.update_one(
        {"_id": row["_id"]},
        {
            "$set": {"status": status, "queued_at": queued, "updated_at": now},
            "$inc": {"version": 1},
        },
    )
    row = {**row, "status": status, "queued_at": queued, "version": row["version"] + 1}
    if status == WAITING:
        await fill_from_waitlist(ctx, activity["_id"])
        row = await ctx.db.activity_signups.find_one({"_id": row["_id"]}) or row
    elif capacity is not None:
        await _tell_if_full(ctx, activity["_id"])
    return row


async def _tell_if_full(ctx: Context, activity_id: ObjectId) -> None:
    activity = await ctx.db.activities.find_one(
        {"_id": activity_id}, {"timeline": 0, "org_path": 0}
    )
    if activity and activity.get("capacity") is not None:
        if activity["signed_up"] >= activity["capacity"]:
            await notices.full(ctx, activity)


async def fill_from_waitlist(ctx: Context, activity_id: ObjectId) -> int:
    """Give free places to the first on the waiting list, in order; returns how many."""
    promoted = 0
    while True:
        activity = await ctx.db.activities.find_one({"_id": activity_id}, {"timeline": 0})
        if activity is None or activity["status"] not in LIVE or activity.get("waiting", 0) <= 0:
            return promoted
        capacity = activity.get("capacity")
        cap_filter: dict[str, Any] = {"signed_up": {"$lt": capacity}} if capacity else {}
        if capacity is not None and activity["signed_up"] >= capacity:
            return promoted
        took = await ctx.db.activities.update_one(
            {"_id": activity_id, "waiting": {"$gt": 0}, **cap_filter},
            {"$inc": {"signed_up": 1, "waiting": -1}},
        )
        if took.modified_count != 1:
            return promoted
        first = await _promote_first(ctx, activity_id)
        if first is None:  # the counted spot is a join or a withdrawal still in flight
            await ctx.db.activities.update_one(
                {"_id": activity_id}, {"$inc": {"signed_up": -1, "waiting": 1}}
            )
            return promoted
        promoted += 1
        await notices.promoted(ctx, activity, first)


async def _promote_first(ctx: Context, activity_id: ObjectId) -> dict[str, Any] | None:
    for _ in range(20):
        cursor = (
            ctx.db.activity_signups.find({"activity_id": activity_id, "status": WAITING})
            .sort([("queued_at", 1), ("_id", 1)])
            .limit(1)
        )
        rows = await cursor.to_list(1)
        if not rows:
            return None
        first = rows[0]
        moved = await ctx.db.activity_signups.update_one(
            {"_id": first["_id"], "status": WAITING},
            {
                "$set": {"status": CONFIRMED, "promoted_at": ctx.now(), "updated_at": ctx.now()},
                "$inc": {"version": 1},
            },
        )
        if moved.modified_count == 1:
            return {**first, "status": CONFIRMED, "version": first.get("version", 0) + 1}
    return None


async def cancel_signup(ctx: Context, actor: Actor, activity_id: ObjectId) -> dict[str, Any]:
    """取消报名: the place goes to the first on the waiting list, who is told."""
    activity = await get_visible(ctx, actor, activity_id)
    row = await ctx.db.activity_signups.find_one(
        {"activity_id": activity["_id"], "member_id": actor.id}
    )
    if row is None or row["status"] not in (CONFIRMED, WAITING):
        raise Conflict("您没有报名该活动", code="not_signed_up")
    if activity["status"] not in LIVE:
        raise Conflict("活动已结束或已取消，不能取消报名", code="signup_closed")
    if row.get("checkin_at"):
        raise Conflict("您已签到，不能取消报名", code="already_checked_in")
    moved = await ctx.db.activity_signups.update_one(
        {"_id": row["_id"], "status": row["status"], "version": row.get("version", 0)},
        {
            "$set": {"status": WITHDRAWN, "withdrawn_at": ctx.now(), "updated_at": ctx.now()},
            "$inc": {"version": 1},
        },
    )
    if moved.modified_count != 1:
        raise Conflict("报名状态已变化，请刷新后重试", code="signup_changed")
    counter = "signed_up" if row["status"] == CONFIRMED else "waiting"
    await ctx.db.activities.update_one({"_id": activity["_id"]}, {"$inc": {counter: -1}})
    await fill_from_waitlist(ctx, activity["_id"])
    return {**row, "status": WITHDRAWN}


async def my_signup(
    ctx: Context, activity_id: ObjectId, member_id: ObjectId
) -> dict[str, Any] | None:
    return await ctx.db.activity_signups.find_one(
        {"activity_id": activity_id, "member_id": member_id}
    )


async def counter_drift(ctx: Context) -> list[dict[str, Any]]:
    """Activities whose counters (places, list, checked in/out) differ from their sign-ups."""
    problems = []
    cursor = ctx.db.activities.find(
        {"status": {"$in": [*LIVE, "ended"]}},
        {"signed_up": 1, "waiting": 1, "checked_in": 1, "checked_out": 1, "title": 1},
    )
    async for activity in cursor:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"activity_id": activity["_id"], "status": {"$in": [CONFIRMED, WAITING]}}},
            {
                "$group": {
                    "_id": "$status",
                    "n": {"$sum": 1},
                    "checked_in": {"$sum": {"$cond": [{"$ifNull": ["$checkin_at", False]}, 1, 0]}},
                    "checked_out": {
                        "$sum": {"$cond": [{"$ifNull": ["$checkout_at", False]}, 1, 0]}
                    },
                }
            },
        ]
        found = {"signed_up": 0, "waiting": 0, "checked_in": 0, "checked_out": 0}
        async for row in await ctx.db.activity_signups.aggregate(pipeline):
            found["signed_up" if row["_id"] == CONFIRMED else "waiting"] = row["n"]
            if row["_id"] == CONFIRMED:
                found["checked_in"] = row["checked_in"]
                found["checked_out"] = row["checked_out"]
        cached = {k: activity.get(k, 0) for k in found}
        if cached != found:
            problems.append(
                {
                    "activity_id": activity["_id"],
                    "title": activity.get("title"),
                    "cached": cached,
                    "found": found,
                }
            )
    return problems


async def repair_counters(ctx: Context, problems: list[dict[str, Any]]) -> int:
    for p in problems:
        await ctx.db.activities.update_one({"_id": p["activity_id"]}, {"$set": p["found"]})
    return len(problems)
