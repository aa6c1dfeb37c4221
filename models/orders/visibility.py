"""Who sees which order, which actions they may take, the lists, and the order as JSON."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from bson import ObjectId

from models.core import paging
from models.core.context import Context
from models.core.geo import distance_km
from models.media import safety
from models.media import service as media
from models.orders.proxy import CHANNEL_NAMES, channel_of
from models.orders.states import (
    ACCEPTED,
    ACTION_NAMES,
    COMPLETED,
    DISPATCHED,
    EXCLUDE_TIMELINE,
    IN_SERVICE,
    OPEN_FOR_ASSIGNEE,
    STATUS_NAMES,
    SUBMITTED,
)
from models.people.users import Actor
from server.errors import Forbidden, NotFound, ValidationFailed
from server.logging import mask_phone


def can_view(order: dict[str, Any], actor: Actor) -> bool:
    if order["resident_id"] == actor.id or order.get("placer_id") == actor.id:
        return True
    if actor.manages(order["org_path"]):
        return True
    if actor.is_member:
        if order.get("assignee_id") == actor.id or actor.id in order.get("past_assignees", []):
            return True
        if order["status"] == DISPATCHED and _eligible(order, actor):
            return True
    return False


def hall_nodes(actor: Actor) -> list[ObjectId]:
    """The task halls a member sees: their own path, and the community they 双报到 to."""
    return [*actor.org_path, *actor.doc.get("pool_path", [])]


def _eligible(order: dict[str, Any], actor: Actor) -> bool:
    if actor.id in order.get("declined_by", []):
        return False
    eligible = set(order.get("eligible", []))
    return actor.id in eligible or bool(eligible.intersection(hall_nodes(actor)))


def placed_by(order: dict[str, Any], actor: Actor) -> bool:
    """Did `actor` place `order` (for themselves, or for someone else: 代下单), from this
    account or another bound to the same phone?"""
    if actor.id in (order["resident_id"], order.get("placer_id")):
        return True
    phone = actor.doc.get("phone")
    return bool(phone) and phone in (order.get("resident_phone"), order.get("placer_phone"))


async def refuse_own_order(ctx: Context, order: dict[str, Any], actor: Actor) -> None:
    """403 when `actor` placed `order` (nobody serves their own order)."""
    own = placed_by(order, actor)
    if not own and "resident_phone" not in order:  # placed before the phone was kept
        resident = await ctx.db.users.find_one({"_id": order["resident_id"]}, {"phone": 1})
        own = placed_by({**order, "resident_phone": (resident or {}).get("phone")}, actor)
    if own:
        raise Forbidden("不能承接自己下的工单", code="own_order")


def allowed_actions(order: dict[str, Any], actor: Actor) -> list[str]:
    """The transitions this caller may perform now: the client shows exactly these buttons."""
    status = order["status"]
    owner = order["resident_id"] == actor.id
    placer = placed_by(order, actor)
    manager = actor.manages(order["org_path"])
    assignee = order.get("assignee_id") == actor.id
    actions = []
    if status == SUBMITTED and manager:
        actions += ["dispatch", "reject"]
    if status in (SUBMITTED, DISPATCHED) and (owner or manager):
        actions.append("cancel")
    if status == DISPATCHED and actor.is_member and _eligible(order, actor) and not placer:
        actions.append("accept")
        if actor.id in order.get("candidates", []):
            actions.append("decline")
    if status == ACCEPTED and assignee:
        actions += ["start", "decline"]
    if status == IN_SERVICE and assignee:
        actions.append("complete")
    if status == COMPLETED and (owner or (manager and order.get("placer_id"))):
        actions.append("confirm")  # staff: on the resident's behalf, after a call (代确认)
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


OPEN_STATUSES = (SUBMITTED, DISPATCHED, ACCEPTED, IN_SERVICE, COMPLETED)


async def list_orders(
    ctx: Context,
    actor: Actor,
    *,
    scope: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paged: the caller's own, assigned, or organisation's orders."""
    scope = scope or ("org" if actor.is_staff else "assigned" if actor.is_member else "mine")
    after = paging.decode(cursor)
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
    if scope == "org" and status == SUBMITTED and actor.org_id is not None:
        return await submitted_queue(ctx, actor.org_id, after, limit)
    if scope == "org" and status in OPEN_STATUSES:
        # an organisation works its queue oldest first (as on the admin dispatch board): an
        # open state's orders are bounded by the work in hand, one indexed range serves them
        return await paging.newest_of_owner(
            ctx.db.orders,
            query,
            cursor=after,
            limit=limit,
            projection=EXCLUDE_TIMELINE,
            direction=1,
        )
    if scope == "org":
        # the whole history (or a closed state), newest first, read in indexed time windows
        # sized to the page: the cost follows the page, not the subtree's history
        return await paging.newest_in_windows(
            ctx.db.orders,
            query,
            now=ctx.now(),
            cursor=after,
            limit=limit,
            projection=EXCLUDE_TIMELINE,
        )
    # people read their own orders newest first
    return await paging.newest_of_owner(
        ctx.db.orders, query, cursor=after, limit=limit, projection=EXCLUDE_TIMELINE
    )


