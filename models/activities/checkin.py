"""签到签退: by the rotating QR code plus the phone's location, or by the organiser's hand
(with a reason, audited); forgotten check-outs closed at the end and flagged; hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne

from models.activities import qr
from models.activities.hours import round_hours, served_hours
from models.activities.states import (
    ATTENDANCE_MARKS,
    CANCELLED,
    CONFIRMED,
    DRAFT,
    ENDED,
    LEAVE,
    LIVE,
    ORG_LIFE,
    PRESENT,
    SETTLED,
    WAITING,
    WITHDRAWN,
)
from models.activities.visibility import get_organised, get_visible
from models.core.context import Context
from models.core.geo import distance_km
from models.ops import audit
from models.people.users import Actor
from server.errors import Conflict, Forbidden, ValidationFailed


def hours_of(ctx: Context, signup: dict[str, Any], activity: dict[str, Any]) -> float:
    cfg = ctx.config.activities
    raw = served_hours(
        signup.get("checkin_at"),
        signup.get("checkout_at"),
        activity["start_at"],
        activity["end_at"],
    )
    return round_hours(raw, float(cfg.hours_step), str(cfg.hours_rounding))


def _margin(ctx: Context) -> timedelta:
    return timedelta(minutes=float(ctx.config.activities.checkin_margin_minutes))


def _check_time(ctx: Context, activity: dict[str, Any], direction: str) -> None:
    now = ctx.now()
    margin = _margin(ctx)
    if activity["status"] in (DRAFT, CANCELLED, SETTLED):
        raise Conflict("活动不在签到时间内", code="checkin_closed")
    if now < activity["start_at"] - margin:
        minutes = int(margin.total_seconds() // 60)
        raise Conflict(
            f"还未到签到时间，活动开始前 {minutes} 分钟开放签到", code="checkin_not_open"
        )
    if now > activity["end_at"] + margin or activity["status"] == ENDED:
        what = "签到" if direction == "in" else "签退"
        raise Conflict(f"活动已结束，{what}时间已过", code="checkin_closed")


def _check_place(ctx: Context, activity: dict[str, Any], data: dict[str, Any]) -> float | None:
    """Metres from the activity's point; refused outside the radius plus the accuracy."""
    where = activity.get("location")
    if not where:
        return None  # an activity without a point (online 党课) checks the token only
    location = data.get("location")
    if not location:
        raise ValidationFailed(
            "请允许获取位置后再扫码，签到需要确认您在活动现场",
            code="location_required",
            fields={"location": "缺少位置"},
        )
    metres = distance_km(location["coordinates"], where["coordinates"]) * 1000
    cap = float(ctx.config.activities.max_accuracy_m)
    accuracy = min(max(float(data.get("accuracy") or 0), 0.0), cap)
    radius = float(activity.get("radius_m") or ctx.config.activities.default_radius_m)
    if metres - accuracy > radius:
        raise Conflict(
            f"您距离活动地点约 {metres:.0f} 米，超出 {radius:.0f} 米签到范围",
            code="too_far",
        )
    return round(metres, 1)


async def _own_signup(ctx: Context, activity: dict[str, Any], actor: Actor) -> dict[str, Any]:
    row = await ctx.db.activity_signups.find_one(
        {"activity_id": activity["_id"], "member_id": actor.id}
    )
    if row is None or row["status"] in (WITHDRAWN,):
        raise Forbidden("您没有报名该活动，不能签到", code="not_signed_up")
    if row["status"] == WAITING:
        raise Forbidden("您还在候补名单中，不能签到", code="still_waiting")
    return row


async def scan(
    ctx: Context, actor: Actor, activity_id: ObjectId, direction: str, data: dict[str, Any]
) -> dict[str, Any]:
    """扫码签到/签退: token genuine, fresh, of this activity; inside the time window and radius."""
    activity = await get_visible(ctx, actor, activity_id)
    row = await _own_signup(ctx, activity, actor)
    token = qr.verify(ctx, data.get("token", ""), activity["_id"], direction)
    used_field = "checkin_token" if direction == "in" else "checkout_token"
    if row.get(used_field) == token.use_key:
        raise Conflict("该二维码您已使用过，请扫描屏幕上的最新二维码", code="qr_replayed")
    _check_time(ctx, activity, direction)
    metres = _check_place(ctx, activity, data)
    now = ctx.now()
    if direction == "in":
        if row.get("checkin_at"):
            raise Conflict("您已签到，无需重复签到", code="already_checked_in")
        filt = {"_id": row["_id"], "checkin_at": None}
        fields = {
            "checkin_at": now,
            "checkin_method": "qr",
            "checkin_location": data.get("location"),
            "checkin_distance_m": metres,
            "checkin_token": token.use_key,
            "attendance": PRESENT,
        }
    else:
        if not row.get("checkin_at"):
            raise Conflict("您还没有签到，请先签到", code="not_checked_in")
        if row.get("checkout_at"):
            raise Conflict("您已签退，无需重复签退", code="already_checked_out")
        filt = {"_id": row["_id"], "checkout_at": None}
        fields = {
            "checkout_at": now,
            "checkout_method": "qr",
            "checkout_location": data.get("location"),
            "checkout_distance_m": metres,
            "checkout_token": token.use_key,
        }
        fields["hours"] = hours_of(ctx, {**row, **fields}, activity)
    fields["updated_at"] = now
    result = await ctx.db.activity_signups.update_one(
        filt, {"$set": fields, "$inc": {"version": 1}}
    )
    if result.modified_count != 1:
        code = "already_checked_in" if direction == "in" else "already_checked_out"
        raise Conflict("已记录，无需重复操作", code=code)
    await _count(ctx, activity["_id"], "checked_in" if direction == "in" else "checked_out")
    return {**row, **fields}


