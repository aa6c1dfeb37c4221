"""Service orders (服务工单): the one state machine of 群众点单 → 组织下单 → 队员接单 → 积分.

Every transition is a function here. Each reads the order, checks role and scope, then
applies a conditional update on the state it read (`{"_id": id, "status": from}`), pushing
the timeline event in the same write: of two racing actors exactly one wins, and the other
gets a 409. Points are awarded in the same transaction that closes the order.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models import catalogue, ledger, orgs
from models.context import Context
from models.users import Actor
from server.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from server.logging import mask_phone

SUBMITTED = "submitted"
DISPATCHED = "dispatched"
ACCEPTED = "accepted"
IN_SERVICE = "in_service"
COMPLETED = "completed"
CLOSED = "closed"
CANCELLED = "cancelled"
REJECTED = "rejected"

STATUSES = (SUBMITTED, DISPATCHED, ACCEPTED, IN_SERVICE, COMPLETED, CLOSED, CANCELLED, REJECTED)
OPEN_FOR_ASSIGNEE = (ACCEPTED, IN_SERVICE, COMPLETED)
STATUS_NAMES = {
    SUBMITTED: "待派单",
    DISPATCHED: "待接单",
    ACCEPTED: "已接单",
    IN_SERVICE: "服务中",
    COMPLETED: "待确认",
    CLOSED: "已完成",
    CANCELLED: "已取消",
    REJECTED: "已驳回",
}
ACTION_NAMES = {
    "submit": "群众点单",
    "dispatch": "组织派单",
    "accept": "队员接单",
    "decline": "退回工单",
    "escalate": "上报上级组织",
    "start": "开始服务",
    "complete": "服务完成",
    "confirm": "群众确认",
    "auto_confirm": "超时自动确认",
    "cancel": "取消工单",
    "reject": "驳回工单",
}
EXCLUDE_TIMELINE = {"timeline": 0}


# ---------------------------------------------------------------- reading and scope


def can_view(order: dict[str, Any], actor: Actor) -> bool:
    if order["resident_id"] == actor.id:
        return True
    if actor.manages(order["org_path"]):
        return True
    if actor.is_member:
        if order.get("assignee_id") == actor.id or actor.id in order.get("past_assignees", []):
            return True
        if order["status"] == DISPATCHED and _eligible(order, actor):
            return True
    return False


def _eligible(order: dict[str, Any], actor: Actor) -> bool:
    if actor.id in order.get("declined_by", []):
        return False
    eligible = set(order.get("eligible", []))
    return actor.id in eligible or bool(eligible.intersection(actor.org_path))


def allowed_actions(order: dict[str, Any], actor: Actor) -> list[str]:
    """The transitions this caller may perform now: the client shows exactly these buttons."""
    status = order["status"]
    owner = order["resident_id"] == actor.id
    manager = actor.manages(order["org_path"])
    assignee = order.get("assignee_id") == actor.id
    actions = []
    if status == SUBMITTED and manager:
        actions += ["dispatch", "reject"]
    if status in (SUBMITTED, DISPATCHED) and (owner or manager):
        actions.append("cancel")
    if status == DISPATCHED and actor.is_member and _eligible(order, actor):
        actions.append("accept")
        if actor.id in order.get("candidates", []):
            actions.append("decline")
    if status == ACCEPTED and assignee:
        actions += ["start", "decline"]
    if status == IN_SERVICE and assignee:
        actions.append("complete")
    if status == COMPLETED and owner:
        actions.append("confirm")
    return actions


async def get_visible(
    ctx: Context, actor: Actor, order_id: ObjectId, *, timeline: bool = True
) -> dict[str, Any]:
    """The order if the caller may see it; otherwise 404, never confirming it exists."""
    projection = None if timeline else EXCLUDE_TIMELINE
    order = await ctx.db.orders.find_one({"_id": order_id}, projection)
    if order is None or not can_view(order, actor):
        raise NotFound("找不到该工单", code="order_not_found")
    return order


async def list_orders(
    ctx: Context, actor: Actor, *, scope: str | None, status: str | None, offset: int, limit: int
) -> list[dict[str, Any]]:
    scope = scope or ("org" if actor.is_staff else "assigned" if actor.is_member else "mine")
    query: dict[str, Any]
    if scope == "mine":
        query = {"resident_id": actor.id}
    elif scope == "assigned":
        if not actor.is_member:
            raise Forbidden("只有队员可以查看承接的工单")
        query = {"assignee_id": actor.id}
    elif scope == "org":
        if not actor.is_staff:
            raise Forbidden("只有组织管理员可以查看组织内的工单")
        query = {"org_path": actor.org_id}
    else:
        raise ValidationFailed(fields={"scope": "取值必须是 mine、assigned、org 之一"})
    if status:
        query["status"] = status
    cursor = ctx.db.orders.find(query, EXCLUDE_TIMELINE).sort([("created_at", -1), ("_id", -1)])
    return await cursor.skip(offset).limit(limit + 1).to_list(limit + 1)


async def task_hall(ctx: Context, actor: Actor, offset: int, limit: int) -> list[dict[str, Any]]:
    """队员的任务大厅: dispatched orders this member may take, nearest first when located."""
    if not actor.is_member:
        raise Forbidden("只有队员可以进入任务大厅")
    query = {
        "status": DISPATCHED,
        "eligible": {"$in": [actor.id, *actor.org_path]},
        "declined_by": {"$ne": actor.id},
    }
    cursor = ctx.db.orders.find(query, EXCLUDE_TIMELINE).sort([("dispatched_at", -1), ("_id", -1)])
    items = await cursor.skip(offset).limit(limit + 1).to_list(limit + 1)
    home = (actor.doc.get("home_location") or {}).get("coordinates")
    for item in items:
        where = (item.get("location") or {}).get("coordinates")
        item["distance_km"] = round(distance_km(home, where), 2) if home and where else None
    return items


def order_json(
    ctx: Context, order: dict[str, Any], actor: Actor, *, names: dict[ObjectId, str] | None = None
) -> dict[str, Any]:
    assignee = order.get("assignee_id")
    sees_phone = order["resident_id"] == actor.id or (
        assignee == actor.id and order["status"] in OPEN_FOR_ASSIGNEE
    )
    out: dict[str, Any] = {
        "id": str(order["_id"]),
        "status": order["status"],
        "status_name": STATUS_NAMES[order["status"]],
        "category_id": str(order["category_id"]),
        "category_name": order["category_name"],
        "org_id": str(order["org_id"]),
        "org_name": order.get("org_name"),
        "description": order["description"],
        "address": order["address"],
        "location": order.get("location"),
        "contact_name": order.get("contact_name") or "",
        "contact_phone": order.get("contact_phone")
        if sees_phone
        else mask_phone(order.get("contact_phone")),
        "wanted_at": order.get("wanted_at"),
        "resident_id": str(order["resident_id"]),
        "assignee_id": str(assignee) if assignee else None,
        "assignee_name": order.get("assignee_name"),
        "candidate_ids": [str(x) for x in order.get("candidates", [])],
        "hall_org_id": str(order["hall_org_id"]) if order.get("hall_org_id") else None,
        "due_at": order.get("due_at"),
        "points": order["points"],
        "hours": order["hours"],
        "rating": order.get("rating"),
        "comment": order.get("comment"),
        "completion_note": order.get("completion_note"),
        "photos": order.get("photos", []),
        "completion_photos": order.get("completion_photos", []),
        "decline_count": order.get("decline_count", 0),
        "escalated_to_org_id": str(order["escalated_to"]) if order.get("escalated_to") else None,
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "actions": allowed_actions(order, actor),
    }
    if "distance_km" in order:
        out["distance_km"] = order["distance_km"]
    if "timeline" in order:
        out["timeline"] = [
            {
                "at": e["at"],
                "action": e["action"],
                "action_name": ACTION_NAMES.get(e["action"], e["action"]),
                "from": e.get("from"),
                "to": e["to"],
                "actor_name": e.get("actor_name") or "",
                "actor_role": e.get("actor_role"),
                "note": e.get("note") or "",
            }
            for e in order["timeline"]
        ]
    return out


# ---------------------------------------------------------------- transitions


def _event(
    ctx: Context, actor: Actor, action: str, frm: str | None, to: str, note: str = ""
) -> dict[str, Any]:
    return {
        "at": ctx.now(),
        "action": action,
        "from": frm,
        "to": to,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "actor_role": actor.role,
        "note": note,
    }


async def _apply(
    ctx: Context,
    order: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    *,
    set_fields: dict[str, Any] | None = None,
    extra_update: dict[str, Any] | None = None,
    note: str = "",
    session: AsyncClientSession | None = None,
    event_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move `order` from the state it was read in to `to`, or 409 if someone got there first.

    `event_extra` is stored on the timeline event (never shown): the notifier reads it.
    """
    frm = order["status"]
    event = {**_event(ctx, actor, action, frm, to, note), **(event_extra or {})}
    fields = {"status": to, "updated_at": event["at"], **(set_fields or {})}
    update: dict[str, Any] = {"$set": fields, "$push": {"timeline": event}}
    for op, value in (extra_update or {}).items():
        update.setdefault(op, {}).update(value)
    result = await ctx.db.orders.update_one(
        {"_id": order["_id"], "status": frm, "version": order.get("version", 0)},
        {**update, "$inc": {**update.get("$inc", {}), "version": 1}},
        session=session,
    )
    if result.modified_count != 1:
        raise Conflict("工单状态已变化，请刷新后重试", code="order_state_changed")
    merged = {**order, **fields, "version": order.get("version", 0) + 1}
    merged["timeline"] = [*order.get("timeline", []), event]
    return merged


