"""组织关系转接 seen by whom: the member and the secretaries of both ends; lists and JSON."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core import paging
from models.core.context import Context
from models.people.users import Actor
from models.transfers.states import ACTION_NAMES, OPEN, PENDING_IN, PENDING_OUT, STATUS_NAMES
from server.errors import NotFound


def can_view(transfer: dict[str, Any], actor: Actor) -> bool:
    return transfer["member_id"] == actor.id or any(
        actor.manages(transfer.get(p)) for p in ("from_path", "to_path")
    )


async def get_visible(ctx: Context, actor: Actor, transfer_id: ObjectId) -> dict[str, Any]:
    transfer = await ctx.db.transfers.find_one({"_id": transfer_id})
    if transfer is None or not can_view(transfer, actor):
        raise NotFound("找不到该转接记录", code="transfer_not_found")
    return transfer


async def list_transfers(
    ctx: Context, actor: Actor, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    query: dict[str, Any] = (
        {"scope_paths": actor.org_id} if actor.is_staff else {"member_id": actor.id}
    )
    if status:
        query["status"] = status
    return await paging.newest_of_owner(
        ctx.db.transfers, query, cursor=paging.decode(cursor), limit=limit
    )


async def member_history(ctx: Context, member_id: ObjectId) -> list[dict[str, Any]]:
    cursor = ctx.db.transfers.find({"member_id": member_id}).sort([("created_at", -1)])
    return await cursor.limit(50).to_list(50)


def transfer_json(transfer: dict[str, Any], actor: Actor) -> dict[str, Any]:
    actions = []
    status = transfer["status"]
    if status == PENDING_OUT and actor.manages(transfer["from_path"]):
        actions.append("approve")
    if status == PENDING_IN and actor.manages(transfer["to_path"]):
        actions += ["accept", "return"]
    if status in OPEN and (
        transfer["member_id"] == actor.id or actor.manages(transfer["from_path"])
    ):
        actions.append("cancel")
    return {
        "id": str(transfer["_id"]),
        "member_id": str(transfer["member_id"]),
        "member_name": transfer["member_name"],
        "from_org_id": str(transfer["from_org_id"]),
        "from_org_name": transfer.get("from_org_name"),
        "to_org_id": str(transfer["to_org_id"]) if transfer.get("to_org_id") else None,
        "to_org_name": transfer.get("to_org_name"),
        "external": transfer["external"],
        "status": status,
        "status_name": STATUS_NAMES[status],
        "letter_no": transfer.get("letter_no"),
        "deadline_at": transfer.get("deadline_at"),
        "reason": transfer.get("reason") or "",
        "return_reason": transfer.get("return_reason"),
        "created_at": transfer["created_at"],
        "updated_at": transfer["updated_at"],
        "actions": actions,
        "timeline": [
            {
                "at": e["at"],
                "action": e["action"],
                "action_name": ACTION_NAMES.get(e["action"], e["action"]),
                "actor_name": e.get("actor_name") or "",
                "note": e.get("note") or "",
            }
            for e in transfer["timeline"]
        ],
    }
