"""Redemptions (兑换): redeem, pick up (核销), cancel, expire — one explicit function each.

Redeem is ONE transaction: a conditional stock decrement (`stock >= 1`), a conditional
per-member counter (`count < limit`, one document per member, item and period), the debit
through ledger.append (conditional on the balance, keyed by the request's Idempotency-Key)
and the redemption with its pickup code. Any refusal aborts all of it, so stock, counter
and balance cannot drift apart, and racing requests cannot oversell, overdraw or pass the
limit.

States: reserved ─pickup→ picked_up; reserved ─cancel→ cancelled; reserved ─expire→ expired.
Cancel and expiry refund in one transaction: a reversing ledger entry (never an edit), the
stock back on the shelf, the counter back down."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import weakref
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import uow
from models.core.clock import BEIJING
from models.core.context import Context
from models.ops import audit
from models.people.users import SYSTEM, Actor
from models.points import buckets, ledger
from models.rewards import items
from server.errors import Conflict, Forbidden, NotFound

RESERVED, PICKED_UP, CANCELLED, EXPIRED = "reserved", "picked_up", "cancelled", "expired"


LIVE = (RESERVED, PICKED_UP)  # holding a unit of stock


STATUS_TEXT = {RESERVED: "待领取", PICKED_UP: "已领取", CANCELLED: "已取消", EXPIRED: "已过期"}


# no 0/O, 1/I/L: read aloud at a counter and typed by hand; 31^8 ≈ 8.5e11 codes
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


CODE_LENGTH = 8


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"
    message = "找不到该兑换记录"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def limit_key(item: dict[str, Any], member_id: ObjectId, now: Any) -> str | None:
    if not item.get("limit_per_member"):
        return None
    if item.get("limit_period") == "month":
        return f"{item['_id']}:{member_id}:{now.astimezone(BEIJING):%Y-%m}"
    return f"{item['_id']}:{member_id}:ever"


async def spendable(ctx: Context, actor: Actor) -> int:
    """The balance minus points whose bucket has expired but the job has not yet written off."""
    user = await ctx.db.users.find_one({"_id": actor.id}, {"points_balance": 1})
    balance = int((user or {}).get("points_balance") or 0)
    now = ctx.now()
    stale = 0
    async for b in ctx.db.point_buckets.find({"member_id": actor.id, "closed": False}):
        if b.get("expires_at") is not None and not buckets._alive(b, now):
            stale += buckets.remaining(b)
    return balance - stale


async def redeem(
    ctx: Context, actor: Actor, item_id: ObjectId, request_key: str | None
) -> tuple[dict[str, Any], bool]:
    """兑换. Returns (redemption, created); a repeated Idempotency-Key returns the first one."""
    item = await items.get_visible(ctx, actor, item_id)
    if item["org_id"] not in actor.org_path:
        raise Forbidden("只能兑换本组织积分商城的商品", code="not_your_mall")
    key = request_key or ObjectId().binary.hex()
    ledger_key = f"redeem:{actor.id}:{key}"
    previous = await ctx.db.redemptions.find_one({"ledger_key": ledger_key})
    if previous is not None:
        return previous, False
    now = ctx.now()
    if not item.get("active"):
        raise Conflict("该商品已下架", code="reward_inactive")
    if not items.in_period(item, now):
        raise Conflict("不在兑换有效期内", code="reward_out_of_period")
    if item["stock"] <= 0:
        landed = await ctx.db.redemptions.find_one({"ledger_key": ledger_key})
        if landed is not None:  # this very request, retried, took the last one
            return landed, False
        raise Conflict("已兑完", code="sold_out")
    if await spendable(ctx, actor) < item["price"]:
        raise Conflict("积分不足", code="insufficient_balance")
    counter = limit_key(item, actor.id, now)
    if counter is not None:
        await ctx.db.redemption_counters.update_one(
            {"_id": counter},
            {"$setOnInsert": {"count": 0, "item_id": item["_id"], "member_id": actor.id}},
            upsert=True,
        )
    member_path = list(actor.org_path)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        # the hot document first: a transaction racing for it fails at once (a write
        # conflict is retried by the unit of work) before doing any other work
        taken = await ctx.db.reward_items.update_one(
            {"_id": item["_id"], "stock": {"$gte": 1}, "active": True},
            {"$inc": {"stock": -1, "redeemed": 1}},
            session=session,
        )
        if taken.modified_count != 1:
            raise Conflict("已兑完", code="sold_out")
        if counter is not None:
            counted = await ctx.db.redemption_counters.update_one(
                {"_id": counter, "count": {"$lt": int(item["limit_per_member"])}},
                {"$inc": {"count": 1}},
                session=session,
            )
            if counted.modified_count != 1:
                period = "本月" if item.get("limit_period") == "month" else ""
                raise Conflict(
                    f"每人{period}限兑 {item['limit_per_member']} 件", code="limit_reached"
                )
        redemption_id = ObjectId()
        entry = ledger.LedgerEntry(
            member_id=actor.id,
            kind="points",
            delta=-int(item["price"]),
            reason=f"兑换「{item['name']}」",
            source_type="redemption",
            source_id=redemption_id,
            idempotency_key=ledger_key,
            actor_id=actor.id,
        )
        try:
            [debit] = await ledger.append(ctx, session, [entry], org_path=member_path)
        except Conflict as exc:
            if exc.code == "insufficient_balance":
                raise Conflict("积分不足", code="insufficient_balance") from None
            raise
        doc = {
            "_id": redemption_id,
            "item_id": item["_id"],
            "item_name": item["name"],
            "org_id": item["org_id"],
            "org_path": item["org_path"],
            "member_id": actor.id,
            "member_name": actor.name,
            "member_org_path": member_path,
            "price": item["price"],
            "code": new_code(),
            "status": RESERVED,
            "version": 1,
            "ledger_key": ledger_key,
            "debit_entry_id": debit["_id"],
            "debit_buckets": debit.get("buckets") or [],
            "counter": counter,
            "pickup_place": item.get("pickup_place") or "",
            "pickup_hours": item.get("pickup_hours") or "",
            "created_at": now,
            "expires_at": now + timedelta(days=float(ctx.config.rewards.pickup_days)),
            "timeline": [{"at": now, "by": actor.id, "action": "redeem", "to": RESERVED}],
        }
        await ctx.db.redemptions.insert_one(doc, session=session)
        return doc

    for _ in range(5):  # a pickup code already taken (1 in ~1e11): try another
        try:
            async with _item_queue(ctx, item["_id"]):
                return await uow.in_transaction(ctx, work), True
        except Conflict:
            # the same request racing itself (a retry): whatever refused this attempt (the
            # key, or the stock the first attempt took), the first attempt's answer stands
            landed = await ctx.db.redemptions.find_one({"ledger_key": ledger_key})
            if landed is None:
                raise
            return landed, False
        except DuplicateKeyError as exc:
            if "ledger_key" in str(exc):
                landed = await ctx.db.redemptions.find_one({"ledger_key": ledger_key})
                if landed is not None:
                    return landed, False
            continue
    raise Conflict("兑换码生成失败，请重试", code="code_collision")


_QUEUES: weakref.WeakValueDictionary[ObjectId, asyncio.Lock] = weakref.WeakValueDictionary()


def _item_queue(ctx: Context, item_id: ObjectId) -> Any:
    """Redemptions of one item take turns inside this process rather than collide in the
    database, where every collision aborts a transaction to be retried after a backoff.
    Only wasted work depends on it: the writes are conditional, and other processes race
    (the race tests switch it off, `rewards.queue_redemptions`, to race in one process)."""
    if not bool(ctx.config.rewards.queue_redemptions):
        return contextlib.nullcontext()
    lock = _QUEUES.get(item_id)
    if lock is None:
        lock = _QUEUES[item_id] = asyncio.Lock()
    return lock


def _can_pick_up(actor: Actor, redemption: dict[str, Any]) -> bool:
    if actor.role == "merchant":
        return actor.org_id == redemption["org_id"]
    return actor.manages(redemption["org_path"])


async def pickup(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
    """核销: staff over the item's node or a merchant account of that node; once per code."""
    redemption = await ctx.db.redemptions.find_one({"code": normalise_code(code)})
    if redemption is None or not _can_pick_up(actor, redemption):
        raise NotFound("兑换码无效或不属于本站点", code="code_not_found")
    done = await _transition(ctx, actor, redemption, "pickup", PICKED_UP, {"picked_up_at": 1})
    await audit.record(
        ctx,
        actor,
        "rewards.pickup",
        org_path=done["org_path"],
        target_type="redemption",
        target_id=done["_id"],
        target_label=f"{done['item_name']} · {done.get('member_name') or ''}",
        before={"status": RESERVED},
        after={"status": PICKED_UP},
    )
    return done


