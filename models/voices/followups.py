"""回访 "still solved?": N days after an order or a voice closed, its resident is asked once.

The follow-up job finds closings in the window (`voices.followup_days` old, not older than
`voices.followup_window_days`), writes one follow-up per closing (unique on source + round:
a voice reopened and closed again is asked again, once) and one message. The resident's
"no" reopens the voice with its history, or places a new order linked to the closed one
(the closed order keeps its award and its history; `reopened_from` links the two). The
answers count into the 民情分析 figures (reopen rate) of the month they were asked in.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models import orders
from models.core import uow
from models.core.context import Context
from models.notifications.inbox import Notice, notify_many
from models.people.users import Actor
from models.voices import rollup
from models.voices.machine import reopen_after_followup
from models.voices.states import CLOSED
from server.errors import Conflict, NotFound

PENDING, ANSWERED = "pending", "answered"


async def _ask(
    ctx: Context,
    source_type: str,
    doc: dict[str, Any],
    user_id: ObjectId,
    round_: int,
    subject: str,
) -> int:
    now = ctx.now()
    fu = {
        "_id": ObjectId(),
        "source_type": source_type,
        "source_id": doc["_id"],
        "round": round_,
        "user_id": user_id,
        "org_path": list(doc["org_path"]),
        "month": rollup.month_of(now),
        "status": PENDING,
        "solved": None,
        "subject": subject,
        "created_at": now,
    }

    async def work(session: AsyncClientSession) -> None:
        await ctx.db.followups.insert_one(fu, session=session)
        await rollup.apply(
            ctx, session, fu["org_path"], fu["month"], dict(rollup.followup_contrib(fu))
        )

    try:
        await uow.in_transaction(ctx, work)
    except DuplicateKeyError:
        return 0  # asked already (another run, or a retry)
    await notify_many(
        ctx,
        [
            Notice(
                user_id=user_id,
                key=f"followup:{fu['_id']}",
                kind="followup",
                title="回访：问题还解决着吗？",
                body=f"「{subject}」已办结一段时间了，问题是否仍已解决？",
                template="todo",
                push={
                    "subject": subject,
                    "status": "回访",
                    "remark": "问题是否仍已解决？",
                    "time": now,
                },
            )
        ],
    )
    return 1


STATE_ID = "followups"
OVERLAP = timedelta(minutes=5)


async def run_followups(ctx: Context) -> dict[str, int]:
    """Ask about what closed `followup_days` ago: only what crossed that age since the last
    run is read (a watermark in `job_state`, a few minutes' overlap; the keys make a re-read
    a no-op), so a run costs the closings of a few minutes, not the whole window."""
    cfg = ctx.config.voices
    now = ctx.now()
    wait = timedelta(days=float(cfg.followup_days))
    newest = now - wait
    oldest = now - timedelta(days=float(cfg.followup_window_days))
    state = await ctx.db.job_state.find_one({"_id": STATE_ID})
    since = state["since"] if state else None
    if since is not None:
        since = since.replace(tzinfo=since.tzinfo or UTC)
        if since <= now:
            oldest = max(oldest, since - wait - OVERLAP)
    window = {"$gt": oldest, "$lte": newest}
    asked = 0
    async for voice in ctx.db.voices.find(
        {"status": CLOSED, "closed_at": window}, {"timeline": 0, "replies": 0}
    ):
        if await ctx.db.followups.find_one(
            {"source_type": "voice", "source_id": voice["_id"], "round": voice["close_count"]}
        ):
            continue
        asked += await _ask(
            ctx,
            "voice",
            voice,
            voice["submitter_id"],
            voice["close_count"],
            f"{voice['category']}：{voice['text'][:12]}",
        )
    async for order in ctx.db.orders.find(
        {"closed_at": window},
        {"status": 1, "resident_id": 1, "org_path": 1, "category_name": 1},
    ):
        if order.get("status") != orders.CLOSED:
            continue
        if await ctx.db.followups.find_one(
            {"source_type": "order", "source_id": order["_id"], "round": 0}
        ):
            continue
        asked += await _ask(ctx, "order", order, order["resident_id"], 0, order["category_name"])
    await ctx.db.job_state.update_one({"_id": STATE_ID}, {"$set": {"since": now}}, upsert=True)
    return {"followups": asked}


async def get_followup(ctx: Context, actor: Actor, followup_id: ObjectId) -> dict[str, Any]:
    fu = await ctx.db.followups.find_one({"_id": followup_id})
    if fu is None or fu["user_id"] != actor.id:
        raise NotFound("找不到该回访", code="followup_not_found")
    return fu


async def answer_followup(
    ctx: Context, actor: Actor, followup_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """The resident's answer, once; "no" reopens the voice, or re-places the order."""
    fu = await get_followup(ctx, actor, followup_id)
    if fu["status"] != PENDING:
        raise Conflict("该回访已经回答过了", code="followup_answered")
    solved = bool(data["solved"])
    answered = {**fu, "status": ANSWERED, "solved": solved}

    async def work(session: AsyncClientSession) -> None:
        result = await ctx.db.followups.update_one(
            {"_id": fu["_id"], "status": PENDING},
            {
                "$set": {
                    "status": ANSWERED,
                    "solved": solved,
                    "note": data.get("note") or "",
                    "answered_at": ctx.now(),
                }
            },
            session=session,
        )
        if result.modified_count != 1:
            raise Conflict("该回访已经回答过了", code="followup_answered")
        old, new = rollup.followup_contrib(fu), rollup.followup_contrib(answered)
        counters = {k: new[k] - old[k] for k in set(old) | set(new) if new[k] != old[k]}
        await rollup.apply(ctx, session, fu["org_path"], fu["month"], counters)

    await uow.in_transaction(ctx, work)
    reopened_id = None
    if not solved:
        note = "回访未解决" + (f"：{data['note']}" if data.get("note") else "")
        if fu["source_type"] == "voice":
            voice = await ctx.db.voices.find_one({"_id": fu["source_id"]})
            if voice is not None and voice["status"] == CLOSED:
                await reopen_after_followup(ctx, voice, note)
                reopened_id = voice["_id"]
        else:
            reopened_id = await _replace_order(ctx, actor, fu["source_id"], note)
        if reopened_id is not None:
            await ctx.db.followups.update_one(
                {"_id": fu["_id"]}, {"$set": {"reopened_id": reopened_id}}
            )
    return {**answered, "reopened_id": reopened_id}


async def _replace_order(ctx: Context, actor: Actor, order_id: ObjectId, note: str) -> Any:
    old = await ctx.db.orders.find_one({"_id": order_id})
    if old is None:
        return None
    data = {
        "category_id": old["category_id"],
        "org_id": old["org_id"],
        "description": f"{note}（原工单 {old['_id']}）\n{old['description']}"[:1000],
        "address": old["address"],
        "location": old.get("location"),
        "contact_name": old.get("contact_name"),
        "contact_phone": old.get("contact_phone"),
        "photos": old.get("photos", []),
    }
    new, _ = await orders.place_order(ctx, actor, data, idempotency_key=f"followup-{order_id}")
    await ctx.db.orders.update_one({"_id": new["_id"]}, {"$set": {"reopened_from": order_id}})
    return new["_id"]


def followup_json(fu: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(fu["_id"]),
        "source_type": fu["source_type"],
        "source_id": str(fu["source_id"]),
        "status": fu["status"],
        "solved": fu.get("solved"),
        "reopened_id": str(fu["reopened_id"]) if fu.get("reopened_id") else None,
    }
