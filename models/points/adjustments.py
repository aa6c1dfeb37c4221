"""Manual points adjustments (积分调整) with a second approver above a threshold.

An adjustment is a request: at or below `points.adjustment_approval_threshold` it is applied
at once; above it, it waits until another admin whose scope covers the member approves it
(never the one who asked). Applying it appends one ledger entry with the idempotency key
`adjustment:<id>`, in the same transaction that marks the request applied, so it lands
exactly once. Correcting an entry is a new, reversing adjustment (`reverses`), never an
edit: the ledger is append-only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import ratelimit, uow
from models.core.clock import BEIJING
from models.core.context import Context
from models.ops import audit
from models.people.users import Actor
from models.points import ledger
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed

PENDING = "pending"
APPLIED = "applied"
REJECTED = "rejected"
STATUS_NAMES = {PENDING: "待审批", APPLIED: "已生效", REJECTED: "已驳回"}
KIND_NAMES = {"points": "积分", "hours": "服务时长"}


def threshold(ctx: Context) -> float:
    return float(ctx.config.points.adjustment_approval_threshold)


async def _managed_member(ctx: Context, actor: Actor, member_id: ObjectId) -> dict[str, Any]:
    member = await ctx.db.users.find_one({"_id": member_id, "deleted_at": None})
    if member is None or member.get("role") != "member" or not actor.manages(member["org_path"]):
        raise NotFound("找不到该队员", code="member_not_found")
    return member


async def request_adjustment(
    ctx: Context,
    actor: Actor,
    member_id: ObjectId,
    *,
    kind: str,
    delta: int | float,
    reason: str,
    reverses: ObjectId | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    """Create an adjustment; apply it now unless it needs a second approver."""
    if kind not in ledger.KINDS:
        raise ValidationFailed(fields={"kind": "积分类型无效"})
    if delta == 0 and reverses is None:
        raise ValidationFailed(fields={"delta": "调整数值不能为 0"})
    if kind == "points" and delta != int(delta):
        raise ValidationFailed(fields={"delta": "积分应为整数"})
    if kind == "hours" and abs(delta * 10 - round(delta * 10)) > 1e-9:
        raise ValidationFailed(fields={"delta": "时长最多保留一位小数"})
    delta = int(delta) if kind == "points" else round(delta * 10) / 10
    if not reason.strip():
        raise ValidationFailed(fields={"reason": "必须填写调整原因"})
    member = await _managed_member(ctx, actor, member_id)
    if reverses is not None:
        entry = await ctx.db.ledger_entries.find_one({"_id": reverses})
        if entry is None or entry["member_id"] != member_id:
            raise NotFound("找不到该积分记录", code="entry_not_found")
        kind, delta = entry["kind"], -ledger.shown(entry["kind"], entry["delta"])
    now = ctx.now()
    # four eyes over the day, not per request: what one approver applies alone to a member
    # adds up per Beijing day (many small adjustments cannot split the threshold)
    day = now.astimezone(BEIJING).date()
    budget = f"adjust_alone:{member_id}:{day.isoformat()}"
    amount = abs(float(delta))
    needs_approval = amount > threshold(ctx) or not await ratelimit.take_amount(
        ctx, budget, amount, threshold(ctx), now + timedelta(days=2)
    )
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "member_id": member_id,
        "member_name": member.get("name") or "",
        "org_id": member["org_id"],
        "org_path": member["org_path"],
        "kind": kind,
        "delta": delta,
        "reason": reason.strip(),
        "reverses": reverses,
        "status": PENDING,
        "requested_by": actor.id,
        "requested_by_name": actor.name,
        "created_at": now,
        "decided_by": None,
        "decided_by_name": None,
        "decided_at": None,
        "decision_note": "",
        "entry_id": None,
    }
    if reverses is None:
        doc.pop("reverses")
    label = f"{doc['member_name']} {KIND_NAMES[kind]} {delta:+g}"
    if needs_approval:
        try:
            await ctx.db.point_adjustments.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("该记录已冲正过", code="already_reversed") from None
        await audit.record(
            ctx,
            actor,
            "points.adjust_request",
            org_path=member["org_path"],
            target_type="adjustment",
            target_id=doc["_id"],
            target_label=label,
            reason=doc["reason"],
            after=_summary(doc),
            ip=ip,
        )
        return doc

    before = {k: ledger.shown(k, member.get(v) or 0) for k, v in ledger.BALANCE_FIELD.items()}

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        applied = {
            **doc,
            "status": APPLIED,
            "decided_by": actor.id,
            "decided_by_name": actor.name,
            "decided_at": now,
        }
        try:
            await ctx.db.point_adjustments.insert_one(applied, session=session)
        except DuplicateKeyError:
            raise Conflict("该记录已冲正过", code="already_reversed") from None
        entries = await ledger.append(
            ctx, session, [_entry(applied, actor)], org_path=member["org_path"]
        )
        applied["entry_id"] = entries[0]["_id"]
        await ctx.db.point_adjustments.update_one(
            {"_id": applied["_id"]}, {"$set": {"entry_id": applied["entry_id"]}}, session=session
        )
        return applied

    try:
        applied = await uow.in_transaction(ctx, work)
    except Conflict:
        # a re-run after a lost commit answer finds this call's own request stored
        landed = await ctx.db.point_adjustments.find_one({"_id": doc["_id"], "status": APPLIED})
        if landed is None:
            await ratelimit.give_back(ctx, budget, amount)
            raise
        applied = landed
    except BaseException:
        await ratelimit.give_back(ctx, budget, amount)
        raise
    after = dict(before)
    after[kind] = round(before[kind] + delta, 1)
    await audit.record(
        ctx,
        actor,
        "points.adjust",
        org_path=member["org_path"],
        target_type="member",
        target_id=member_id,
        target_label=label,
        reason=doc["reason"],
        before={"balance": before},
        after={"balance": after, **_summary(applied)},
        ip=ip,
    )
    return applied


def _entry(adj: dict[str, Any], approver: Actor) -> ledger.LedgerEntry:
    reason = adj["reason"]
    if adj.get("reverses"):
        reason = f"冲正：{reason}"
    return ledger.LedgerEntry(
        member_id=adj["member_id"],
        kind=adj["kind"],
        delta=ledger.tenths(adj["delta"]) if adj["kind"] == "hours" else int(adj["delta"]),
        reason=f"人工调整：{reason}",
        source_type="adjustment",
        source_id=adj["_id"],
        idempotency_key=f"adjustment:{adj['_id']}",
        rule="manual",
        actor_id=approver.id,
        extra={"requested_by": adj["requested_by"]},
    )


def _summary(adj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": adj["kind"],
        "delta": adj["delta"],
        "status": adj["status"],
        "requested_by": adj.get("requested_by_name"),
    }


async def _managed(ctx: Context, actor: Actor, adj_id: ObjectId) -> dict[str, Any]:
    adj = await ctx.db.point_adjustments.find_one({"_id": adj_id})
    if adj is None or not actor.manages(adj["org_path"]):
        raise NotFound("找不到该调整申请", code="adjustment_not_found")
    if adj["status"] != PENDING:
        raise Conflict("该调整申请已处理", code="adjustment_decided")
    if adj["requested_by"] == actor.id:
        raise Forbidden("不能审批自己提交的调整，请由另一位管理员审批", code="same_approver")
    return adj


async def _audit_decision(
    ctx: Context,
    actor: Actor,
    adj: dict[str, Any],
    action: str,
    reason: str,
    after: dict[str, Any],
    ip: str | None,
    session: AsyncClientSession | None = None,
) -> None:
    """The second admin's decision on a pending adjustment (approve or reject)."""
    await audit.record(
        ctx,
        actor,
        action,
        org_path=adj["org_path"],
        target_type="adjustment",
        target_id=adj["_id"],
        target_label=f"{adj['member_name']} {KIND_NAMES[adj['kind']]} {adj['delta']:+g}",
        reason=reason,
        before={"status": PENDING},
        after=after,
        ip=ip,
        session=session,
    )