EXPORT_HEADERS = ["兑换时间", "队员", "商品", "积分", "状态", "领取时间", "核销人"]


EXPORT_MAX = 50_000


async def _transition(
    ctx: Context,
    actor: Actor,
    redemption: dict[str, Any],
    action: str,
    to: str,
    stamp: dict[str, int],
    session: AsyncClientSession | None = None,
    note: str = "",
) -> dict[str, Any]:
    """reserved → `to`, conditional on the state and version read: one racer wins, 409."""
    if redemption["status"] != RESERVED:
        raise Conflict(
            f"该兑换{STATUS_TEXT[redemption['status']]}，不能再操作", code="redemption_state"
        )
    now = ctx.now()
    event = {"at": now, "by": actor.id, "action": action, "from": RESERVED, "to": to}
    if note:
        event["note"] = note
    fields: dict[str, Any] = {"status": to, "updated_at": now}
    for name in stamp:
        fields[name] = now
    if action == "pickup":
        fields["picked_up_by"] = actor.id
        fields["picked_up_by_name"] = actor.name
    result = await ctx.db.redemptions.update_one(
        {"_id": redemption["_id"], "status": RESERVED, "version": redemption["version"]},
        {"$set": fields, "$inc": {"version": 1}, "$push": {"timeline": event}},
        session=session,
    )
    if result.modified_count != 1:
        raise Conflict("该兑换已被处理，请刷新", code="redemption_state")
    return {
        **redemption,
        **fields,
        "version": redemption["version"] + 1,
        "timeline": [*redemption["timeline"], event],
    }


