"""我的数据: export everything stored about a person, and erase it on request.

Erasure keeps the anonymised ledger and order history, so balances, leaderboards and
statistics stay true; what identifies the person (name, phone, openid, address, location,
free text they wrote about themselves) is removed.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models import orders
from models.core import uow
from models.core.context import Context
from models.orders import timeline as order_timeline
from models.people import membership
from models.people.users import Actor
from server.errors import Conflict
from server.logging import mask_phone

ERASED_NAME = "已注销用户"
ERASED_TEXT = "（用户已注销，内容已删除）"
# not exported: the password hash, and the search keys (derived from name and phone, shown)
PRIVATE_USER_FIELDS = {"password_hash", "search_keys"}


async def export_my_data(ctx: Context, actor: Actor) -> dict[str, Any]:
    db = ctx.db
    user = {k: v for k, v in actor.doc.items() if k not in PRIVATE_USER_FIELDS}
    placed = await db.orders.find({"resident_id": actor.id}).to_list(None)
    for order in placed:  # the whole history, the older events archived out of the order too
        if order_timeline.archived(order):
            order["timeline"] = await order_timeline.full_history(ctx, order)
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


def anonymous_label(user_id: ObjectId) -> str:
    """What books and logs keep in place of an erased person's name: stable, not personal."""
    return f"{ERASED_NAME}#{str(user_id)[-6:]}"


def _scrub(text: Any, needles: list[str], replacement: str = "***") -> Any:
    if not isinstance(text, str):
        return text
    for needle in needles:
        text = text.replace(needle, replacement)
    return text


