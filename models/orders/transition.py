"""The write primitive of the order state machine: one conditional update per transition.

`apply` moves an order from the state and version it was read in, pushing the timeline
event in the same write (filter on `_id`, the check inside a pipeline update): of two
racing actors exactly one wins, the other gets 409. Staff actions carry their audit mark.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.orders import timeline
from models.orders.states import STATUS_NAMES
from models.people.users import Actor
from server.errors import Conflict
from server.logging import client_ip


def timeline_event(
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


# Staff actions on an order, audited (操作日志) whichever door — admin page or API — they
# came through. The event written in the transition's own update is marked, and the
# outbox pass (orders.notices) turns it into the audit record: no extra round trip.
AUDITED_STAFF_ACTIONS = {
    "dispatch": "order.dispatch",
    "reject": "order.reject",
    "cancel": "order.cancel",
    # staff confirm only on a resident's behalf, after a call (models/orders/closing.py)
    "confirm": "order.confirm_on_behalf",
}


async def apply(
    ctx: Context,
    order: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """Apply a transition; a staff action listed above carries its audit mark."""
    audit_action = AUDITED_STAFF_ACTIONS.get(action) if actor.is_staff else None
    if audit_action is not None:
        mark = {"audit": audit_action, "ip": client_ip.get()}
        kwargs["event_extra"] = {**mark, **(kwargs.get("event_extra") or {})}
    return await write(ctx, order, actor, action, to, **kwargs)


async def write(
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
    version = order.get("version", 0)
    event = {**timeline_event(ctx, actor, action, frm, to, note), **(event_extra or {})}
    # `notify_due`: the notifier's outbox mark (models/orders/notices.py), cleared once told
    fields: dict[str, Any] = {"status": to, "updated_at": event["at"], "notify_due": event["at"]}
    fields.update(set_fields or {})
    add_to_set = (extra_update or {}).get("$addToSet", {})
    # the order keeps at most its newest `keep` events; those moved out are archived in
    # the same transaction, the update applying only while they are still what was read
    keep = timeline.cap(ctx)
    if "timeline" not in order:  # read without it: its events, at the version read
        events = await ctx.db.orders.find_one(
            {"_id": order["_id"]}, {"timeline": 1, "timeline_archived": 1, "version": 1}
        )
        if events is None or events.get("version", 0) != version:
            raise Conflict("工单状态已变化，请刷新后重试", code="order_state_changed")
        order = {**order, **events}
    moved = timeline.falling_off(order, keep)

    async def land(session: AsyncClientSession | None) -> None:
        result = await ctx.db.orders.update_one(
            {"_id": order["_id"]},
            guarded_update(frm, version, fields, event, add_to_set, moved=moved),
            session=session,
        )
        if result.modified_count != 1:
            raise Conflict("工单状态已变化，请刷新后重试", code="order_state_changed")
        if moved and session is not None:
            await timeline.archive(ctx, order, moved, session)

    if moved and session is None:
        await uow.in_transaction(ctx, land)
    else:
        await land(session)
    merged = {**order, **fields, "version": version + 1}
    for name, value in add_to_set.items():
        if value not in merged.get(name, []):
            merged[name] = [*merged.get(name, []), value]
    merged["timeline"] = [*order.get("timeline", []), event][len(moved) :]
    merged["timeline_archived"] = timeline.archived(order) + len(moved)
    return merged


def guarded_update(
    frm: str,
    version: int,
    fields: dict[str, Any],
    event: dict[str, Any],
    add_to_set: dict[str, Any],
    *,
    moved: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """A pipeline update that applies only while the order is still in (`frm`, `version`).

    `moved`: the timeline's oldest events, as read, archived by the caller in the same
    transaction: they must still be there unchanged, and leave the order (`$slice`).
    Every value is `$literal`: user text starting with `$` stays text.
    """
    timeline = {"$ifNull": ["$timeline", []]}
    checks: list[dict[str, Any]] = [
        {"$eq": ["$status", frm]},
        {"$eq": [{"$ifNull": ["$version", 0]}, version]},
    ]
    if moved:
        checks.append({"$eq": [{"$slice": [timeline, len(moved)]}, {"$literal": moved}]})
    ok = {"$and": checks}

    def when_ok(value: Any, field: str) -> dict[str, Any]:
        return {"$cond": ["$_ok", value, "$" + field]}

    sets = {name: when_ok({"$literal": value}, name) for name, value in fields.items()}
    sets["version"] = when_ok({"$add": [{"$ifNull": ["$version", 0]}, 1]}, "version")
    grown: dict[str, Any] = {"$concatArrays": [timeline, [{"$literal": event}]]}
    if moved:  # what stays: every event after the moved ones
        grown = {"$slice": [grown, len(moved), 2**31 - 1]}
    sets["timeline"] = when_ok(grown, "timeline")
    if moved:
        archived = {"$add": [{"$ifNull": ["$timeline_archived", 0]}, len(moved)]}
        sets["timeline_archived"] = when_ok(archived, "timeline_archived")
    for name, value in add_to_set.items():
        have = {"$ifNull": ["$" + name, []]}
        grown = {
            "$cond": [
                {"$in": [{"$literal": value}, have]},
                have,
                {"$concatArrays": [have, [{"$literal": value}]]},
            ]
        }
        sets[name] = when_ok(grown, name)
    return [{"$set": {"_ok": ok}}, {"$set": sets}, {"$unset": "_ok"}]


def need(order: dict[str, Any], *statuses: str) -> None:
    if order["status"] not in statuses:
        raise Conflict(
            f"工单当前状态为「{STATUS_NAMES[order['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


async def in_transaction_once(
    ctx: Context, order_id: ObjectId, attempt: ObjectId, work: Any
) -> dict[str, Any]:
    """Run a transition's transaction; a re-run after a commit whose answer was lost finds
    the order moved by this very call (its event carries `attempt`): a success, not a 409."""
    try:
        return await uow.in_transaction(ctx, work)
    except Conflict:
        landed = await ctx.db.orders.find_one({"_id": order_id})
        if landed and landed["timeline"] and landed["timeline"][-1].get("attempt") == attempt:
            return landed
        raise