async def _count(ctx: Context, activity_id: ObjectId, counter: str) -> None:
    """The live attendance counters the organiser's screens show (and refresh on)."""
    await ctx.db.activities.update_one(
        {"_id": activity_id}, {"$inc": {counter: 1}, "$set": {"updated_at": ctx.now()}}
    )


async def close_forgotten_checkouts(ctx: Context, activity: dict[str, Any]) -> int:
    """At the end: whoever checked in and never out is checked out at the end, flagged."""
    rows = await ctx.db.activity_signups.find(
        {"activity_id": activity["_id"], "status": CONFIRMED, "checkout_at": None}
    ).to_list(None)
    ops = []
    for row in rows:
        if not row.get("checkin_at"):
            continue
        fields = {"checkout_at": activity["end_at"], "checkout_method": "auto"}
        ops.append(
            UpdateOne(
                {"_id": row["_id"], "checkout_at": None},
                {
                    "$set": {
                        **fields,
                        "forgot_checkout": True,
                        "hours": hours_of(ctx, {**row, **fields}, activity),
                        "updated_at": ctx.now(),
                    },
                    "$inc": {"version": 1},
                },
            )
        )
    if not ops:
        return 0
    result = await ctx.db.activity_signups.bulk_write(ops, ordered=False)
    if result.modified_count:
        await ctx.db.activities.update_one(
            {"_id": activity["_id"]}, {"$inc": {"checked_out": result.modified_count}}
        )
    return result.modified_count


async def attendance(ctx: Context, actor: Actor, activity_id: ObjectId) -> list[dict[str, Any]]:
    """The organiser's attendance list: every sign-up with times, places and hours."""
    activity = await get_organised(ctx, actor, activity_id)
    cursor = ctx.db.activity_signups.find({"activity_id": activity["_id"]}).sort(
        [("status", 1), ("queued_at", 1), ("_id", 1)]
    )
    return await cursor.to_list(None)


MANUAL_ACTIONS = ("checkin", "checkout", "hours", "mark")


