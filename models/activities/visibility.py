"""Who sees an activity, who may join it, who organises it; the lists and the JSON shapes."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.activities.states import (
    ACTION_NAMES,
    CONFIRMED,
    DRAFT,
    ENDED,
    EXCLUDE_TIMELINE,
    HOLDING,
    KIND_NAMES,
    LIVE,
    ORG_LIFE,
    POINTS_MODES,
    PUBLISHED,
    SIGNUP_NAMES,
    STATUS_NAMES,
    VISIBLE_STATUSES,
    WAITING,
)
from models.core import paging
from models.core.context import Context
from models.core.geo import distance_km
from models.media import safety
from models.media import service as media
from models.people import orgs
from models.people.users import Actor
from server.errors import NotFound, ValidationFailed


def organises(activity: dict[str, Any], actor: Actor) -> bool:
    """The staff of the organising node or above run the activity (QR, attendance, settle)."""
    return actor.manages(activity["org_path"])


def pool_nodes(actor: Actor) -> list[ObjectId]:
    """双报到: the community a member reported to (and the nodes above it), while confirmed.

    The report's confirmation sets `pool_path` on the member and its end clears it
    (models/reports), so an ended report stops showing the community's activities at once.
    """
    return list(actor.doc.get("pool_path") or []) if actor.is_member else []


def in_members_nodes(activity: dict[str, Any], actor: Actor) -> bool:
    """On the member's own path, or a volunteer activity of their 双报到 community's path
    (三会一课 and 主题党日 stay with the member's own branch)."""
    if activity["org_id"] in actor.org_path:
        return True
    return activity["org_id"] in pool_nodes(actor) and activity.get("kind") not in ORG_LIFE


def can_view(activity: dict[str, Any], actor: Actor) -> bool:
    if organises(activity, actor):
        return True
    if activity["status"] == DRAFT:
        return False
    if in_members_nodes(activity, actor):
        return True
    return bool(activity.get("open_to_residents")) and actor.role == "resident"


def may_join(activity: dict[str, Any], actor: Actor) -> bool:
    """Members of the node's subtree (and its 双报到 pool); residents where it allows."""
    if actor.is_member:
        return in_members_nodes(activity, actor)
    return actor.role == "resident" and bool(activity.get("open_to_residents"))


def not_found() -> NotFound:
    return NotFound("找不到该活动", code="activity_not_found")


async def get_visible(
    ctx: Context, actor: Actor, activity_id: ObjectId, *, timeline: bool = False
) -> dict[str, Any]:
    """The activity if the caller may see it; otherwise 404, never confirming it exists."""
    projection = None if timeline else EXCLUDE_TIMELINE
    activity = await ctx.db.activities.find_one({"_id": activity_id}, projection)
    if activity is None or not can_view(activity, actor):
        raise not_found()
    return activity


async def get_organised(ctx: Context, actor: Actor, activity_id: ObjectId) -> dict[str, Any]:
    """The activity if the caller organises it: 404 out of sight, 403 when only a viewer."""
    from server.errors import Forbidden

    activity = await get_visible(ctx, actor, activity_id)
    if not organises(activity, actor):
        raise Forbidden("只有活动组织方可以执行此操作", code="not_organiser")
    return activity


def _near(text: str) -> list[float]:
    try:
        lng, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise ValidationFailed(fields={"near": "格式应为 经度,纬度"}) from None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90) or math.isnan(lng + lat):
        raise ValidationFailed(fields={"near": "经纬度超出范围"})
    return [lng, lat]


