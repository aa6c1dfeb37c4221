"""群众点单 and 代下单: placing an order — the one step that creates one.

Idempotent per resident and Idempotency-Key (a retry answers the first order; the same key
for a different request is refused); the text is checked (msgSecCheck) and the photos are
known to be the caller's before anything is written; an order whose photos then cannot be
attached is removed before anyone saw it. The transitions after it are in machine.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.core.context import Context
from models.media import safety
from models.media import service as media
from models.ops import tallies
from models.orders import catalogue, proxy
from models.orders.states import SUBMITTED
from models.orders.transition import timeline_event
from models.people import orgs, residents
from models.people.users import Actor
from server.errors import Unprocessable, ValidationFailed


def _request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


async def place_order(
    ctx: Context, actor: Actor, data: dict[str, Any], idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """群众点单, or 代下单 when `data` holds `on_behalf_of` (staff, grid workers).

    Returns (order, created); a retried Idempotency-Key returns the first order.
    """
    category = await catalogue.get_category(ctx, data["category_id"])
    org = await orgs.get_org(ctx, data["org_id"])
    if org["type"] not in ("community", "branch"):
        raise ValidationFailed(fields={"org_id": "请选择社区或支部"})
    behalf = data.get("on_behalf_of")
    resident: dict[str, Any] = actor.doc
    resident_id = actor.id
    stored_key = idempotency_key
    if behalf:
        await proxy.check_may_place(ctx, actor, org)
    verdict = await safety.check_text(
        ctx, actor, {"description": data["description"]}, scene=safety.SCENE_FORUM
    )
    if behalf:
        if idempotency_key:  # the placer's key, never one the resident could send
            stored_key = f"proxy:{actor.id}:{idempotency_key}"
        known = await residents.by_phone(ctx, residents.normalise_phone(behalf["phone"]))
        if data.get("photos"):  # nothing written before the photos are known good
            retry = (
                known
                and stored_key
                and await ctx.db.orders.find_one(
                    {"resident_id": known["_id"], "idempotency_key": stored_key}, {"_id": 1}
                )
            )
            if not retry:
                await media.check_attachable(ctx, actor, data["photos"])
        resident = known or await residents.resident_for(
            ctx, actor, behalf["name"], behalf["phone"], behalf.get("address")
        )
        resident_id = resident["_id"]
    elif data.get("photos"):  # a refused photo id leaves nothing written (a retry answers below)
        retry = stored_key and await ctx.db.orders.find_one(
            {"resident_id": resident_id, "idempotency_key": stored_key}, {"_id": 1}
        )
        if not retry:
            await media.check_attachable(ctx, actor, data["photos"])
    now = ctx.now()
    order_id = ObjectId()
    event = timeline_event(ctx, actor, "submit", None, SUBMITTED)
    if behalf:
        how = proxy.CHANNEL_NAMES[behalf["channel"]]
        event["note"] = f"{how}代下单（{actor.name}）：为 {behalf['name']} 下单"
    doc: dict[str, Any] = {
        "_id": order_id,
        "status": SUBMITTED,
        "version": 0,
        "resident_id": resident_id,
        # the placer's bound phone: their other accounts never serve this order either
        "resident_phone": resident.get("phone"),
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
        "contact_name": data.get("contact_name") or resident.get("name") or actor.name,
        "contact_phone": data.get("contact_phone") or resident.get("phone"),
        "wanted_at": data.get("wanted_at"),
        "photos": list(dict.fromkeys(data.get("photos", []))),
        "moderation": verdict.held,
        "candidates": [],
        "eligible": [],
        "declined_by": [],
        "decline_count": 0,
        "timeline": [event],
        "created_at": now,
        "updated_at": now,
        "notify_due": now,  # the notifier tells the staff in charge (models/orders/notices.py)
    }
    if behalf:
        doc.update(proxy.placer_fields(actor, behalf["channel"]))
        doc["contact_name"] = data.get("contact_name") or behalf["name"]
        doc["contact_phone"] = data.get("contact_phone") or residents.normalise_phone(
            behalf["phone"]
        )
    if stored_key:
        doc["idempotency_key"] = stored_key
        doc["request_hash"] = _request_hash(data)
        doc["keyed_at"] = now  # housekeeping forgets the key after the retention
    try:
        await ctx.db.orders.insert_one(doc)
    except DuplicateKeyError:
        if not stored_key:
            raise
        first = await ctx.db.orders.find_one(
            {"resident_id": resident_id, "idempotency_key": stored_key}
        )
        if first is None:  # pragma: no cover - the key's order cannot vanish
            raise
        if first.get("request_hash") != doc["request_hash"]:
            raise Unprocessable(
                "同一个 Idempotency-Key 不能用于不同的请求", code="idempotency_key_reused"
            ) from None
        return first, False
    try:
        await media.attach(ctx, actor, doc["photos"], owner_type="order", owner_id=order_id)
    except ValidationFailed:
        await ctx.db.orders.delete_one({"_id": order_id, "version": 0})  # nothing else saw it
        await tallies.forget(ctx, order_id)  # unless the dashboard's tallies counted it
        raise
    await safety.record(ctx, verdict, owner_type="order", owner_id=order_id, org_path=org["path"])
    return doc, True