async def task_hall(
    ctx: Context, actor: Actor, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """队员的任务大厅: dispatched orders this member may take, newest dispatch first.

    Indexed on `(status, eligible)`; the member's own declines are dropped here (a `$ne`
    in the filter stopped the embedded database from using the index).
    """
    if not actor.is_member:
        raise Forbidden("只有队员可以进入任务大厅")
    query = {"status": DISPATCHED, "eligible": {"$in": [actor.id, *hall_nodes(actor)]}}

    def takeable(order: dict[str, Any]) -> bool:
        """Not declined by this member, nor placed by them (or on their bound phone)."""
        return actor.id not in order.get("declined_by", []) and not placed_by(order, actor)

    items, next_cursor = await paging.newest_of_owner(
        ctx.db.orders,
        query,
        field="dispatched_at",
        cursor=paging.decode(cursor),
        limit=limit,
        projection=EXCLUDE_TIMELINE,
        keep=takeable,
    )
    home = (actor.doc.get("home_location") or {}).get("coordinates")
    for item in items:
        where = (item.get("location") or {}).get("coordinates")
        item["distance_km"] = round(distance_km(home, where), 2) if home and where else None
    return items, next_cursor


async def awaiting_dispatch(
    ctx: Context, node: ObjectId, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """派单台: submitted orders under `node`, oldest first (keyset-paged)."""
    return await submitted_queue(ctx, node, paging.decode(cursor), limit)


FLOOR_MARGIN = timedelta(minutes=10)


def floor_id(node: ObjectId) -> str:
    return f"submitted:{node}"


async def submitted_queue(
    ctx: Context, node: ObjectId, cursor: paging.Cursor | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Submitted orders under `node`, oldest first, read in indexed time windows from the
    node's queue floor (`queue_floors`): a moment no submitted order under the node is
    older than. An order only enters `submitted` when it is placed (created_at = now), so
    a floor stays true; each first page moves it up to the oldest order it found (less a
    margin for a placement still in flight). The cost follows the page, not the queue."""
    fid = floor_id(node)
    doc = await ctx.db.queue_floors.find_one({"_id": fid})
    now = ctx.now()
    rows, next_cursor = await paging.oldest_in_windows(
        ctx.db.orders,
        {"org_path": node, "status": SUBMITTED},
        now=now,
        cursor=cursor,
        limit=limit,
        projection=EXCLUDE_TIMELINE,
        floor=doc["at"] if doc else None,
    )
    if cursor is None:
        oldest = rows[0]["created_at"] if rows else now
        at = min(oldest.replace(tzinfo=oldest.tzinfo or UTC), now - FLOOR_MARGIN)
        if doc is None or at > doc["at"].replace(tzinfo=UTC):
            await ctx.db.queue_floors.update_one(
                {"_id": fid}, {"$max": {"at": at}, "$set": {"node": node}}, upsert=True
            )
    return rows, next_cursor


async def floor_drift(ctx: Context) -> list[dict[str, Any]]:
    """Queue floors above a submitted order under their node (the queue would hide it)."""
    problems: list[dict[str, Any]] = []
    async for doc in ctx.db.queue_floors.find({}):
        hidden = await ctx.db.orders.find_one(
            {
                "org_path": doc["node"],
                "status": SUBMITTED,
                "created_at": {"$gte": doc["at"] - paging.LOOKBACK, "$lt": doc["at"]},
            },
            {"_id": 1, "created_at": 1},
        )
        if hidden is not None:
            problems.append({"floor": doc["_id"], "at": doc["at"], "order_id": hidden["_id"]})
    return problems


async def repair_floors(ctx: Context, problems: list[dict[str, Any]]) -> int:
    """A floor that hid an order is dropped: the next read walks from the start again."""
    ids = [p["floor"] for p in problems]
    if not ids:
        return 0
    result = await ctx.db.queue_floors.delete_many({"_id": {"$in": ids}})
    return int(result.deleted_count)


def order_json(
    ctx: Context, order: dict[str, Any], actor: Actor, *, names: dict[ObjectId, str] | None = None
) -> dict[str, Any]:
    assignee = order.get("assignee_id")
    resident = order["resident_id"]
    # completion photos: the resident, the assignee and staff in scope only
    sees_completion = actor.id in (resident, assignee) or actor.manages(order["org_path"])
    # the resident's address and map point: the resident, the member who took the order and
    # staff in scope (and whoever placed it on the resident's behalf, who typed it in); the
    # hall and named candidates see the community and distance only
    sees_address = sees_completion or order.get("placer_id") == actor.id
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
        "description": safety.visible_text(order, "description", actor, resident),
        "address": order["address"] if sees_address else None,
        "location": order.get("location") if sees_address else None,
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
        "points": round(order["points"]),  # whole (older orders may hold 10.0)
        "hours": order["hours"],
        "rating": order.get("rating"),
        "comment": safety.visible_text(order, "comment", actor, resident),
        "completion_note": safety.visible_text(order, "completion_note", actor, assignee),
        "photos": media.photo_json(ctx, order.get("photos", []), viewer=actor),
        "completion_photos": media.photo_json(ctx, order.get("completion_photos", []), viewer=actor)
        if sees_completion
        else [],
        "decline_count": order.get("decline_count", 0),
        "channel": channel_of(order),
        "channel_name": CHANNEL_NAMES.get(channel_of(order), ""),
        "placer_name": order.get("placer_name"),
        "on_behalf_note": (order.get("confirmed_on_behalf") or {}).get("note")
        if actor.manages(order["org_path"])
        else None,
        "escalated_to_org_id": str(order["escalated_to"]) if order.get("escalated_to") else None,
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "actions": allowed_actions(order, actor),
    }
    if "distance_km" in order:
        out["distance_km"] = order["distance_km"]
    if "timeline" in order:
        out["timeline"] = timeline_json(order, order["timeline"], actor)
        out["timeline_archived"] = int(order.get("timeline_archived") or 0)
        out["timeline_total"] = out["timeline_archived"] + len(order["timeline"])
    return out


def timeline_json(
    order: dict[str, Any], events: list[dict[str, Any]], actor: Actor
) -> list[dict[str, Any]]:
    """Timeline events as shown: a note repeating a held or hidden field is held with it
    (the order view and the history pages alike)."""
    held = {"complete": "completion_note", "confirm": "comment", "decline": "reason"}
    moderation = order.get("moderation") or {}
    masked = {a for a, f in held.items() if f in moderation}
    return [
        {
            "at": e["at"],
            "action": e["action"],
            "action_name": ACTION_NAMES.get(e["action"], e["action"]),
            "from": e.get("from"),
            "to": e["to"],
            "actor_name": e.get("actor_name") or "",
            "actor_role": e.get("actor_role"),
            "note": (
                safety.HIDDEN_TEXT
                if moderation[held[e["action"]]] == "hidden"
                else safety.HELD_TEXT
            )
            if e["action"] in masked and not actor.is_staff and e.get("actor_id") != actor.id
            else e.get("note") or "",
        }
        for e in events
    ]