async def _refund(
    ctx: Context, actor: Actor, redemption: dict[str, Any], action: str, to: str, note: str
) -> dict[str, Any]:
    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await _transition(
            ctx, actor, redemption, action, to, {f"{to}_at": 1}, session=session, note=note
        )
        await ctx.db.reward_items.update_one(
            {"_id": redemption["item_id"]},
            {"$inc": {"stock": 1, "redeemed": -1}},
            session=session,
        )
        if redemption.get("counter"):
            await ctx.db.redemption_counters.update_one(
                {"_id": redemption["counter"]}, {"$inc": {"count": -1}}, session=session
            )
        refund = ledger.LedgerEntry(
            member_id=redemption["member_id"],
            kind="points",
            delta=int(redemption["price"]),
            reason=f"退还「{redemption['item_name']}」兑换积分（{STATUS_TEXT[to]}）",
            source_type="redemption",
            source_id=redemption["_id"],
            idempotency_key=f"redemption:{redemption['_id']}:refund",
            actor_id=actor.id,
            extra={
                "reverses": redemption.get("debit_entry_id"),
                "refunds_buckets": redemption.get("debit_buckets") or [],
            },
        )
        await ledger.append(ctx, session, [refund], org_path=redemption["member_org_path"])
        return done

    return await uow.in_transaction(ctx, work)


async def cancel(ctx: Context, actor: Actor, redemption_id: ObjectId) -> dict[str, Any]:
    """取消 before pick-up: the member who redeemed, or staff over the item's node."""
    redemption = await get_visible(ctx, actor, redemption_id)
    if redemption["member_id"] != actor.id and not actor.manages(redemption["org_path"]):
        raise Forbidden("只能取消自己的兑换", code="not_your_redemption")
    return await _refund(ctx, actor, redemption, "cancel", CANCELLED, "")


async def expire_unclaimed(ctx: Context, batch: int = 200) -> dict[str, int]:
    """Job: reserved redemptions past their pickup deadline expire and are refunded."""
    counts = {"expired": 0, "raced": 0}
    now = ctx.now()
    cursor = ctx.db.redemptions.find({"status": RESERVED, "expires_at": {"$lte": now}})
    for redemption in await cursor.limit(batch).to_list(batch):
        try:
            await _refund(ctx, SYSTEM, redemption, "expire", EXPIRED, "超过领取期限，积分已退还")
            counts["expired"] += 1
        except Conflict:
            counts["raced"] += 1
    return counts


async def get_redemption(ctx: Context, redemption_id: ObjectId) -> dict[str, Any]:
    doc = await ctx.db.redemptions.find_one({"_id": redemption_id})
    if doc is None:
        raise RedemptionNotFound()
    return doc


async def get_visible(ctx: Context, actor: Actor, redemption_id: ObjectId) -> dict[str, Any]:
    doc = await get_redemption(ctx, redemption_id)
    if doc["member_id"] != actor.id and not _can_pick_up(actor, doc):
        raise RedemptionNotFound()
    return doc