async def approve(
    ctx: Context, actor: Actor, adj_id: ObjectId, note: str = "", ip: str | None = None
) -> dict[str, Any]:
    adj = await _managed(ctx, actor, adj_id)
    now = ctx.now()
    decided = {
        "status": APPLIED,
        "decided_by": actor.id,
        "decided_by_name": actor.name,
        "decided_at": now,
        "decision_note": note,
        "decision_id": ObjectId(),  # this call's: see the re-run check below
    }

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await ctx.db.point_adjustments.update_one(
            {"_id": adj_id, "status": PENDING}, {"$set": decided}, session=session
        )
        if done.modified_count != 1:
            raise Conflict("该调整申请已处理", code="adjustment_decided")
        entries = await ledger.append(ctx, session, [_entry(adj, actor)], org_path=adj["org_path"])
        await ctx.db.point_adjustments.update_one(
            {"_id": adj_id}, {"$set": {"entry_id": entries[0]["_id"]}}, session=session
        )
        after = {"status": APPLIED, "requested_by": adj["requested_by_name"]}
        await _audit_decision(
            ctx, actor, adj, "points.adjust_approve", note or adj["reason"], after, ip, session
        )
        return {**adj, **decided, "entry_id": entries[0]["_id"]}

    try:
        result = await uow.in_transaction(ctx, work)
    except Conflict:
        # a re-run after a lost commit answer finds the adjustment applied by this very call
        landed = await ctx.db.point_adjustments.find_one(
            {"_id": adj_id, "decision_id": decided["decision_id"]}
        )
        if landed is None:
            raise
        result = landed
    return result


async def reject(
    ctx: Context, actor: Actor, adj_id: ObjectId, note: str, ip: str | None = None
) -> dict[str, Any]:
    adj = await _managed(ctx, actor, adj_id)
    decided = {
        "status": REJECTED,
        "decided_by": actor.id,
        "decided_by_name": actor.name,
        "decided_at": ctx.now(),
        "decision_note": note,
    }
    update: dict[str, Any] = {"$set": decided}
    if adj.get("reverses"):  # free the entry so a corrected reversal can be asked for again
        update = {
            "$set": {**decided, "rejected_reverses": adj["reverses"]},
            "$unset": {"reverses": ""},
        }
    done = await ctx.db.point_adjustments.update_one({"_id": adj_id, "status": PENDING}, update)
    if done.modified_count != 1:
        raise Conflict("该调整申请已处理", code="adjustment_decided")
    await _audit_decision(ctx, actor, adj, "points.adjust_reject", note, {"status": REJECTED}, ip)
    return {**adj, **decided}


async def queue(
    ctx: Context, node: ObjectId, status: str = PENDING, limit: int = 100
) -> list[dict[str, Any]]:
    cursor = ctx.db.point_adjustments.find({"org_path": node, "status": status})
    return (
        await cursor.sort([("created_at", 1 if status == PENDING else -1)])
        .limit(limit)
        .to_list(limit)
    )


async def pending_for_member(ctx: Context, member_id: ObjectId) -> list[dict[str, Any]]:
    """Adjustments of one member waiting for a second admin (shown on the member's page)."""
    cursor = ctx.db.point_adjustments.find({"member_id": member_id, "status": PENDING})
    return await cursor.to_list(50)