def _need(order: dict[str, Any], *statuses: str) -> None:
    if order["status"] not in statuses:
        raise Conflict(
            f"工单当前状态为「{STATUS_NAMES[order['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


def _request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


async def place_order(
    ctx: Context, actor: Actor, data: dict[str, Any], idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """群众点单. Returns (order, created); a retried Idempotency-Key returns the first order."""
    category = await catalogue.get_category(ctx, data["category_id"])
    org = await orgs.get_org(ctx, data["org_id"])
    if org["type"] not in ("community", "branch"):
        raise ValidationFailed(fields={"org_id": "请选择社区或支部"})
    now = ctx.now()
    order_id = ObjectId()
    event = _event(ctx, actor, "submit", None, SUBMITTED)
    doc: dict[str, Any] = {
        "_id": order_id,
        "status": SUBMITTED,
        "version": 0,
        "resident_id": actor.id,
        "category_id": category["_id"],
        "category_name": category["name"],
        "skills": category["skills"],
        "points": category["base_points"],
        "hours": category["service_hours"],
        "sla_hours": category["sla_hours"],
        "org_id": org["_id"],
        "org_name": org["name"],
        "org_path": org["path"],
        "description": data["description"],
        "address": data["address"],
        "location": data.get("location"),
        "contact_name": data.get("contact_name") or actor.name,
        "contact_phone": data.get("contact_phone") or actor.doc.get("phone"),
        "wanted_at": data.get("wanted_at"),
        "photos": data.get("photos", []),
        "candidates": [],
        "eligible": [],
        "declined_by": [],
        "decline_count": 0,
        "timeline": [event],
        "created_at": now,
        "updated_at": now,
    }
    if idempotency_key:
        doc["idempotency_key"] = idempotency_key
        doc["request_hash"] = _request_hash(data)
    try:
        await ctx.db.orders.insert_one(doc)
    except DuplicateKeyError:
        if not idempotency_key:
            raise
        first = await ctx.db.orders.find_one(
            {"resident_id": actor.id, "idempotency_key": idempotency_key}
        )
        if first is None:  # pragma: no cover - the key's order cannot vanish
            raise
        if first.get("request_hash") != doc["request_hash"]:
            raise Unprocessable(
                "同一个 Idempotency-Key 不能用于不同的请求", code="idempotency_key_reused"
            ) from None
        return first, False
    return doc, True


async def dispatch_order(
    ctx: Context, actor: Actor, order_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """组织下单: to named volunteers, or to the task hall of a scope, with a due time."""
    order = await get_visible(ctx, actor, order_id)
    if not actor.manages(order["org_path"]):
        raise Forbidden("只有本组织的管理员可以派单")
    _need(order, SUBMITTED)
    volunteer_ids: list[ObjectId] = list(dict.fromkeys(data.get("volunteer_ids") or []))
    to_hall = bool(data.get("to_hall"))
    if not volunteer_ids and not to_hall:
        raise ValidationFailed(
            "请选择队员或发布到任务大厅", fields={"volunteer_ids": "请至少选择一名队员"}
        )
    due_at = data.get("due_at") or ctx.now() + timedelta(hours=order.get("sla_hours") or 48)
    if due_at <= ctx.now():
        raise ValidationFailed(fields={"due_at": "完成时限必须晚于当前时间"})
    eligible: list[ObjectId] = list(volunteer_ids)
    hall_org_id = None
    if to_hall:
        hall_org_id = data.get("hall_org_id") or order["org_id"]
        hall_org = await orgs.get_org(ctx, hall_org_id)
        if not actor.manages(hall_org["path"]):
            raise ValidationFailed(fields={"hall_org_id": "只能发布到本组织范围内的任务大厅"})
        eligible.append(hall_org_id)
    names = []
    if volunteer_ids:
        found = await ctx.db.users.find(
            {"_id": {"$in": volunteer_ids}, "role": "member", "deleted_at": None},
            {"name": 1, "org_path": 1},
        ).to_list(None)
        ok = {u["_id"]: u for u in found if actor.org_id in u.get("org_path", [])}
        if len(ok) != len(volunteer_ids):
            raise ValidationFailed(fields={"volunteer_ids": "队员不存在或不在本组织范围内"})
        names = [ok[v].get("name") or "" for v in volunteer_ids]
    note = data.get("note") or ""
    summary = "发布到任务大厅" if to_hall else "指派给 " + "、".join(names)
    if volunteer_ids and to_hall:
        summary = "指派给 " + "、".join(names) + "，并发布到任务大厅"
    return await _apply(
        ctx,
        order,
        actor,
        "dispatch",
        DISPATCHED,
        set_fields={
            "candidates": volunteer_ids,
            "hall_org_id": hall_org_id,
            "eligible": eligible,
            "due_at": due_at,
            "dispatched_at": ctx.now(),
            "dispatcher_id": actor.id,
        },
        note=f"{summary}{'；' + note if note else ''}",
        event_extra={"candidates": volunteer_ids, "hall_org_id": hall_org_id},
    )


async def accept_order(ctx: Context, actor: Actor, order_id: ObjectId) -> dict[str, Any]:
    """队员接单: exactly one volunteer wins; a member at the open-order limit is refused."""
    if not actor.is_member:
        raise Forbidden("只有队员可以接单")
    order = await ctx.db.orders.find_one({"_id": order_id})
    if order is None or not (_eligible(order, actor) or can_view(order, actor)):
        raise NotFound("找不到该工单", code="order_not_found")
    if order["status"] != DISPATCHED:
        if order["status"] in (*OPEN_FOR_ASSIGNEE, CLOSED) and order.get("assignee_id"):
            raise Conflict("该工单已被其他队员接单", code="order_taken")
        _need(order, DISPATCHED)
    if not _eligible(order, actor):
        raise NotFound("找不到该工单", code="order_not_found")
    limit = int(ctx.config.orders.max_open_per_member)
    took = await ctx.db.users.update_one(
        {"_id": actor.id, "open_orders": {"$lt": limit}}, {"$inc": {"open_orders": 1}}
    )
    if took.modified_count != 1:
        raise Conflict(f"您已有 {limit} 个在办工单，请先完成后再接单", code="too_many_open_orders")
    try:
        return await _apply(
            ctx,
            order,
            actor,
            "accept",
            ACCEPTED,
            set_fields={
                "assignee_id": actor.id,
                "assignee_name": actor.name,
                "assignee_org_path": list(actor.org_path),
                "accepted_at": ctx.now(),
            },
        )
    except Conflict:
        await ctx.db.users.update_one({"_id": actor.id}, {"$inc": {"open_orders": -1}})
        raise Conflict("该工单已被其他队员接单或已变化", code="order_taken") from None


async def decline_order(
    ctx: Context, actor: Actor, order_id: ObjectId, reason: str
) -> dict[str, Any]:
    """退回: a named candidate declines, or the assignee gives the order back.

    Too many declines send the order back to `submitted` with the parent node in charge.
    """
    order = await get_visible(ctx, actor, order_id)
    assignee = order.get("assignee_id") == actor.id and order["status"] == ACCEPTED
    candidate = order["status"] == DISPATCHED and actor.id in order.get("candidates", [])
    if not (assignee or candidate):
        _need(order, ACCEPTED if order.get("assignee_id") == actor.id else DISPATCHED)
        raise Forbidden("只有被指派的队员可以退回工单")
    declines = order.get("decline_count", 0) + 1
    candidates = [c for c in order.get("candidates", []) if c != actor.id]
    eligible = [e for e in order.get("eligible", []) if e != actor.id]
    common = {
        "candidates": candidates,
        "eligible": eligible,
        "decline_count": declines,
        "assignee_id": None,
        "assignee_name": None,
    }
    extra = {"$addToSet": {"declined_by": actor.id}}
    if assignee:
        extra["$addToSet"]["past_assignees"] = actor.id
    escalate = declines >= int(ctx.config.orders.escalate_after_declines)
    if escalate or not eligible:
        parent = order["org_path"][-2] if len(order["org_path"]) > 1 else order["org_id"]
        target = order.get("escalated_to") or order["org_id"]
        if escalate:
            target = parent
        updated = await _apply(
            ctx,
            order,
            actor,
            "decline",
            SUBMITTED,
            set_fields={**common, "eligible": [], "candidates": [], "escalated_to": target},
            extra_update=extra,
            note=reason
            + (
                f"；已退回 {declines} 次，上报{await orgs.org_name(ctx, target)}重新派单"
                if escalate
                else "；无可接单队员，待重新派单"
            ),
            event_extra={"org_id": target, "escalated": escalate},
        )
    else:
        updated = await _apply(
            ctx,
            order,
            actor,
            "decline",
            DISPATCHED,
            set_fields=common,
            extra_update=extra,
            note=reason,
        )
    if assignee:
        await ctx.db.users.update_one({"_id": actor.id}, {"$inc": {"open_orders": -1}})
    return updated


async def start_order(ctx: Context, actor: Actor, order_id: ObjectId) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if order.get("assignee_id") != actor.id:
        raise Forbidden("只有接单队员可以开始服务")
    _need(order, ACCEPTED)
    return await _apply(
        ctx, order, actor, "start", IN_SERVICE, set_fields={"started_at": ctx.now()}
    )


async def complete_order(
    ctx: Context, actor: Actor, order_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if order.get("assignee_id") != actor.id:
        raise Forbidden("只有接单队员可以完成服务")
    _need(order, IN_SERVICE)
    updated = await _apply(
        ctx,
        order,
        actor,
        "complete",
        COMPLETED,
        set_fields={
            "completed_at": ctx.now(),
            "completion_note": data["note"],
            "completion_photos": data.get("photos", []),
        },
        note=data["note"],
    )
    await ctx.db.users.update_one(
        {"_id": actor.id}, {"$inc": {"open_orders": -1}, "$set": {"last_served_at": ctx.now()}}
    )
    return updated


def award_entries(order: dict[str, Any], actor: Actor) -> list[ledger.LedgerEntry]:
    member = order["assignee_id"]
    base = f"order:{order['_id']}:award:{member}"
    common = {
        "member_id": member,
        "source_type": "order",
        "source_id": order["_id"],
        "rule": f"category:{order['category_id']}",
        "actor_id": actor.id,
    }
    return [
        ledger.LedgerEntry(
            kind="points",
            delta=order["points"],
            reason=f"完成服务工单「{order['category_name']}」",
            idempotency_key=f"{base}:points",
            **common,
        ),
        ledger.LedgerEntry(
            kind="hours",
            delta=order["hours"],
            reason=f"服务时长「{order['category_name']}」",
            idempotency_key=f"{base}:hours",
            **common,
        ),
    ]


async def close_and_award(
    ctx: Context,
    actor: Actor,
    order: dict[str, Any],
    *,
    action: str,
    set_fields: dict[str, Any],
    note: str = "",
) -> dict[str, Any]:
    """Close the order and award its points in ONE transaction: both happen or neither."""
    member_path = order.get("assignee_org_path")
    if member_path is None:
        member = await ctx.db.users.find_one({"_id": order["assignee_id"]}, {"org_path": 1})
        member_path = (member or {}).get("org_path", [])
    rating = set_fields.get("rating")
    # marks this call's close event: a commit reported as failed although it landed makes
    # in_transaction run `work` again; the re-run finding the order closed by this very call
    # is a success, not a 409
    attempt = ObjectId()

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        closed = await _apply(
            ctx,
            order,
            actor,
            action,
            CLOSED,
            set_fields=set_fields,
            note=note,
            session=session,
            event_extra={"attempt": attempt},
        )
        also = {"rating_sum": rating, "rating_count": 1} if rating else None
        await ledger.append(
            ctx, session, award_entries(order, actor), org_path=member_path, also_inc=also
        )
        return closed

    try:
        return await ledger.in_transaction(ctx, work)
    except Conflict:
        landed = await ctx.db.orders.find_one({"_id": order["_id"]})
        if (
            landed
            and landed["status"] == CLOSED
            and landed["timeline"][-1].get("attempt") == attempt
        ):
            return landed
        raise


async def confirm_order(
    ctx: Context, actor: Actor, order_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """群众确认并评价; points and hours go to the volunteer in the same transaction."""
    order = await get_visible(ctx, actor, order_id)
    if order["resident_id"] != actor.id:
        raise Forbidden("只有下单群众可以确认")
    _need(order, COMPLETED)
    comment = data.get("comment") or ""
    return await close_and_award(
        ctx,
        actor,
        order,
        action="confirm",
        set_fields={"rating": data["rating"], "comment": comment, "closed_at": ctx.now()},
        note=f"评分 {data['rating']} 星" + (f"：{comment}" if comment else ""),
    )


# The actor of time-driven transitions (jobs): not a user, never authenticates.
SYSTEM = Actor(id=ObjectId("000000000000000000000001"), role="system", name="系统")


async def escalate_order(ctx: Context, order: dict[str, Any], note: str) -> dict[str, Any] | None:
    """SLA: a submitted order nobody dispatched goes up to the parent of the node in charge.

    A self-transition (submitted → submitted) so it is conditional on the version read and
    leaves a timeline event; None when the node in charge is already the top of the path.
    """
    _need(order, SUBMITTED)
    path = list(order["org_path"])
    current = order.get("escalated_to") or order["org_id"]
    index = path.index(current) if current in path else len(path) - 1
    if index == 0:
        return None
    target = path[index - 1]
    return await _apply(
        ctx,
        order,
        SYSTEM,
        "escalate",
        SUBMITTED,
        set_fields={"escalated_to": target},
        note=f"{note}，上报{await orgs.org_name(ctx, target)}",
        event_extra={"org_id": target, "escalated": True},
    )


async def auto_close_order(ctx: Context, order: dict[str, Any], days: float) -> dict[str, Any]:
    """SLA: a completed order the resident never confirmed closes; points as on confirm."""
    _need(order, COMPLETED)
    return await close_and_award(
        ctx,
        SYSTEM,
        order,
        action="auto_confirm",
        set_fields={"closed_at": ctx.now(), "auto_closed": True},
        note=f"超过 {days:g} 天未确认，系统自动确认",
    )


async def cancel_order(
    ctx: Context, actor: Actor, order_id: ObjectId, reason: str
) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if order["resident_id"] != actor.id and not actor.manages(order["org_path"]):
        raise Forbidden("只有下单群众或组织管理员可以取消")
    _need(order, SUBMITTED, DISPATCHED)
    return await _apply(
        ctx,
        order,
        actor,
        "cancel",
        CANCELLED,
        set_fields={"cancelled_at": ctx.now(), "eligible": []},
        note=reason,
    )


async def reject_order(
    ctx: Context, actor: Actor, order_id: ObjectId, reason: str
) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if not actor.manages(order["org_path"]):
        raise Forbidden("只有组织管理员可以驳回")
    _need(order, SUBMITTED)
    return await _apply(
        ctx, order, actor, "reject", REJECTED, set_fields={"rejected_at": ctx.now()}, note=reason
    )


# ---------------------------------------------------------------- recommendation


def distance_km(a: list[float] | None, b: list[float] | None) -> float:
    """Great-circle distance between two [lng, lat] points."""
    if not a or not b:
        return math.inf
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def score_member(
    order: dict[str, Any], member: dict[str, Any], now: Any, max_open: int
) -> tuple[float, list[str]]:
    """Weighted score in [0, 1] and the reasons a secretary reads (in Chinese)."""
    reasons = []
    wanted = set(order.get("skills", []))
    matched = [s for s in member.get("skills", []) if s in wanted]
    skill = len(matched) / len(wanted) if wanted else 0.5
    reasons.append(f"技能匹配：{'、'.join(matched)}" if matched else "无对口技能")

    where = (order.get("location") or {}).get("coordinates")
    home = (member.get("home_location") or {}).get("coordinates")
    km = distance_km(where, home)
    near = 1 / (1 + km) if math.isfinite(km) else 0.2
    reasons.append(f"距离约 {km:.1f} 公里" if math.isfinite(km) else "未登记住址位置")

    open_now = member.get("open_orders", 0)
    load = max(0.0, 1 - open_now / max_open) if max_open else 0.0
    reasons.append(f"当前在办 {open_now} 单")

    last = member.get("last_served_at")
    if last is None:
        rotation = 1.0
        reasons.append("近期未参与服务")
    else:
        days = max(0.0, (now - last).total_seconds() / 86400)
        rotation = min(days, 30) / 30
        reasons.append(f"上次服务在 {int(days)} 天前")

    count = member.get("rating_count", 0)
    avg = member.get("rating_sum", 0) / count if count else None
    rating = avg / 5 if avg else 0.8
    reasons.append(f"平均评分 {avg:.1f}" if avg else "暂无评分")

    score = 0.35 * skill + 0.25 * near + 0.2 * load + 0.1 * rotation + 0.1 * rating
    return round(score, 4), reasons


async def recommend_volunteers(
    ctx: Context, actor: Actor, order_id: ObjectId, limit: int = 10
) -> list[dict[str, Any]]:
    """Rank the members near the order by skill, distance, workload, rotation and rating."""
    order = await get_visible(ctx, actor, order_id, timeline=False)
    if not actor.manages(order["org_path"]):
        raise Forbidden("只有组织管理员可以查看推荐队员")
    all_orgs = await orgs.all_orgs(ctx)
    community = order["org_id"]
    if all_orgs.get(community, {}).get("type") == "branch" and len(order["org_path"]) > 1:
        community = order["org_path"][-2]
    # members under the order's community AND inside the caller's subtree: both nodes lie on
    # the order's path, so that is simply everyone under the deeper of the two (one index)
    path = order["org_path"]
    deeper = max(community, actor.org_id, key=lambda node: path.index(node) if node in path else -1)
    query = {
        "org_path": deeper,
        "role": "member",
        "deleted_at": None,
        "_id": {"$nin": order.get("declined_by", [])},
    }
    projection = {
        "name": 1,
        "skills": 1,
        "org_id": 1,
        "home_location": 1,
        "open_orders": 1,
        "last_served_at": 1,
        "rating_sum": 1,
        "rating_count": 1,
    }
    members = await ctx.db.users.find(query, projection).limit(500).to_list(500)
    max_open = int(ctx.config.orders.max_open_per_member)
    now = ctx.now()
    ranked = []
    for member in members:
        score, reasons = score_member(order, member, now, max_open)
        if member.get("open_orders", 0) >= max_open:
            reasons.append("在办工单已达上限")
            score = 0.0
        ranked.append((score, member, reasons))
    ranked.sort(key=lambda r: (-r[0], str(r[1]["_id"])))
    return [
        {
            "member": {
                "id": str(m["_id"]),
                "name": m.get("name") or "",
                "skills": m.get("skills", []),
                "org_name": all_orgs.get(m.get("org_id"), {}).get("name"),
            },
            "score": score,
            "reasons": reasons,
        }
        for score, m, reasons in ranked[:limit]
    ]
