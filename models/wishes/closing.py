"""Confirming a fulfilled wish and awarding the claimant, in one transaction (confirm, auto)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.media import guard, safety
from models.people.users import SYSTEM, Actor
from models.points import ledger
from models.wishes import notices
from models.wishes.machine import apply, need
from models.wishes.states import CONFIRMED, FULFILLED
from models.wishes.visibility import get_visible, is_poster
from server.errors import Conflict, Forbidden


def award_entries(wish: dict[str, Any], actor: Actor) -> list[ledger.LedgerEntry]:
    member = wish["claimant_id"]
    base = f"wish:{wish['_id']}:award:{member}"
    common = {
        "member_id": member,
        "source_type": "wish",
        "source_id": wish["_id"],
        "rule": "wish",
        "actor_id": actor.id,
    }
    return [
        ledger.LedgerEntry(
            kind="points",
            delta=ledger.whole_points(wish["points"]),
            reason=f"实现微心愿「{wish['title']}」",
            idempotency_key=f"{base}:points",
            **common,
        ),
        ledger.LedgerEntry(
            kind="hours",
            delta=ledger.tenths(wish["hours"]),
            reason=f"微心愿服务时长「{wish['title']}」",
            idempotency_key=f"{base}:hours",
            **common,
        ),
    ]


async def confirm_and_award(
    ctx: Context, actor: Actor, wish: dict[str, Any], *, action: str, set_fields: dict, note: str
) -> dict[str, Any]:
    """Confirm the wish and award its points in ONE transaction: both happen or neither."""
    member_path = wish.get("claimant_org_path")
    if member_path is None:
        member = await ctx.db.users.find_one({"_id": wish["claimant_id"]}, {"org_path": 1})
        member_path = (member or {}).get("org_path", [])
    attempt = ObjectId()  # a re-run after a commit that landed finds its own event: success

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await apply(
            ctx,
            wish,
            actor,
            action,
            CONFIRMED,
            set_fields=set_fields,
            note=note,
            session=session,
            event_extra={"attempt": attempt},
        )
        ctx.failpoint("wishes.before_award")
        await ledger.append(ctx, session, award_entries(wish, actor), org_path=member_path)
        return done

    try:
        done = await uow.in_transaction(ctx, work)
    except Conflict:
        landed = await ctx.db.wishes.find_one({"_id": wish["_id"]})
        if not (
            landed
            and landed["status"] == CONFIRMED
            and landed["timeline"][-1].get("attempt") == attempt
        ):
            raise
        done = landed
    await notices.after(ctx, done, actor)
    return done


async def confirm_wish(
    ctx: Context, actor: Actor, wish_id: ObjectId, data: dict[str, Any]
) -> dict[str, Any]:
    """群众确认并致谢; points and hours go to the claimant in the same transaction."""
    wish = await get_visible(ctx, actor, wish_id)
    if not is_poster(wish, actor):
        raise Forbidden("只有发布心愿的群众可以确认")
    need(wish, FULFILLED)
    thanks = data.get("thanks") or ""
    verdict = await guard.screen(ctx, actor, {"thanks": thanks}, scene=safety.SCENE_COMMENT)
    done = await confirm_and_award(
        ctx,
        actor,
        wish,
        action="confirm",
        set_fields={"confirmed_at": ctx.now(), "thanks": thanks, **guard.held_fields(verdict)},
        note=thanks,
    )
    await guard.settle(
        ctx, actor, verdict, owner_type="wish", owner_id=wish["_id"], org_path=wish["org_path"]
    )
    return done


async def auto_confirm(ctx: Context, wish: dict[str, Any], days: float) -> dict[str, Any]:
    need(wish, FULFILLED)
    return await confirm_and_award(
        ctx,
        SYSTEM,
        wish,
        action="auto_confirm",
        set_fields={"confirmed_at": ctx.now(), "auto_confirmed": True},
        note=f"超过 {days:g} 天未确认，系统自动确认",
    )
