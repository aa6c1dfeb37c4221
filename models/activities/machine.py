"""The activity state machine: draft → published → in_progress → ended → settled, or
cancelled. One function per transition.

Each reads the activity, checks the organiser's scope, then applies a conditional update
on the state and version it read, pushing the timeline event in the same write: of two
racing actors exactly one wins, the other gets a 409. Edits are self-transitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.activities import notices
from models.activities.states import (
    CANCELLED,
    DRAFT,
    ENDED,
    IN_PROGRESS,
    KINDS,
    LIVE,
    ORG_LIFE,
    POINTS_MODES,
    PUBLISHED,
    SETTLED,
    STATUS_NAMES,
)
from models.activities.visibility import get_organised
from models.core import statemachine
from models.core.context import Context
from models.core.statemachine import timeline_event
from models.media import guard
from models.ops import audit
from models.people import orgs
from models.people.users import SYSTEM, Actor
from server.errors import Conflict, NotFound, ValidationFailed


async def _apply(
    ctx: Context,
    activity: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    *,
    set_fields: dict[str, Any] | None = None,
    note: str = "",
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    """Move `activity` from the state and version it was read in to `to`, or 409."""
    frm = activity["status"]
    merged = await statemachine.move(
        ctx.db.activities,
        activity,
        timeline_event(actor, ctx.now(), action, frm, to, note),
        conflict=Conflict("活动状态已变化，请刷新后重试", code="activity_state_changed"),
        set_fields=set_fields,
        session=session,
    )
    if actor.is_staff:  # every staff action is audited, whichever door it came through
        await audit.record(
            ctx,
            actor,
            f"activity.{action}",
            org_path=activity["org_path"],
            target_type="activity",
            target_id=activity["_id"],
            target_label=activity["title"],
            reason=note,
            before={"status": frm, **{k: activity.get(k) for k in (set_fields or {})}},
            after={"status": to, **(set_fields or {})},
        )
    if "timeline" not in activity:  # read without it: do not pretend to hold the whole list
        merged.pop("timeline")
    return merged


def need(activity: dict[str, Any], *statuses: str) -> None:
    if activity["status"] not in statuses:
        raise Conflict(
            f"活动当前状态为「{STATUS_NAMES[activity['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


def _check_times(ctx: Context, data: dict[str, Any], *, creating: bool) -> None:
    start, end = data["start_at"], data["end_at"]
    if end <= start:
        raise ValidationFailed(fields={"end_at": "结束时间必须晚于开始时间"})
    if end - start > timedelta(days=7):
        raise ValidationFailed(fields={"end_at": "一次活动不能超过 7 天"})
    if creating and start <= ctx.now():
        raise ValidationFailed(fields={"start_at": "开始时间必须晚于当前时间"})
    opens, closes = data.get("signup_opens_at"), data.get("signup_closes_at")
    if closes is not None and closes > end:
        raise ValidationFailed(fields={"signup_closes_at": "报名截止时间不能晚于活动结束"})
    if opens is not None and closes is not None and opens >= closes:
        raise ValidationFailed(fields={"signup_opens_at": "报名开始时间必须早于截止时间"})


def _rules(ctx: Context, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Points and hours rules: 三会一课 and 主题党日 record attendance only unless told."""
    org_life = kind in ORG_LIFE
    mode = data.get("points_mode") or ("none" if org_life else "per_hour")
    if mode not in POINTS_MODES:
        raise ValidationFailed(fields={"points_mode": "积分规则无效"})
    value = float(data.get("points_value") or 0)
    if mode == "per_hour" and not data.get("points_mode") and not value:
        value = float(ctx.config.activities.default_points_per_hour)
    if mode != "none" and value <= 0:
        raise ValidationFailed(fields={"points_value": "请填写大于 0 的积分"})
    award_hours = data.get("award_hours")
    return {
        "points_mode": mode,
        "points_value": value if mode != "none" else 0,
        "award_hours": (not org_life) if award_hours is None else bool(award_hours),
    }


