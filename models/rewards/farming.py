"""Against farming (防刷分): suspicious order awards are held for the secretary's review.

Rules (config `rewards.farming_*`; 0 or false switches one off), checked when an order closes:
- daily / monthly caps on the points a member gets from orders (Beijing day and month);
- the same resident–member pair confirming more than N orders within M days;
- a confirmer sharing a phone number or an address with the volunteer (the volunteer's own
  orders as a resident give their addresses and contact phones);
- self-confirmation: the volunteer confirming their own order, or under another account
  with the same phone.
A hit writes the award into `held_awards` instead of the ledger (so it is not in the
balance, nor on the leaderboard); the review queue releases it (the same entries, the same
idempotency keys, through ledger.append) or refuses it with a reason. Both are audited.
Nothing is dropped: every award is either in the ledger or in the queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.clock import BEIJING, day_bounds, local_day
from models.core.context import Context
from models.ops import audit
from models.people.users import Actor
from models.points import ledger
from server.errors import Conflict, NotFound

HELD, RELEASED, REFUSED = "held", "released", "refused"
STATUS_TEXT = {HELD: "待审核", RELEASED: "已放行", REFUSED: "已驳回"}
RULE_TEXT = {
    "daily_cap": "当日工单积分超过上限",
    "monthly_cap": "当月工单积分超过上限",
    "pair_frequency": "同一群众与队员短期内互相确认工单过多",
    "shared_phone": "确认人与服务队员手机号相同",
    "shared_address": "确认人与服务队员地址相同",
    "self_confirm": "队员确认了自己下的工单",
}


def _norm(text: Any) -> str:
    return "".join(str(text or "").split()).lower()


async def _order_points_since(
    ctx: Context, session: AsyncClientSession, member_id: ObjectId, since: Any
) -> int:
    pipeline: list[dict[str, Any]] = [
        {"$match": {"member_id": member_id, "created_at": {"$gte": since}}},
        {"$match": {"kind": "points", "source.type": "order"}},
        {"$group": {"_id": None, "total": {"$sum": "$delta"}}},
    ]
    rows = await (await ctx.db.ledger_entries.aggregate(pipeline, session=session)).to_list(1)
    return int(rows[0]["total"]) if rows else 0


async def screen(
    ctx: Context, session: AsyncClientSession, order: dict[str, Any]
) -> list[dict[str, str]]:
    """The rules this award trips (empty: award it)."""
    cfg = ctx.config.rewards
    member_id, resident_id = order["assignee_id"], order["resident_id"]
    hits: list[str] = []
    contact_rules = bool(cfg.farming_self_confirm) or bool(cfg.farming_shared_contact)
    users = (
        {}
        if not contact_rules
        else {
            u["_id"]: u
            async for u in ctx.db.users.find(
                {"_id": {"$in": [member_id, resident_id]}}, {"phone": 1}, session=session
            )
        }
    )
    member, resident = users.get(member_id, {}), users.get(resident_id, {})
    member_phone = _norm(member.get("phone"))
    if bool(cfg.farming_self_confirm):
        if member_id == resident_id:
            hits.append("self_confirm")
        elif member_phone and member_phone == _norm(resident.get("phone")):
            hits.append("self_confirm")
    if bool(cfg.farming_shared_contact) and member_id != resident_id:
        # the volunteer's own orders as a resident: their addresses and contact phones
        cursor = ctx.db.orders.find(
            {"resident_id": member_id}, {"address": 1, "contact_phone": 1}, session=session
        )
        own = await cursor.sort("created_at", -1).limit(50).to_list(50)
        phones = {member_phone} | {_norm(o.get("contact_phone")) for o in own}
        phones.discard("")
        confirmer = {_norm(resident.get("phone")), _norm(order.get("contact_phone"))} - {""}
        if confirmer & phones and "self_confirm" not in hits:
            hits.append("shared_phone")
        addresses = {_norm(o.get("address")) for o in own} - {""}
        if _norm(order.get("address")) in addresses:
            hits.append("shared_address")
    pair_n, pair_days = int(cfg.farming_pair_orders), float(cfg.farming_pair_days)
    if pair_n > 0 and member_id != resident_id:
        since = ctx.now() - timedelta(days=pair_days)
        # this order is already closed in the same transaction: it counts itself
        closed = await ctx.db.orders.count_documents(
            {
                "assignee_id": member_id,
                "created_at": {"$gte": since - timedelta(days=30)},
                "resident_id": resident_id,
                "status": "closed",
                "closed_at": {"$gte": since},
            },
            session=session,
        )
        if closed > pair_n:
            hits.append("pair_frequency")
    points = float(order.get("points") or 0)
    now = ctx.now()
    daily = float(cfg.farming_daily_cap)
    if daily > 0 and points > 0:
        start, _ = day_bounds(local_day(now))
        if await _order_points_since(ctx, session, member_id, start) + points > daily:
            hits.append("daily_cap")
    monthly = float(cfg.farming_monthly_cap)
    if monthly > 0 and points > 0:
        local = now.astimezone(BEIJING)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if await _order_points_since(ctx, session, member_id, start) + points > monthly:
            hits.append("monthly_cap")
    return [{"rule": h, "text": RULE_TEXT[h]} for h in hits]


def _entry_doc(entry: ledger.LedgerEntry) -> dict[str, Any]:
    return {
        "member_id": entry.member_id,
        "kind": entry.kind,
        "delta": entry.delta,
        "reason": entry.reason,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "idempotency_key": entry.idempotency_key,
        "rule": entry.rule,
        "actor_id": entry.actor_id,
    }


async def award_or_hold(
    ctx: Context,
    session: AsyncClientSession,
    order: dict[str, Any],
    entries: list[ledger.LedgerEntry],
    *,
    org_path: list[ObjectId],
    also_inc: dict[str, Any] | None = None,
) -> bool:
    """In the order's closing transaction: append the award, or hold it. True if held."""
    reasons = await screen(ctx, session, order)
    if not reasons:
        await ledger.append(ctx, session, entries, org_path=org_path, also_inc=also_inc)
        return False
    await hold(ctx, session, order, entries, org_path=org_path, reasons=reasons)
    if also_inc:
        await ctx.db.users.update_one(
            {"_id": order["assignee_id"]}, {"$inc": also_inc}, session=session
        )
    return True


