"""The order state machine (群众点单 → 组织下单 → 队员接单): one function per transition.

Each reads the order, checks role and scope, then applies a conditional update on the
state and version it read, pushing the timeline event in the same write: of two racing
actors exactly one wins, the other gets a 409.

The update filters on `{_id}` alone and carries the state/version check inside a pipeline
update (`$cond`): a stale version changes nothing (modified_count 0 → 409). On SecantusDB a
multi-field filter costs ~2.5× an `{_id}` filter. A member's `open_orders` counter moves in
the same transaction as the accept, decline or completion that changes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.media import safety
from models.media import service as media
from models.orders.states import (
    ACCEPTED,
    CANCELLED,
    CLOSED,
    COMPLETED,
    DISPATCHED,
    IN_SERVICE,
    OPEN_FOR_ASSIGNEE,
    REJECTED,
    SUBMITTED,
)
from models.orders.transition import apply, in_transaction_once, need
from models.orders.visibility import (
    _eligible,
    can_view,
    get_visible,
    placed_by,
    refuse_own_order,
)
from models.people import orgs
from models.people.users import SYSTEM, Actor
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed


async def dispatch_order(
    ctx: Context, actor: Actor, order_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """组织下单: to named volunteers, or to the task hall of a scope, with a due time."""
    order = await get_visible(ctx, actor, order_id)
    if not actor.manages(order["org_path"]):
        raise Forbidden("只有本组织的管理员可以派单")
    need(order, SUBMITTED)
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
            {"name": 1, "org_path": 1, "pool_path": 1, "phone": 1, "role": 1},
        ).to_list(None)
        # in the caller's subtree, or in the volunteer pool of a community in it (双报到)
        ok = {
            u["_id"]: u
            for u in found
            if actor.org_id in u.get("org_path", []) or actor.org_id in u.get("pool_path", [])
        }
        if len(ok) != len(volunteer_ids):
            raise ValidationFailed(fields={"volunteer_ids": "队员不存在或不在本组织范围内"})
        if any(placed_by(order, Actor.from_user(u)) for u in ok.values()):
            raise ValidationFailed(fields={"volunteer_ids": "不能指派下单人本人承接自己的工单"})
        names = [ok[v].get("name") or "" for v in volunteer_ids]
    note = data.get("note") or ""
    summary = "发布到任务大厅" if to_hall else "指派给 " + "、".join(names)
    if volunteer_ids and to_hall:
        summary = "指派给 " + "、".join(names) + "，并发布到任务大厅"
    return await apply(
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
        event_extra={
            "candidates": volunteer_ids,
            "hall_org_id": hall_org_id,
            "audit_after": {"due_at": due_at},
        },
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
        need(order, DISPATCHED)
    if not _eligible(order, actor):
        raise NotFound("找不到该工单", code="order_not_found")
    await refuse_own_order(ctx, order, actor)
    limit = int(ctx.config.orders.max_open_per_member)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        took = await ctx.db.users.update_one(
            {"_id": actor.id, "open_orders": {"$lt": limit}},
            {"$inc": {"open_orders": 1}},
            session=session,
        )
        if took.modified_count != 1:
            raise Conflict(
                f"您已有 {limit} 个在办工单，请先完成后再接单", code="too_many_open_orders"
            )
        try:
            return await apply(
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
                session=session,
                event_extra={"attempt": attempt},
            )
        except Conflict:
            raise Conflict("该工单已被其他队员接单或已变化", code="order_taken") from None

    attempt = ObjectId()
    return await in_transaction_once(ctx, order_id, attempt, work)


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
        need(order, ACCEPTED if order.get("assignee_id") == actor.id else DISPATCHED)
        raise Forbidden("只有被指派的队员可以退回工单")
    verdict = await safety.check_text(ctx, actor, {"reason": reason}, scene=safety.SCENE_COMMENT)
    declines = order.get("decline_count", 0) + 1
    candidates = [c for c in order.get("candidates", []) if c != actor.id]
    eligible = [e for e in order.get("eligible", []) if e != actor.id]
    common = {
        "candidates": candidates,
        "eligible": eligible,
        "decline_count": declines,
        "assignee_id": None,
        "assignee_name": None,
        **{f"moderation.{k}": v for k, v in verdict.held.items()},
    }
    extra = {"$addToSet": {"declined_by": actor.id}}
    if assignee:
        extra["$addToSet"]["past_assignees"] = actor.id
    escalate = declines >= int(ctx.config.orders.escalate_after_declines)
    target = order.get("escalated_to") or order["org_id"]
    back_to_node = escalate or not eligible
    suffix = ""
    if back_to_node:
        parent = order["org_path"][-2] if len(order["org_path"]) > 1 else order["org_id"]
        if escalate:
            target = parent
        suffix = (
            f"；已退回 {declines} 次，上报{await orgs.org_name(ctx, target)}重新派单"
            if escalate
            else "；无可接单队员，待重新派单"
        )

    async def work(session: AsyncClientSession | None) -> dict[str, Any]:
        if back_to_node:
            updated = await apply(
                ctx,
                order,
                actor,
                "decline",
                SUBMITTED,
                set_fields={**common, "eligible": [], "candidates": [], "escalated_to": target},
                extra_update=extra,
                note=reason + suffix,
                event_extra={"org_id": target, "escalated": escalate},
                session=session,
            )
        else:
            updated = await apply(
                ctx,
                order,
                actor,
                "decline",
                DISPATCHED,
                set_fields=common,
                extra_update=extra,
                note=reason,
                session=session,
            )
        if assignee:  # the order leaves the member's hands in the same transaction
            await ctx.db.users.update_one(
                {"_id": actor.id}, {"$inc": {"open_orders": -1}}, session=session
            )
        return updated

    if assignee:
        updated = await uow.in_transaction(ctx, work)
    else:
        updated = await work(None)
    await safety.record(
        ctx, verdict, owner_type="order", owner_id=order_id, org_path=order["org_path"]
    )
    return updated


async def start_order(ctx: Context, actor: Actor, order_id: ObjectId) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if order.get("assignee_id") != actor.id:
        raise Forbidden("只有接单队员可以开始服务")
    need(order, ACCEPTED)
    return await apply(ctx, order, actor, "start", IN_SERVICE, set_fields={"started_at": ctx.now()})


async def complete_order(
    ctx: Context, actor: Actor, order_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if order.get("assignee_id") != actor.id:
        raise Forbidden("只有接单队员可以完成服务")
    need(order, IN_SERVICE)
    verdict = await safety.check_text(
        ctx, actor, {"completion_note": data["note"]}, scene=safety.SCENE_FORUM
    )
    photos = await media.attach(
        ctx, actor, data.get("photos", []), owner_type="order", owner_id=order_id
    )

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        updated = await apply(
            ctx,
            order,
            actor,
            "complete",
            COMPLETED,
            set_fields={
                "completed_at": ctx.now(),
                "completion_note": data["note"],
                "completion_photos": photos,
                **{f"moderation.{k}": v for k, v in verdict.held.items()},
            },
            note=data["note"],
            session=session,
            event_extra={"attempt": attempt},
        )
        await ctx.db.users.update_one(
            {"_id": actor.id},
            {"$inc": {"open_orders": -1}, "$set": {"last_served_at": ctx.now()}},
            session=session,
        )
        return updated

    attempt = ObjectId()
    updated = await in_transaction_once(ctx, order_id, attempt, work)
    await safety.record(
        ctx, verdict, owner_type="order", owner_id=order_id, org_path=order["org_path"]
    )
    return updated


async def escalate_order(ctx: Context, order: dict[str, Any], note: str) -> dict[str, Any] | None:
    """SLA: a submitted order nobody dispatched goes up to the parent of the node in charge.

    A self-transition (submitted → submitted) so it is conditional on the version read and
    leaves a timeline event; None when the node in charge is already the top of the path.
    """
    need(order, SUBMITTED)
    path = list(order["org_path"])
    current = order.get("escalated_to") or order["org_id"]
    index = path.index(current) if current in path else len(path) - 1
    if index == 0:
        return None
    target = path[index - 1]
    return await apply(
        ctx,
        order,
        SYSTEM,
        "escalate",
        SUBMITTED,
        set_fields={"escalated_to": target},
        note=f"{note}，上报{await orgs.org_name(ctx, target)}",
        event_extra={"org_id": target, "escalated": True},
    )


async def cancel_order(
    ctx: Context, actor: Actor, order_id: ObjectId, reason: str
) -> dict[str, Any]:
    order = await get_visible(ctx, actor, order_id)
    if order["resident_id"] != actor.id and not actor.manages(order["org_path"]):
        raise Forbidden("只有下单群众或组织管理员可以取消")
    need(order, SUBMITTED, DISPATCHED)
    return await apply(
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
    need(order, SUBMITTED)
    return await apply(
        ctx, order, actor, "reject", REJECTED, set_fields={"rejected_at": ctx.now()}, note=reason
    )