async def create_activity(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A draft (or, with `publish`, a published activity) at a node the caller manages."""
    org = await orgs.get_org(ctx, data["org_id"])
    if not actor.manages(org["path"]):
        raise NotFound("找不到该组织", code="org_not_found")
    if data["kind"] not in KINDS:
        raise ValidationFailed(fields={"kind": "活动类型无效"})
    _check_times(ctx, data, creating=True)
    photos = list(dict.fromkeys(data.get("photos") or []))
    verdict = await guard.screen(
        ctx,
        actor,
        {"title": data["title"], "description": data.get("description", "")},
        {"photos": photos},
    )
    now = ctx.now()
    cfg = ctx.config.activities
    publish = bool(data.get("publish"))
    status = PUBLISHED if publish else DRAFT
    events = [timeline_event(actor, ctx.now(), "create", None, DRAFT)]
    if publish:
        events.append(timeline_event(actor, ctx.now(), "publish", DRAFT, PUBLISHED))
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "status": status,
        "version": 0,
        "kind": data["kind"],
        "org_id": org["_id"],
        "org_name": org["name"],
        "org_path": org["path"],
        "title": data["title"],
        "description": data.get("description", ""),
        "photos": photos,
        "moderation": verdict.held,
        "address": data.get("address", ""),
        "location": data.get("location"),
        "radius_m": int(data.get("radius_m") or cfg.default_radius_m),
        "start_at": data["start_at"],
        "end_at": data["end_at"],
        "signup_opens_at": data.get("signup_opens_at") or now,
        "signup_closes_at": data.get("signup_closes_at") or data["start_at"],
        "capacity": data.get("capacity"),
        "signed_up": 0,
        "waiting": 0,
        "open_to_residents": bool(data.get("open_to_residents")),
        **_rules(ctx, data["kind"], data),
        "minutes": "",
        "minutes_photos": [],
        "reminded": [],
        "created_by": actor.id,
        "created_at": now,
        "updated_at": now,
        "published_at": now if publish else None,
        "timeline": events,
    }
    await guard.insert_settled(
        ctx, actor, verdict, "activities", doc, owner_type="activity", photos={"photos": photos}
    )
    await audit.record(
        ctx,
        actor,
        "activity.publish" if publish else "activity.create",
        org_path=org["path"],
        target_type="activity",
        target_id=doc["_id"],
        target_label=doc["title"],
        after={"status": status, "start_at": doc["start_at"], "capacity": doc["capacity"]},
    )
    return doc


EDITABLE = (
    "title",
    "description",
    "photos",
    "address",
    "location",
    "radius_m",
    "start_at",
    "end_at",
    "signup_opens_at",
    "signup_closes_at",
    "capacity",
    "open_to_residents",
    "points_mode",
    "points_value",
    "award_hours",
)
AFTER_THE_FACT = ("minutes", "minutes_photos", "description", "photos")


async def edit_activity(
    ctx: Context, actor: Actor, activity_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """修改活动: everything while a draft or open; minutes and photos after it ends.

    A change of time or place after publishing is sent to everyone signed up.
    """
    from models.activities import signup

    activity = await get_organised(ctx, actor, activity_id)
    status = activity["status"]
    allowed = EDITABLE + AFTER_THE_FACT if status in (DRAFT, *LIVE) else AFTER_THE_FACT
    if status == CANCELLED:
        need(activity, DRAFT, *LIVE, ENDED, SETTLED)
    bad = [k for k in data if k not in allowed]
    if bad:
        raise Conflict(
            f"活动「{STATUS_NAMES[status]}」时不能修改：{'、'.join(bad)}", code="not_editable"
        )
    data = dict(data)
    if "signup_opens_at" in data and data["signup_opens_at"] is None:
        data["signup_opens_at"] = activity.get("published_at") or activity["created_at"]
    if "signup_closes_at" in data and data["signup_closes_at"] is None:  # until the start
        data["signup_closes_at"] = data.get("start_at") or activity["start_at"]
    changes = {k: v for k, v in data.items() if activity.get(k) != v}
    if not changes:
        return activity
    merged = {**activity, **changes}
    if status == IN_PROGRESS and "start_at" in changes:
        raise Conflict("活动已开始，不能修改开始时间", code="not_editable")
    if {"start_at", "end_at", "signup_opens_at", "signup_closes_at"} & set(changes):
        _check_times(ctx, merged, creating=status == DRAFT)
    if {"points_mode", "points_value", "award_hours"} & set(changes):
        changes.update(_rules(ctx, activity["kind"], merged))
    capacity = changes.get("capacity", activity.get("capacity"))
    if "capacity" in changes and capacity is not None and capacity < activity.get("signed_up", 0):
        raise ValidationFailed(
            fields={"capacity": f"已有 {activity.get('signed_up', 0)} 人报名，名额不能少于此数"}
        )
    note = "修改：" + "、".join(sorted(changes))
    texts: dict[str, Any] = {
        k: changes[k] for k in ("title", "description", "minutes") if k in changes
    }
    photos: dict[str, Sequence[ObjectId]] = {
        k: [m for m in dict.fromkeys(changes[k] or []) if m not in (activity.get(k) or [])]
        for k in ("photos", "minutes_photos")
        if k in changes
    }
    verdict = await guard.screen(ctx, actor, texts, photos, owner_id=activity["_id"])
    updated = await _apply(
        ctx,
        activity,
        actor,
        "minutes" if set(changes) <= {"minutes", "minutes_photos"} else "edit",
        status,
        set_fields={**changes, **guard.held_fields(verdict)},
        note=note,
    )
    await guard.settle(
        ctx,
        actor,
        verdict,
        owner_type="activity",
        owner_id=activity["_id"],
        org_path=activity["org_path"],
        photos=photos,
    )
    moved = {"start_at", "end_at"} & set(changes)
    if moved:
        await ctx.db.activity_signups.update_many(
            {"activity_id": activity["_id"]},
            {"$set": {"start_at": updated["start_at"], "end_at": updated["end_at"]}},
        )
    if status in LIVE and (moved or {"address", "location"} & set(changes)):
        await notices.changed(ctx, updated, "时间" if moved else "地点")
    if "capacity" in changes and status in LIVE:
        await signup.fill_from_waitlist(ctx, activity["_id"])
    return updated


async def publish_activity(ctx: Context, actor: Actor, activity_id: ObjectId) -> dict[str, Any]:
    activity = await get_organised(ctx, actor, activity_id)
    need(activity, DRAFT)
    if activity["start_at"] <= ctx.now():
        raise Conflict("开始时间已过，请先修改活动时间", code="activity_in_past")
    return await _apply(
        ctx, activity, actor, "publish", PUBLISHED, set_fields={"published_at": ctx.now()}
    )


async def cancel_activity(
    ctx: Context, actor: Actor, activity_id: ObjectId, reason: str
) -> dict[str, Any]:
    """取消活动: everyone signed up (or waiting) is told."""
    activity = await get_organised(ctx, actor, activity_id)
    need(activity, DRAFT, *LIVE)
    updated = await _apply(
        ctx,
        activity,
        actor,
        "cancel",
        CANCELLED,
        set_fields={"cancelled_at": ctx.now(), "cancel_reason": reason},
        note=reason,
    )
    if activity["status"] != DRAFT:
        await notices.cancelled(ctx, updated, reason)
    return updated


async def start_activity(ctx: Context, activity: dict[str, Any]) -> dict[str, Any]:
    """Time-driven: a published activity whose start has come is in progress."""
    need(activity, PUBLISHED)
    return await _apply(ctx, activity, SYSTEM, "start", IN_PROGRESS)


async def end_activity(ctx: Context, activity: dict[str, Any]) -> dict[str, Any]:
    """Time-driven: at the end forgotten check-outs are closed (and flagged), then ended."""
    from models.activities import checkin

    need(activity, PUBLISHED, IN_PROGRESS)
    closed = await checkin.close_forgotten_checkouts(ctx, activity)
    note = f"{closed} 人未签退，按活动结束时间签退" if closed else ""
    return await _apply(
        ctx,
        activity,
        SYSTEM,
        "end",
        ENDED,
        set_fields={"ended_at": ctx.now(), "forgotten_checkouts": closed},
        note=note,
    )


def is_over(activity: dict[str, Any], now: datetime) -> bool:
    return activity["end_at"] <= now
