"""提交民意: a resident's voice, to a node chosen in the app or named by a 民意一码通 scene;
a complaint may name the member of the resident's own served order it is about."""

from __future__ import annotations

import asyncio
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.core.statemachine import timeline_event
from models.media import guard
from models.people import orgs
from models.people.users import Actor
from models.voices import notices, qr, rollup, words
from models.voices.states import RECEIVED
from server.errors import NotFound, ValidationFailed


async def submit_voice(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """提交民意, to a node chosen in the app or named by a 民意一码通 scene."""
    via = "app"
    org_id = data.get("org_id")
    if data.get("scene"):
        org_id = qr.org_from_scene(ctx, data["scene"])
        via = "qr"
    org = await orgs.get_org(ctx, org_id)  # type: ignore[arg-type]
    about = await _complaint_subject(ctx, actor, data.get("order_id"))
    photos = list(dict.fromkeys(data.get("photos") or []))
    verdict = await guard.screen(ctx, actor, {"text": data["text"]}, {"photos": photos})
    now = ctx.now()
    # off the event loop: the first call loads jieba's dictionary (seconds)
    tokens = await asyncio.get_running_loop().run_in_executor(None, words.tokens, data["text"])
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "status": RECEIVED,
        "version": 0,
        "notified_version": -1,  # the outbox: nobody told yet
        "kind": data["kind"],
        "category": data["category"],
        "text": data["text"],
        "photos": photos,
        "moderation": verdict.held,
        "location": data.get("location"),
        "anonymous": bool(data.get("anonymous")),
        "submitter_id": actor.id,
        "submitter_name": actor.name,
        "org_id": org["_id"],
        "org_name": org["name"],
        "org_path": list(org["path"]),
        "charge_id": org["_id"],
        "charge_path": list(org["path"]),
        "via": via,
        "handler_id": None,
        "handler_name": None,
        "due_at": None,
        "replies": [],
        "rating": None,
        "rating_comment": None,
        "reopen_count": 0,
        "followup_reopens": 0,
        **about,
        "upheld": None,
        "escalations": 0,
        "close_count": 0,
        "tokens": tokens,
        "month": rollup.month_of(now),
        "first_reply_at": None,
        "first_closed_at": None,
        "closed_at": None,
        "timeline": [timeline_event(actor, now, "submit", None, RECEIVED)],
        "created_at": now,
        "updated_at": now,
    }

    async def work(session: AsyncClientSession) -> None:
        await ctx.db.voices.insert_one(doc, session=session)
        await rollup.apply(
            ctx, session, doc["org_path"], doc["month"], dict(rollup.contrib(doc)), tokens
        )

    await uow.in_transaction(ctx, work)
    await guard.settle(
        ctx,
        actor,
        verdict,
        owner_type="voice",
        owner_id=doc["_id"],
        org_path=doc["org_path"],
        photos={"photos": photos},
    )
    await notices.after(ctx, doc, actor)
    return doc


async def _complaint_subject(
    ctx: Context, actor: Actor, order_id: ObjectId | None
) -> dict[str, Any]:
    """投诉 about a service: only the submitter's own served order names the member it is
    about (what 党员之星 checks for upheld complaints); anyone else's order is not found."""
    if order_id is None:
        return {}
    order = await ctx.db.orders.find_one(
        {"_id": order_id}, {"resident_id": 1, "assignee_id": 1, "assignee_name": 1}
    )
    if order is None or order.get("resident_id") != actor.id:
        raise NotFound("找不到该工单", code="order_not_found")
    if not order.get("assignee_id"):
        raise ValidationFailed(
            "该工单还没有队员接单，无法投诉服务", fields={"order_id": "该工单还没有队员接单"}
        )
    return {
        "about_order_id": order["_id"],
        "about_member_id": order["assignee_id"],
        "about_member_name": order.get("assignee_name"),
    }