async def hold(
    ctx: Context,
    session: AsyncClientSession,
    order: dict[str, Any],
    entries: list[ledger.LedgerEntry],
    *,
    org_path: list[ObjectId],
    reasons: list[dict[str, str]],
) -> dict[str, Any]:
    """Put an order's award into the review queue instead of the ledger."""
    now = ctx.now()
    doc = {
        "_id": ObjectId(),
        "order_id": order["_id"],
        "member_id": order["assignee_id"],
        "member_name": order.get("assignee_name") or "",
        "resident_id": order["resident_id"],
        "category_name": order.get("category_name") or "",
        "org_path": list(org_path),
        "points": sum(e.delta for e in entries if e.kind == "points"),
        "hours": ledger.hours_of_tenths(sum(e.delta for e in entries if e.kind == "hours")),
        "entries": [_entry_doc(e) for e in entries],
        "reasons": reasons,
        "status": HELD,
        "version": 1,
        "ledger_units": True,  # entries in whole points and tenths (models/ops/migrations.py)
        "created_at": now,
    }
    await ctx.db.held_awards.insert_one(doc, session=session)
    return doc


async def get_managed(ctx: Context, actor: Actor, hold_id: ObjectId) -> dict[str, Any]:
    doc = await ctx.db.held_awards.find_one({"_id": hold_id})
    if doc is None or not actor.manages(doc["org_path"]):
        raise NotFound("找不到该待审核积分", code="hold_not_found")
    return doc


async def _decide(
    ctx: Context,
    actor: Actor,
    hold: dict[str, Any],
    to: str,
    reason: str,
    session: AsyncClientSession | None,
) -> None:
    if hold["status"] != HELD:
        raise Conflict(f"该积分{STATUS_TEXT[hold['status']]}", code="hold_decided")
    result = await ctx.db.held_awards.update_one(
        {"_id": hold["_id"], "status": HELD, "version": hold["version"]},
        {
            "$set": {
                "status": to,
                "decided_at": ctx.now(),
                "decided_by": actor.id,
                "decided_by_name": actor.name,
                "decision_reason": reason,
            },
            "$inc": {"version": 1},
        },
        session=session,
    )
    if result.modified_count != 1:
        raise Conflict("该积分已被处理，请刷新", code="hold_decided")


async def release(ctx: Context, actor: Actor, hold_id: ObjectId, reason: str = "") -> dict:
    """放行: the held entries go into the ledger (same keys: exactly once), audited."""
    hold = await get_managed(ctx, actor, hold_id)

    async def work(session: AsyncClientSession) -> None:
        await _decide(ctx, actor, hold, RELEASED, reason, session)
        entries = [
            ledger.LedgerEntry(**{**e, "extra": {"held_award_id": hold["_id"]}})
            for e in hold["entries"]
        ]
        await ledger.append(ctx, session, entries, org_path=hold["org_path"])
        await _audit(ctx, actor, hold, "points.hold_release", reason, session)

    await uow.in_transaction(ctx, work)
    return await get_managed(ctx, actor, hold_id)


async def refuse(ctx: Context, actor: Actor, hold_id: ObjectId, reason: str) -> dict:
    """驳回 with a reason: nothing enters the ledger; the decision is kept and audited."""
    hold = await get_managed(ctx, actor, hold_id)
    await _decide(ctx, actor, hold, REFUSED, reason, None)
    await _audit(ctx, actor, hold, "points.hold_refuse", reason)
    return await get_managed(ctx, actor, hold_id)


async def _audit(
    ctx: Context,
    actor: Actor,
    hold: dict[str, Any],
    action: str,
    reason: str,
    session: AsyncClientSession | None = None,
) -> None:
    await audit.record(
        ctx,
        actor,
        action,
        org_path=hold["org_path"],
        target_type="held_award",
        target_id=hold["_id"],
        target_label=f"{hold['member_name']} {hold['points']:g} 积分",
        reason=reason,
        before={"status": HELD},
        after={"status": RELEASED if action.endswith("release") else REFUSED},
        session=session,
    )


async def queue(
    ctx: Context, org_id: ObjectId, status: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    cursor = ctx.db.held_awards.find({"org_path": org_id, "status": status})
    cursor = cursor.sort([("created_at", 1), ("_id", 1)]).skip(offset).limit(limit + 1)
    return await cursor.to_list(limit + 1)
