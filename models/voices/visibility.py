"""Who sees a voice and how much: anonymous to other residents, never to staff.

- the submitter sees their own, with the whole timeline;
- staff see every voice whose org path passes through their node; they act on it when the
  node in charge (which moves up on transfer) is in their subtree;
- the handler sees what is assigned to them;
- other signed-in users see only voices answered with a public reply, without the
  submitter (anonymous) or with a masked name, and without the timeline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from models.core.context import Context
from models.media import safety
from models.media import service as media
from models.people import orgs
from models.people.users import Actor
from models.voices.states import (
    ACCEPTED,
    ACTION_NAMES,
    CLOSED,
    KINDS,
    RECEIVED,
    REPLIED,
    STATUS_NAMES,
)
from server.errors import NotFound


def is_submitter(voice: dict[str, Any], actor: Actor) -> bool:
    return voice["submitter_id"] == actor.id


def is_handler(voice: dict[str, Any], actor: Actor) -> bool:
    return voice.get("handler_id") is not None and voice["handler_id"] == actor.id


def manages_charge(voice: dict[str, Any], actor: Actor) -> bool:
    return actor.manages(voice["charge_path"])


def is_public(voice: dict[str, Any]) -> bool:
    return bool(voice.get("reply_public")) and voice["status"] in (REPLIED, CLOSED)


def can_view(voice: dict[str, Any], actor: Actor) -> bool:
    return (
        is_submitter(voice, actor)
        or is_handler(voice, actor)
        or actor.manages(voice["org_path"])
        or manages_charge(voice, actor)
        or is_public(voice)
    )


async def get_visible(ctx: Context, actor: Actor, voice_id: ObjectId) -> dict[str, Any]:
    voice = await ctx.db.voices.find_one({"_id": voice_id})
    if voice is None or not can_view(voice, actor):
        raise NotFound("找不到该民意", code="voice_not_found")
    return voice


def allowed_actions(voice: dict[str, Any], actor: Actor) -> list[str]:
    status = voice["status"]
    staff = manages_charge(voice, actor)
    out = []
    if staff and status == RECEIVED:
        out.append("accept")
    if staff and status in (RECEIVED, ACCEPTED):
        out += ["assign", "transfer"]
    if status == ACCEPTED and (staff or is_handler(voice, actor)):
        out.append("reply")
    if status == REPLIED and (staff or is_handler(voice, actor) or is_submitter(voice, actor)):
        out.append("close")
    if is_submitter(voice, actor) and (
        status == REPLIED or (status == CLOSED and voice.get("rating") is None)
    ):
        out.append("rate")
    return out


def _masked(name: str | None) -> str:
    return (name[:1] + "**") if name else "群众"


def voice_json(ctx: Context, voice: dict[str, Any], actor: Actor) -> dict[str, Any]:
    insider = (
        is_submitter(voice, actor)
        or is_handler(voice, actor)
        or actor.manages(voice["org_path"])
        or manages_charge(voice, actor)
    )
    staff = actor.manages(voice["org_path"]) or manages_charge(voice, actor)
    if insider:
        name = voice.get("submitter_name")
    else:
        name = "匿名群众" if voice.get("anonymous") else _masked(voice.get("submitter_name"))
    replies = [
        {
            "at": r["at"],
            "by_name": r["by_name"],
            "text": _held(voice, f"reply_{i}", r["text"], actor, r.get("by_id")),
            "public": r["public"],
        }
        for i, r in enumerate(voice.get("replies", []))
        if insider or r.get("public")
    ]
    submitter = voice["submitter_id"]
    return {
        "id": str(voice["_id"]),
        "status": voice["status"],
        "status_name": STATUS_NAMES[voice["status"]],
        "kind": voice["kind"],
        "kind_name": KINDS[voice["kind"]],
        "category": voice["category"],
        "text": safety.visible_text(voice, "text", actor, submitter),
        "photos": media.photo_json(ctx, voice.get("photos", []), viewer=actor),
        "location": voice.get("location") if insider else None,
        "anonymous": bool(voice.get("anonymous")),
        "submitter_name": name,
        "mine": is_submitter(voice, actor),
        "org_id": str(voice["org_id"]),
        "org_name": voice.get("org_name"),
        "charge_org_id": str(voice["charge_id"]),
        "charge_org_name": None,
        "handler_id": str(voice["handler_id"]) if voice.get("handler_id") and insider else None,
        "handler_name": voice.get("handler_name"),
        "due_at": voice.get("due_at") if insider else None,
        "replies": replies,
        "rating": voice.get("rating"),
        "rating_comment": safety.visible_text(voice, "rating_comment", actor, submitter)
        if insider
        else None,
        "reopen_count": voice.get("reopen_count", 0) + voice.get("followup_reopens", 0),
        "about_order_id": str(voice["about_order_id"])
        if insider and voice.get("about_order_id")
        else None,
        "about_member_name": voice.get("about_member_name") if staff else None,
        "upheld": voice.get("upheld") if insider else None,
        "created_at": voice["created_at"],
        "updated_at": voice["updated_at"],
        "actions": allowed_actions(voice, actor),
        "timeline": [
            {
                "at": e["at"],
                "action": e["action"],
                "action_name": ACTION_NAMES.get(e["action"], e["action"]),
                "from": e["from"],
                "to": e["to"],
                "actor_name": e["actor_name"],
                "actor_role": e["actor_role"],
                "note": _event_note(voice, e, replies_seen, actor),
            }
            for replies_seen, e in _numbered(voice.get("timeline", []))
        ]
        if insider
        else [],
    }


def _held(
    voice: dict[str, Any], name: str, value: str, viewer: Actor, author: ObjectId | None
) -> str:
    state = (voice.get("moderation") or {}).get(name)
    if state is None or viewer.is_staff or (state == "review" and viewer.id == author):
        return value
    return safety.HIDDEN_TEXT if state == "hidden" else safety.HELD_TEXT


def _numbered(timeline: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Each event with the number of replies before it (the k-th reply event is reply k)."""
    out, replies = [], 0
    for e in timeline:
        out.append((replies, e))
        replies += e["action"] == "reply"
    return out


