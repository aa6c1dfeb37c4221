"""Who sees a wish and how much of it: the wall never shows who the resident is.

- the poster (the resident, or the secretary who posted for them) sees everything;
- the claimant sees the contact (name, phone, address) only while the wish is theirs and
  open (claimed / fulfilled); masked again once it is confirmed or released;
- staff of the wish's subtree see it with the phone masked;
- everyone signed in sees the wall: approved, claimed and confirmed wishes, without any
  contact, address, resident name or timeline.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import safety
from models.media import service as media
from models.people.users import Actor
from models.wishes.states import (
    APPROVED,
    CLAIMED,
    CONFIRMED,
    CONTACT_VISIBLE,
    FULFILLED,
    STATUS_NAMES,
    SUBMITTED,
)
from server.errors import NotFound
from server.logging import mask_phone

ON_WALL = (APPROVED, CLAIMED, FULFILLED, CONFIRMED)


def is_poster(wish: dict[str, Any], actor: Actor) -> bool:
    return wish.get("poster_id") == actor.id


def is_claimant(wish: dict[str, Any], actor: Actor) -> bool:
    return wish.get("claimant_id") is not None and wish.get("claimant_id") == actor.id


def may_claim(wish: dict[str, Any], actor: Actor) -> bool:
    """Members of the wish's community (or of a node above it) may claim it."""
    return actor.is_member and (
        wish["org_id"] in actor.org_path
        or (actor.org_id is not None and actor.org_id in wish["org_path"])
    )


def can_view(wish: dict[str, Any], actor: Actor) -> bool:
    return (
        is_poster(wish, actor)
        or is_claimant(wish, actor)
        or actor.manages(wish["org_path"])
        or wish["status"] in ON_WALL
    )


async def get_visible(ctx: Context, actor: Actor, wish_id: ObjectId) -> dict[str, Any]:
    wish = await ctx.db.wishes.find_one({"_id": wish_id})
    if wish is None or not can_view(wish, actor):
        raise NotFound("找不到该心愿", code="wish_not_found")
    return wish


def allowed_actions(wish: dict[str, Any], actor: Actor) -> list[str]:
    status = wish["status"]
    out = []
    if status == SUBMITTED and actor.manages(wish["org_path"]):
        out += ["approve", "reject"]
    if status == APPROVED and may_claim(wish, actor) and not is_poster(wish, actor):
        out.append("claim")
    if status == CLAIMED and is_claimant(wish, actor):
        out += ["fulfil", "release"]
    if status == FULFILLED and is_poster(wish, actor):
        out.append("confirm")
    return out


def wish_json(ctx: Context, wish: dict[str, Any], actor: Actor) -> dict[str, Any]:
    poster = is_poster(wish, actor)
    staff = actor.manages(wish["org_path"])
    claimant = is_claimant(wish, actor)
    poster_id = wish["poster_id"]
    claimant_id = wish.get("claimant_id")

    def text(name: str, author: ObjectId | None) -> Any:
        return safety.visible_text(wish, name, actor, author)

    out: dict[str, Any] = {
        "id": str(wish["_id"]),
        "status": wish["status"],
        "status_name": STATUS_NAMES[wish["status"]],
        "category": wish["category"],
        "title": text("title", poster_id),
        "description": text("description", poster_id),
        "value": wish["value"],
        "photos": media.photo_json(ctx, wish.get("photos", []), viewer=actor),
        "org_id": str(wish["org_id"]),
        "org_name": wish.get("org_name"),
        "mine": poster,
        "claimant_id": str(wish["claimant_id"]) if wish.get("claimant_id") else None,
        "claimant_name": wish.get("claimant_name"),
        "fulfil_note": text("fulfil_note", claimant_id),
        "fulfil_photos": media.photo_json(ctx, wish.get("fulfil_photos", []), viewer=actor),
        "thanks": text("thanks", poster_id),
        "points": round(wish.get("points") or 0),
        "hours": wish.get("hours", 0),
        "created_at": wish["created_at"],
        "updated_at": wish["updated_at"],
        "actions": allowed_actions(wish, actor),
        "contact_name": None,
        "contact_phone": None,
        "address": None,
        "reject_reason": None,
        "timeline": [],
    }
    contact = poster or (claimant and wish["status"] in CONTACT_VISIBLE)
    if contact or staff:
        out["contact_name"] = wish.get("contact_name")
        out["address"] = wish.get("address")
        phone = wish.get("contact_phone")
        out["contact_phone"] = phone if contact else mask_phone(phone)
    if poster or staff or claimant:
        out["reject_reason"] = wish.get("reject_reason")
        from models.wishes.states import ACTION_NAMES

        out["timeline"] = [
            {
                "at": e["at"],
                "action": e["action"],
                "action_name": ACTION_NAMES.get(e["action"], e["action"]),
                "from": e["from"],
                "to": e["to"],
                # the resident's own name is not repeated to the claimant
                "actor_name": e["actor_name"]
                if (poster or staff) or e["actor_role"] != "resident"
                else "群众",
                "actor_role": e["actor_role"],
                "note": _note(wish, e, actor),
            }
            for e in wish.get("timeline", [])
        ]
    return out


# the timeline event whose note is the text of each checked field
_NOTE_FIELDS = {
    "reject": "reason",
    "release": "reason",
    "fulfil": "fulfil_note",
    "confirm": "thanks",
}


def _note(wish: dict[str, Any], event: dict[str, Any], viewer: Actor) -> str:
    """A held or hidden field's text is held in the timeline too (author and staff read it)."""
    name = _NOTE_FIELDS.get(event["action"])
    state = (wish.get("moderation") or {}).get(name or "")
    if state is None or viewer.is_staff or event.get("actor_id") == viewer.id:
        return str(event.get("note") or "")
    return safety.HIDDEN_TEXT if state == "hidden" else safety.HELD_TEXT


async def list_wishes(
    ctx: Context,
    actor: Actor,
    *,
    scope: str,
    org_id: ObjectId | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Each scope is one indexed range, newest first, keyset-paged (models/core/paging.py)."""
    from models.core import paging

    after = paging.decode(cursor)
    query: dict[str, Any]
    if scope == "mine":
        query = {"poster_id": actor.id}
    elif scope == "claimed":
        query = {"claimant_id": actor.id}
    elif scope == "org":
        if not actor.is_staff or actor.org_id is None:
            return [], None
        node = org_id or actor.org_id
        if not actor.manages(await _path(ctx, node)):
            return [], None
        query = {"org_path": node}
        if status:
            query["status"] = status
        else:
            return await paging.newest_in_windows(
                ctx.db.wishes, query, now=ctx.now(), cursor=after, limit=limit
            )
    else:  # the wall: approved wishes of a node (or everywhere), never private fields
        query = {"status": status if status in ON_WALL else APPROVED}
        if org_id is not None:
            query["org_path"] = org_id
        status = None
    if status and scope != "org":
        query["status"] = status
    return await paging.newest_of_owner(ctx.db.wishes, query, cursor=after, limit=limit)


async def _path(ctx: Context, org_id: ObjectId) -> list[ObjectId]:
    from models.people import orgs

    return list((await orgs.get_org(ctx, org_id))["path"])
