"""The conditional-update step every domain state machine shares (wishes, activities, voices,
transfers, …; orders have their own faster `{_id}` pipeline form in orders/transition.py).

A document moves from the state and version it was read in to `to`, pushing its timeline
event in the same write: of two racing actors exactly one wins, the other gets the
domain's 409. The caller adds what is its own (audit, counters, notices).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from models.people.users import Actor
from server.errors import Conflict


def timeline_event(
    actor: Actor, at: Any, action: str, frm: str | None, to: str, note: str = ""
) -> dict[str, Any]:
    """Who moved it, when, from which state to which, and why."""
    return {
        "at": at,
        "action": action,
        "from": frm,
        "to": to,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "actor_role": actor.role,
        "note": note,
    }


async def move(
    collection: Any,
    doc: dict[str, Any],
    event: dict[str, Any],
    *,
    conflict: Conflict,
    set_fields: dict[str, Any] | None = None,
    extra_update: dict[str, Any] | None = None,
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    """Write `event` (from doc's state to event["to"]) if nobody moved `doc` since it was read;
    `conflict` otherwise. Returns the document as it now is."""
    fields = {"status": event["to"], "updated_at": event["at"], **(set_fields or {})}
    update: dict[str, Any] = {"$set": fields, "$push": {"timeline": event}, "$inc": {"version": 1}}
    for op, value in (extra_update or {}).items():
        update.setdefault(op, {}).update(value)
    result = await collection.update_one(
        {"_id": doc["_id"], "status": doc["status"], "version": doc.get("version", 0)},
        update,
        session=session,
    )
    if result.modified_count != 1:
        raise conflict
    merged = {**doc, **fields, "version": doc.get("version", 0) + 1}
    merged["timeline"] = [*doc.get("timeline", []), event]
    return merged