def _event_note(voice: dict[str, Any], e: dict[str, Any], index: int, viewer: Actor) -> str:
    """Timeline notes repeat checked text: held or hidden there too."""
    name = {"reply": f"reply_{index}", "rate": "rating_comment", "reopen": "rating_comment"}.get(
        e["action"], "reason" if e["action"] == "close" else ""
    )
    note = str(e.get("note") or "")
    return _held(voice, name, note, viewer, e.get("actor_id")) if name else note


async def list_voices(
    ctx: Context,
    actor: Actor,
    *,
    scope: str,
    status: str | None = None,
    kind: str | None = None,
    org_id: ObjectId | None = None,
    month: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """mine / assigned / scope (staff: their subtree, or a node of it): indexed queries."""
    from models.core import paging

    query: dict[str, Any]
    if scope in ("mine", "assigned"):
        query = {"submitter_id": actor.id} if scope == "mine" else {"handler_id": actor.id}
        if status:
            query["status"] = status
        if kind:
            query["kind"] = kind
        return await paging.newest_of_owner(
            ctx.db.voices, query, cursor=paging.decode(cursor), limit=limit
        )
    if not actor.is_staff or actor.org_id is None:
        return [], None
    node = org_id or actor.org_id
    if not actor.manages((await orgs.get_org(ctx, node))["path"]):
        return [], None
    # the board: a node's month (default: this one) or one status, read in indexed time
    # windows walking back from the cursor, so a page costs the same in a busy month
    from models.voices.rollup import month_of, month_span

    query = {"org_path": node}
    now, floor, first = ctx.now(), None, paging.FIRST_WINDOW
    if month or not status:
        query["month"] = month or month_of(now)
        floor, end = month_span(query["month"])
        now = min(now, end - timedelta(milliseconds=1))
        first = (end - floor) / 32  # about a day: at most four windows cover the month
    if status:
        query["status"] = status
    if kind:
        query["kind"] = kind
    return await paging.newest_in_windows(
        ctx.db.voices,
        query,
        now=now,
        cursor=paging.decode(cursor),
        limit=limit,
        floor=floor,
        first=first,
    )
