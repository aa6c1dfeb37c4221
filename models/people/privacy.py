"""我的数据: export everything stored about a person, and erase it on request.

Erasure keeps the anonymised ledger and order history, so balances, leaderboards and
statistics stay true; what identifies the person (name, phone, openid, address, location,
free text they wrote about themselves) is removed.
"""

from __future__ import annotations

from typing import Any

from models import orders
from models.core.context import Context
from models.people.users import Actor
from server.errors import Conflict
from server.logging import mask_phone

ERASED_NAME = "已注销用户"
ERASED_TEXT = "（用户已注销，内容已删除）"
PRIVATE_USER_FIELDS = {"password_hash"}


async def export_my_data(ctx: Context, actor: Actor) -> dict[str, Any]:
    db = ctx.db
    user = {k: v for k, v in actor.doc.items() if k not in PRIVATE_USER_FIELDS}
    placed = await db.orders.find({"resident_id": actor.id}).to_list(None)
    served = await db.orders.find({"assignee_id": actor.id}, orders.EXCLUDE_TIMELINE).to_list(None)
    for order in served:  # the resident's phone is the volunteer's only between accept and close
        if order["status"] not in orders.OPEN_FOR_ASSIGNEE:
            order["contact_phone"] = mask_phone(order.get("contact_phone"))
    registrations = await db.member_registrations.find({"user_id": actor.id}).to_list(None)
    entries = await db.ledger_entries.find({"member_id": actor.id}).to_list(None)
    sessions = await db.auth_tokens.count_documents({"user_id": actor.id})
    inbox = await db.notifications.find({"user_id": actor.id}).to_list(None)
    quotas = await db.subscribe_quotas.find({"user_id": actor.id}).to_list(None)
    return {
        "user": user,
        "orders_placed": placed,
        "orders_served": served,
        "member_registrations": registrations,
        "ledger_entries": entries,
        "active_sessions": sessions,
        "notifications": inbox,
        "subscriptions": quotas,
        "exported_at": ctx.now(),
    }


async def erase_me(ctx: Context, actor: Actor) -> dict[str, Any]:
    """Erase personal data; refuse while someone else is waiting on this person."""
    db = ctx.db
    if actor.is_staff:
        raise Conflict("管理员账号请由上级组织注销", code="staff_cannot_erase")
    busy = await db.orders.count_documents(
        {"assignee_id": actor.id, "status": {"$in": [orders.ACCEPTED, orders.IN_SERVICE]}}
    )
    if busy:
        raise Conflict("您还有在办的服务工单，请先完成或退回后再注销", code="open_orders")
    # orders still waiting for the organisation are cancelled: nobody can serve an erased person
    waiting = await db.orders.find(
        {"resident_id": actor.id, "status": {"$in": [orders.SUBMITTED, orders.DISPATCHED]}},
        {"_id": 1},
    ).to_list(None)
    for order in waiting:
        try:
            await orders.cancel_order(ctx, actor, order["_id"], "用户注销账号")
        except Conflict:
            pass  # it moved on meanwhile; the erasure below still removes the personal data
    now = ctx.now()
    await db.orders.update_many(
        {"resident_id": actor.id},
        {
            "$set": {
                "contact_name": ERASED_NAME,
                "contact_phone": None,
                "address": ERASED_TEXT,
                "location": None,
                "description": ERASED_TEXT,
                "photos": [],
                "comment": None,
                "timeline.$[mine].actor_name": ERASED_NAME,
            }
        },
        array_filters=[{"mine.actor_id": actor.id}],
    )
    await db.orders.update_many(
        {"assignee_id": actor.id},
        {"$set": {"assignee_name": ERASED_NAME, "timeline.$[mine].actor_name": ERASED_NAME}},
        array_filters=[{"mine.actor_id": actor.id}],
    )
    await db.member_registrations.update_many(
        {"user_id": actor.id},
        {"$set": {"name": ERASED_NAME, "phone": None, "home_location": None}},
    )
    await db.users.update_one(
        {"_id": actor.id},
        {
            "$set": {
                "name": ERASED_NAME,
                "phone": None,
                "home_location": None,
                "skills": [],
                "deleted_at": now,
                "updated_at": now,
            },
            "$unset": {"openid": "", "unionid": "", "username": "", "password_hash": ""},
        },
    )
    await db.auth_tokens.delete_many({"user_id": actor.id})
    await db.wechat_sessions.delete_many({"_id": actor.id})
    await db.notifications.delete_many({"user_id": actor.id})
    await db.subscribe_quotas.delete_many({"user_id": actor.id})
    # the delivery log keeps that a message went out, not to whom or what it said
    await db.subscribe_deliveries.update_many(
        {"user_id": actor.id, "status": "pending"}, {"$set": {"status": "cancelled"}}
    )
    await db.subscribe_deliveries.update_many(
        {"user_id": actor.id}, {"$set": {"openid": None, "data": {}, "erased": True}}
    )
    return {"ok": True, "erased_at": now, "cancelled_orders": len(waiting)}