def _scrub_deep(value: Any, needles: list[str], replacement: str = "***") -> Any:
    if isinstance(value, dict):
        return {k: _scrub_deep(v, needles, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_deep(v, needles, replacement) for v in value]
    return _scrub(value, needles, replacement)


async def _involvement(ctx: Context, actor: Actor) -> tuple[list[ObjectId], list[str]]:
    """The orders this person placed, served or was named on (their inbox says which), and
    the strings that identify them there: name, phone, and what they wrote on their orders."""
    db = ctx.db
    needles = {actor.name, actor.doc.get("phone") or ""}
    ids: set[ObjectId] = set()
    placed_fields = {
        "address": 1,
        "description": 1,
        "contact_name": 1,
        "contact_phone": 1,
        "comment": 1,
    }
    async for order in db.orders.find({"resident_id": actor.id}, placed_fields):
        ids.add(order["_id"])
        needles.update(str(order.get(k) or "") for k in placed_fields)
    async for order in db.orders.find({"assignee_id": actor.id}, {"completion_note": 1}):
        ids.add(order["_id"])
        needles.add(str(order.get("completion_note") or ""))
    async for note in db.notifications.find({"user_id": actor.id}, {"order_id": 1}):
        if note.get("order_id"):
            ids.add(note["order_id"])
    # longest first, so a phone inside a longer text is not half-replaced
    return sorted(ids), sorted((n for n in needles if len(n) >= 2), key=len, reverse=True)


async def _scrub_orders(
    ctx: Context, actor: Actor, ids: list[ObjectId], needles: list[str]
) -> None:
    """On every involved order: this person's timeline notes go, others' notes lose them."""

    def scrubbed(event: dict[str, Any]) -> dict[str, Any]:
        if event.get("actor_id") == actor.id:
            return {"actor_name": ERASED_NAME, "note": ERASED_TEXT if event.get("note") else ""}
        return {"note": _scrub(event.get("note"), needles, ERASED_NAME)}

    for order_id in ids:
        for _ in range(5):  # conditional on the version read, like every order write
            order = await ctx.db.orders.find_one(
                {"_id": order_id}, {"timeline": 1, "version": 1, "assignee_id": 1}
            )
            if order is None:
                break
            timeline = [{**e, **scrubbed(e)} for e in order.get("timeline", [])]
            fields: dict[str, Any] = {"timeline": timeline}
            if order.get("assignee_id") == actor.id:
                fields["completion_note"] = ERASED_TEXT
            result = await ctx.db.orders.update_one(
                {"_id": order_id, "version": order.get("version", 0)},
                {"$set": fields, "$inc": {"version": 1}},
            )
            if result.modified_count == 1:
                # then the older events, archived out of the order (same treatment): any
                # moved there before this update are scrubbed here, any moved after were
                # scrubbed above
                await order_timeline.rewrite_archived(ctx, [order_id], scrubbed)
                break


async def _scrub_others(
    ctx: Context, actor: Actor, ids: list[ObjectId], needles: list[str]
) -> None:
    """Other people's inboxes and pushes about those orders; names kept on the books (points
    adjustments, audit labels) become an anonymous id so the history still adds up."""
    db = ctx.db
    keys = []
    async for note in db.notifications.find({"order_id": {"$in": ids}}):
        keys.append(note["key"])
        await db.notifications.update_one(
            {"_id": note["_id"]},
            {
                "$set": {
                    "title": _scrub(note.get("title"), needles),
                    "body": _scrub(note.get("body"), needles),
                }
            },
        )
    async for push in db.subscribe_deliveries.find({"key": {"$in": keys}}, {"data": 1}):
        await db.subscribe_deliveries.update_one(
            {"_id": push["_id"]}, {"$set": {"data": _scrub_deep(push.get("data") or {}, needles)}}
        )
    label = anonymous_label(actor.id)
    adjustment_ids = []
    async for adj in db.point_adjustments.find({"member_id": actor.id}, {"_id": 1}):
        adjustment_ids.append(adj["_id"])
    await db.point_adjustments.update_many(
        {"member_id": actor.id}, {"$set": {"member_name": label}}
    )
    # audit entries about the person, their adjustments and their orders (order events are
    # audited with the order's address and the event's note): the name becomes the
    # anonymous id, everything else of theirs "***"
    about = [actor.id, *adjustment_ids, *ids]
    fields = {"target": 1, "after": 1, "reason": 1}
    async for entry in db.audit_log.find({"target.id": {"$in": about}}, fields):
        named = _scrub_deep(
            {k: entry.get(k) for k in ("target", "after", "reason")}, [actor.name], label
        )
        await db.audit_log.update_one({"_id": entry["_id"]}, {"$set": _scrub_deep(named, needles)})
    importer = actor.doc.get("imported_by")
    if importer is not None:  # the roster import's audit entry lists the first names it added
        async for entry in db.audit_log.find(
            {"actor_id": importer, "action": "member.import"}, {"after": 1}
        ):
            await db.audit_log.update_one(
                {"_id": entry["_id"]},
                {"$set": {"after": _scrub_deep(entry.get("after"), [actor.name])}},
            )
    await db.audit_log.update_many({"actor_id": actor.id}, {"$set": {"actor_name": label}})


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
    # read what others hold about this person before the person's own records are blanked
    involved, needles = await _involvement(ctx, actor)
    now = ctx.now()
    await db.orders.update_many(
        {"resident_id": actor.id},
        {
            "$set": {
                "contact_name": ERASED_NAME,
                "contact_phone": None,
                "resident_phone": None,
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

    async def close(session: AsyncClientSession) -> None:
        """The account blanked and, for a member, its nodes' member counters counted down,
        together (conditional on the role and node read, so the counters stay exact)."""
        before = await db.users.find_one(
            {"_id": actor.id, "deleted_at": None},
            {"role": 1, "org_id": 1, "org_path": 1},
            session=session,
        )
        if before is None:
            return
        closed = await db.users.update_one(
            {
                "_id": actor.id,
                "role": before.get("role"),
                "org_id": before.get("org_id"),
                "deleted_at": None,
            },
            {
                "$set": {
                    "name": ERASED_NAME,
                    "phone": None,
                    "home_location": None,
                    "skills": [],
                    "search_keys": [],
                    "deleted_at": now,
                    "updated_at": now,
                },
                "$unset": {"openid": "", "unionid": "", "username": "", "password_hash": ""},
            },
            session=session,
        )
        if closed.modified_count != 1:
            raise Conflict("账号信息刚刚发生变化，请重试", code="account_changed")
        if before.get("role") == "member":
            await membership.move(ctx, session, left=[before.get("org_path") or []])

    await uow.in_transaction(ctx, close)
    await _scrub_orders(ctx, actor, involved, needles)
    await _scrub_others(ctx, actor, involved, needles)
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