async def correct(
    ctx: Context, actor: Actor, activity_id: ObjectId, data: dict[str, Any], ip: str | None = None
) -> dict[str, Any]:
    """The organiser's hand: check someone in or out, correct hours, mark 出席/请假/缺席.

    Every correction needs a reason and goes to the audit log with before and after.
    """
    activity = await get_organised(ctx, actor, activity_id)
    if activity["status"] in (DRAFT, CANCELLED, SETTLED):
        raise Conflict("活动已结算或未进行，不能修改考勤", code="attendance_closed")
    member_id = data["member_id"]
    member = await ctx.db.users.find_one(
        {"_id": member_id, "deleted_at": None},
        {"name": 1, "org_path": 1, "role": 1, "pool_path": 1},
    )
    if member is None or not (
        activity["org_id"] in member.get("org_path", [])
        or (  # 双报到: the community's volunteer pool (not its 三会一课)
            activity["org_id"] in (member.get("pool_path") or [])
            and activity.get("kind") not in ORG_LIFE
        )
    ):
        if member is None or not activity.get("open_to_residents"):
            raise ValidationFailed(fields={"member_id": "该成员不在活动的组织范围内"})
    row = await ctx.db.activity_signups.find_one(
        {"activity_id": activity["_id"], "member_id": member_id}
    )
    now = ctx.now()
    if row is None or row["status"] != CONFIRMED:
        row = await _enrol_by_hand(ctx, activity, member, row)
    action = data["action"]
    at: datetime = data.get("at") or now
    fields: dict[str, Any] = {}
    if action == "checkin":
        fields = {"checkin_at": at, "checkin_method": "manual", "attendance": PRESENT}
        if row.get("checkout_at"):
            fields["hours"] = hours_of(ctx, {**row, **fields}, activity)
    elif action == "checkout":
        if not row.get("checkin_at"):
            raise Conflict("该成员尚未签到，请先补签到", code="not_checked_in")
        if at < row["checkin_at"]:
            raise ValidationFailed(fields={"at": "签退时间不能早于签到时间"})
        fields = {"checkout_at": at, "checkout_method": "manual", "forgot_checkout": False}
        fields["hours"] = hours_of(ctx, {**row, **fields}, activity)
    elif action == "hours":
        if data.get("hours") is None:
            raise ValidationFailed(fields={"hours": "请填写时长"})
        span = (activity["end_at"] - activity["start_at"]).total_seconds() / 3600
        if data["hours"] > span + 1e-9:
            raise ValidationFailed(fields={"hours": f"时长不能超过活动时长 {span:g} 小时"})
        fields = {"hours": float(data["hours"]), "hours_corrected": True}
    elif action == "mark":
        mark = data.get("attendance")
        if mark not in ATTENDANCE_MARKS:
            raise ValidationFailed(fields={"attendance": "请选择出席、请假或缺席"})
        fields = {"attendance": mark, "leave_reason": data["reason"] if mark == LEAVE else ""}
    else:  # pragma: no cover - the schema allows only the actions above
        raise ValidationFailed(fields={"action": "操作无效"})
    fields["updated_at"] = now
    result = await ctx.db.activity_signups.update_one(
        {"_id": row["_id"], "version": row.get("version", 0)},
        {"$set": fields, "$inc": {"version": 1}},
    )
    if result.modified_count != 1:
        raise Conflict("考勤记录已变化，请刷新后重试", code="attendance_changed")
    counter = "attendance_edits"
    if action == "checkin" and not row.get("checkin_at"):
        counter = "checked_in"
    elif action == "checkout" and not row.get("checkout_at"):
        counter = "checked_out"
    await _count(ctx, activity["_id"], counter)
    before = {k: row.get(k) for k in fields if k != "updated_at"}
    after = {k: v for k, v in fields.items() if k != "updated_at"}
    await audit.record(
        ctx,
        actor,
        f"activity.{action}",
        org_path=activity["org_path"],
        target_type="activity",
        target_id=activity["_id"],
        target_label=f"{activity['title']} · {member.get('name', '')}",
        reason=data["reason"],
        before=before,
        after=after,
        ip=ip,
    )
    return {**row, **fields}


async def _enrol_by_hand(
    ctx: Context, activity: dict[str, Any], member: dict[str, Any], row: dict[str, Any] | None
) -> dict[str, Any]:
    """An attendee the organiser adds on the spot (or a 三会一课 attendee): a place beyond
    the capacity, counted like any other."""
    now = ctx.now()
    if row is None:
        row = {
            "_id": ObjectId(),
            "activity_id": activity["_id"],
            "org_path": activity["org_path"],
            "member_id": member["_id"],
            "member_name": member.get("name", ""),
            "member_org_path": member.get("org_path", []),
            "status": CONFIRMED,
            "version": 0,
            "start_at": activity["start_at"],
            "end_at": activity["end_at"],
            "queued_at": None,
            "added_by_hand": True,
            "created_at": now,
            "updated_at": now,
        }
        from pymongo.errors import DuplicateKeyError

        try:
            await ctx.db.activity_signups.insert_one(row)
        except DuplicateKeyError:
            raise Conflict("考勤记录已变化，请刷新后重试", code="attendance_changed") from None
        await ctx.db.activities.update_one({"_id": activity["_id"]}, {"$inc": {"signed_up": 1}})
        return row
    counter = "waiting" if row["status"] == WAITING else None
    moved = await ctx.db.activity_signups.update_one(
        {"_id": row["_id"], "version": row.get("version", 0)},
        {"$set": {"status": CONFIRMED, "added_by_hand": True}, "$inc": {"version": 1}},
    )
    if moved.modified_count != 1:
        raise Conflict("考勤记录已变化，请刷新后重试", code="attendance_changed")
    inc = {"signed_up": 1, **({counter: -1} if counter else {})}
    await ctx.db.activities.update_one({"_id": activity["_id"]}, {"$inc": inc})
    return {**row, "status": CONFIRMED, "version": row.get("version", 0) + 1}


async def current_qr(
    ctx: Context, actor: Actor, activity_id: ObjectId, direction: str
) -> tuple[str, datetime]:
    """The organiser's rotating code, while the activity is open or under way."""
    activity = await get_organised(ctx, actor, activity_id)
    if activity["status"] not in LIVE:
        raise Conflict("活动未发布或已结束，无需签到二维码", code="checkin_closed")
    return qr.issue(ctx, activity["_id"], direction)