async def list_activities(
    ctx: Context,
    actor: Actor,
    *,
    org_id: ObjectId | None,
    kind: str | None,
    near: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Activities the caller may see, latest start first (keyset pages on start_at);
    `near` sorts each page by distance.

    Staff see their subtree (drafts included); members the activities of the nodes on
    their path; residents those open to residents. `org_id` narrows to one node.
    """
    query: dict[str, Any]
    if actor.is_staff:
        if org_id is not None:
            org = await orgs.get_org(ctx, org_id)
            if not actor.manages(org["path"]):
                raise NotFound("找不到该组织", code="org_not_found")
        query = {"org_path": org_id or actor.org_id}
    elif actor.is_member:
        mine = [*actor.org_path, *pool_nodes(actor)]
        nodes = list(dict.fromkeys(o for o in mine if org_id is None or o == org_id))
        query = {"org_id": {"$in": nodes}, "status": {"$in": list(VISIBLE_STATUSES)}}
    else:
        query = {"open_to_residents": True, "status": {"$in": list(VISIBLE_STATUSES)}}
        if org_id is not None:
            query["org_id"] = org_id
    if kind:
        query["kind"] = kind
    if status:
        if "status" in query and status not in query["status"]["$in"]:
            return [], None
        query["status"] = status
    # the planner answers `$in` filters with a scan unless told which index serves them
    hint = (
        [("org_path", 1), ("start_at", -1)]
        if actor.is_staff
        else [("org_id", 1), ("start_at", -1)]
        if actor.is_member
        else [("open_to_residents", 1), ("start_at", -1)]
    )
    items, next_cursor = await paging.newest_of_owner(
        ctx.db.activities,
        query,
        field="start_at",
        cursor=paging.decode(cursor),
        limit=limit,
        projection=EXCLUDE_TIMELINE,
        hint=hint,
        keep=(lambda a: in_members_nodes(a, actor)) if actor.is_member else None,
    )
    if near:
        here = _near(near)
        for item in items:
            where = (item.get("location") or {}).get("coordinates")
            item["distance_km"] = round(distance_km(here, where), 2) if where else None
        items.sort(key=lambda a: math.inf if a["distance_km"] is None else a["distance_km"])
    return items, next_cursor


def places_left(activity: dict[str, Any]) -> int | None:
    capacity = activity.get("capacity")
    if capacity is None:
        return None
    return max(0, int(capacity) - int(activity.get("signed_up", 0)))


def allowed_actions(
    activity: dict[str, Any],
    actor: Actor,
    signup: dict[str, Any] | None,
    now: Any,
    margin: timedelta = timedelta(0),
) -> list[str]:
    """What this caller may do now: the client shows exactly these buttons."""
    status = activity["status"]
    actions: list[str] = []
    holding = signup is not None and signup["status"] in HOLDING
    if organises(activity, actor):
        if status == DRAFT:
            actions += ["edit", "publish", "cancel"]
        if status in LIVE:
            actions += ["edit", "qr", "attendance", "cancel"]
        if status == ENDED:
            actions += ["attendance", "settle"]
        return actions
    opens = activity.get("signup_opens_at")
    closes = activity.get("signup_closes_at")
    if status == PUBLISHED and may_join(activity, actor) and not holding:
        if (opens is None or opens <= now) and (closes is None or now < closes):
            actions.append("signup")
    if holding and status in LIVE:
        actions.append("cancel_signup")
    open_from = activity["start_at"] - margin
    if signup is not None and signup["status"] == CONFIRMED and status in LIVE:
        if open_from <= now <= activity["end_at"] + margin and not signup.get("checkout_at"):
            actions.append("checkout" if signup.get("checkin_at") else "checkin")
    return actions


def activity_json(
    ctx: Context,
    activity: dict[str, Any],
    actor: Actor,
    signup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    loc = activity.get("location")
    out: dict[str, Any] = {
        "id": str(activity["_id"]),
        "status": activity["status"],
        "status_name": STATUS_NAMES[activity["status"]],
        "kind": activity["kind"],
        "kind_name": KIND_NAMES[activity["kind"]],
        "org_id": str(activity["org_id"]),
        "org_name": activity.get("org_name"),
        "title": safety.visible_text(activity, "title", actor, activity.get("created_by")),
        "description": safety.visible_text(
            activity, "description", actor, activity.get("created_by")
        )
        or "",
        "photos": media.photo_json(ctx, activity.get("photos", []), viewer=actor),
        "address": activity.get("address", ""),
        "location": loc,
        "radius_m": activity.get("radius_m"),
        "start_at": activity["start_at"],
        "end_at": activity["end_at"],
        "signup_opens_at": activity.get("signup_opens_at"),
        "signup_closes_at": activity.get("signup_closes_at"),
        "capacity": activity.get("capacity"),
        "signed_up": activity.get("signed_up", 0),
        "waiting": activity.get("waiting", 0),
        "places_left": places_left(activity),
        "open_to_residents": bool(activity.get("open_to_residents")),
        "points_mode": activity.get("points_mode", "none"),
        "points_mode_name": POINTS_MODES.get(activity.get("points_mode", "none"), ""),
        "points_value": round(activity.get("points_value") or 0),
        "award_hours": bool(activity.get("award_hours")),
        "minutes": safety.visible_text(activity, "minutes", actor, activity.get("created_by"))
        or "",
        "minutes_photos": media.photo_json(ctx, activity.get("minutes_photos", []), viewer=actor),
        "distance_km": activity.get("distance_km"),
        "created_at": activity.get("created_at"),
        "updated_at": activity.get("updated_at"),
        "my_signup": signup_json(signup) if signup else None,
        "actions": allowed_actions(
            activity,
            actor,
            signup,
            ctx.now(),
            timedelta(minutes=float(ctx.config.activities.checkin_margin_minutes)),
        ),
    }
    if "timeline" in activity:
        out["timeline"] = [
            {
                "at": e["at"],
                "action": e["action"],
                "action_name": ACTION_NAMES.get(e["action"], e["action"]),
                "actor_name": e.get("actor_name", ""),
                "note": e.get("note", ""),
            }
            for e in activity["timeline"]
        ]
    return out


def signup_json(signup: dict[str, Any], *, with_place: bool = False) -> dict[str, Any]:
    out = {
        "id": str(signup["_id"]),
        "activity_id": str(signup["activity_id"]),
        "member_id": str(signup["member_id"]),
        "member_name": signup.get("member_name", ""),
        "status": signup["status"],
        "status_name": SIGNUP_NAMES.get(signup["status"], signup["status"]),
        "queued_at": signup.get("queued_at"),
        "checkin_at": signup.get("checkin_at"),
        "checkout_at": signup.get("checkout_at"),
        "checkin_method": signup.get("checkin_method"),
        "checkout_method": signup.get("checkout_method"),
        "checkin_distance_m": signup.get("checkin_distance_m"),
        "checkout_distance_m": signup.get("checkout_distance_m"),
        "forgot_checkout": bool(signup.get("forgot_checkout")),
        "hours": signup.get("hours"),
        "attendance": signup.get("attendance"),
        "leave_reason": signup.get("leave_reason", ""),
        "no_show": bool(signup.get("no_show")),
        "settled": bool(signup.get("settled")),
        "points_awarded": None
        if signup.get("points_awarded") is None
        else round(signup["points_awarded"]),
        "hours_awarded": signup.get("hours_awarded"),
    }
    if with_place:
        out["waiting"] = signup["status"] == WAITING
    return out


async def my_activities(
    ctx: Context, actor: Actor, *, when: str | None, cursor: str | None, limit: int
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], str | None]:
    """The caller's sign-ups with their activities: upcoming (start ahead) or past."""
    query: dict[str, Any] = {"member_id": actor.id, "status": {"$in": [*HOLDING, "withdrawn"]}}
    now = ctx.now()
    if when == "upcoming":
        query["end_at"] = {"$gte": now}
        query["status"] = {"$in": list(HOLDING)}
    elif when == "past":
        query["end_at"] = {"$lt": now}
    signups, next_cursor = await paging.newest_of_owner(
        ctx.db.activity_signups,
        query,
        field="start_at",
        cursor=paging.decode(cursor),
        limit=limit,
        hint=[("member_id", 1), ("start_at", -1)],
    )
    ids = [s["activity_id"] for s in signups]
    acts = {
        a["_id"]: a async for a in ctx.db.activities.find({"_id": {"$in": ids}}, EXCLUDE_TIMELINE)
    }
    return [(acts[s["activity_id"]], s) for s in signups if s["activity_id"] in acts], next_cursor
