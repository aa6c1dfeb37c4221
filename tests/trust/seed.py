"""Bulk seeding for the trust harness: many orders in a given state, fast but faithful.

One order is driven through the real transitions (place → dispatch → accept → start →
complete); every other order is a copy of that document with its own id, resident and
volunteer swapped in everywhere they occur (fields and timeline events alike), so the
copies have exactly the shape models/orders/machine.py produces, without 5 service calls each.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from bson import ObjectId

from models.core.context import Context
from tests.world import World


def _swap(value: Any, ids: dict[ObjectId, ObjectId]) -> Any:
    if isinstance(value, ObjectId):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


async def order_template(world: World, state: str = "completed") -> dict[str, Any]:
    """A real order in `state`, owned by `owner` and assigned to `m1` (the copy source)."""
    order_id = await world.order_in(state, member="m1", owner="owner")
    order = await world.ctx.db.orders.find_one({"_id": order_id})
    assert order is not None
    return order


def clone_order(
    template: dict[str, Any],
    world: World,
    *,
    resident: dict[str, Any],
    member: dict[str, Any],
    points: float | None = None,
    hours: float | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A copy of `template` for another resident and volunteer (and optionally other
    points, hours and timestamps), ready to insert."""
    ids = {
        template["_id"]: ObjectId(),
        world.id("owner"): resident["_id"],
        world.id("m1"): member["_id"],
    }
    doc: dict[str, Any] = _swap(copy.deepcopy(template), ids)
    doc["assignee_name"] = member.get("name")
    doc["assignee_org_path"] = list(member["org_path"])
    if doc.get("contact_name") == world.users["owner"].get("name"):
        doc["contact_name"] = resident.get("name") or ""
    if points is not None:
        doc["points"] = points
    if hours is not None:
        doc["hours"] = hours
    if at is not None:
        for key in (
            "created_at",
            "updated_at",
            "dispatched_at",
            "accepted_at",
            "started_at",
            "completed_at",
        ):
            if key in doc:
                doc[key] = at
        for event in doc["timeline"]:
            event["at"] = at
    doc.pop("idempotency_key", None)
    doc.pop("request_hash", None)
    return doc


async def insert_orders(ctx: Context, docs: list[dict[str, Any]], batch: int = 500) -> None:
    for start in range(0, len(docs), batch):
        await ctx.db.orders.insert_many(docs[start : start + batch])
