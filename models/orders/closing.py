"""Closing an order and awarding its points and hours in one transaction (confirm, auto-confirm)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.media import safety
from models.orders.states import CLOSED, COMPLETED
from models.orders.transition import apply, need
from models.orders.visibility import get_visible
from models.people.users import SYSTEM, Actor
from models.points import ledger
from models.rewards import farming
from server.errors import Conflict, Forbidden, ValidationFailed


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
            delta=ledger.whole_points(order["points"]),
            reason=f"完成服务工单「{order['category_name']}」",
            idempotency_key=f"{base}:points",
            **common,
        ),
        ledger.LedgerEntry(
            kind="hours",
            delta=ledger.tenths(order["hours"]),
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
        closed = await apply(
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
        # suspicious awards are held for review instead (models/rewards/farming.py)
        await farming.award_or_hold(
            ctx, session, order, award_entries(order, actor), org_path=member_path, also_inc=also
        )
        return closed

    try:
        return await uow.in_transaction(ctx, work)
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
    behalf_note = (data.get("on_behalf_note") or "").strip()
    on_behalf = order["resident_id"] != actor.id
    if on_behalf:
        # 代确认: staff in scope, for an order placed on the resident's behalf (代下单),
        # after calling the resident; the call is noted and audited
        if not (actor.manages(order["org_path"]) and order.get("placer_id")):
            raise Forbidden("只有下单群众可以确认")
        if not behalf_note:
            raise ValidationFailed(
                fields={
                    "on_behalf_note": "代群众确认时必须填写电话回访记录（如：已电话回访，群众满意）"
                }
            )
    elif behalf_note:
        raise ValidationFailed(fields={"on_behalf_note": "只有工作人员代群众确认时填写"})
    need(order, COMPLETED)
    comment = data.get("comment") or ""
    verdict = await safety.check_text(ctx, actor, {"comment": comment}, scene=safety.SCENE_COMMENT)
    note = f"评分 {data['rating']} 星" + (f"：{comment}" if comment else "")
    extra: dict[str, Any] = {}
    if on_behalf:
        note = f"代群众确认（{behalf_note}）；{note}"
        extra["confirmed_on_behalf"] = {
            "by_id": actor.id,
            "by_name": actor.name,
            "note": behalf_note,
            "at": ctx.now(),
        }
    closed = await close_and_award(
        ctx,
        actor,
        order,
        action="confirm",
        set_fields={
            "rating": data["rating"],
            "comment": comment,
            "closed_at": ctx.now(),
            **extra,
            **{f"moderation.{k}": v for k, v in verdict.held.items()},
        },
        note=note,
    )
    await safety.record(
        ctx, verdict, owner_type="order", owner_id=order_id, org_path=order["org_path"]
    )
    return closed


async def auto_close_order(ctx: Context, order: dict[str, Any], days: float) -> dict[str, Any]:
    """SLA: a completed order the resident never confirmed closes; points as on confirm."""
    need(order, COMPLETED)
    return await close_and_award(
        ctx,
        SYSTEM,
        order,
        action="auto_confirm",
        set_fields={"closed_at": ctx.now(), "auto_closed": True},
        note=f"超过 {days:g} 天未确认，系统自动确认",
    )
