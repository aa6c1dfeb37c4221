"""组织关系转接 transitions: request, approve (介绍信), accept, return, cancel, expire (job).

Each applies only from the state and version it read; acceptance moves the member's org and
org path in the same transaction, audited with it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import statemachine, uow
from models.core.clock import BEIJING
from models.core.context import Context
from models.core.statemachine import timeline_event
from models.notifications import Notice, notify_many
from models.ops import audit
from models.people import membership, orgs
from models.people.users import SYSTEM, Actor
from models.records import existing_collections
from models.transfers.states import (
    ACCEPTED,
    BLOCKING_ORDER_STATES,
    CANCELLED,
    EXPIRED,
    OPEN,
    PENDING_IN,
    PENDING_OUT,
    RETURNED,
    STATUS_NAMES,
)
from models.transfers.visibility import get_visible
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed


async def _apply(
    ctx: Context,
    transfer: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    *,
    set_fields: dict[str, Any] | None = None,
    note: str = "",
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    """Conditional move from the state read: of two racing actors exactly one wins (409).
    A staff action is audited in the same transaction."""
    if session is None and actor.is_staff:
        return await uow.in_transaction(
            ctx,
            lambda s: _apply(
                ctx, transfer, actor, action, to, set_fields=set_fields, note=note, session=s
            ),
        )
    frm = transfer["status"]
    fields = dict(set_fields or {})
    if to not in OPEN:
        fields["open_member"] = None  # frees the one-open-transfer-per-member slot
    moved = await statemachine.move(
        ctx.db.transfers,
        transfer,
        timeline_event(actor, ctx.now(), action, frm, to, note),
        conflict=Conflict("转接状态已变化，请刷新后重试", code="transfer_state_changed"),
        set_fields=fields,
        session=session,
    )
    if actor.is_staff:
        incoming = action in ("accept", "return")
        await audit.record(
            ctx,
            actor,
            f"transfer.{action}",
            org_path=transfer["to_path" if incoming else "from_path"],
            target_type="transfer",
            target_id=transfer["_id"],
            target_label=f"{transfer['member_name']}：{transfer['from_org_name']} → "
            f"{transfer['to_org_name']}",
            reason=note,
            before={"status": frm},
            after={
                "status": to,
                **({"letter_no": fields["letter_no"]} if "letter_no" in fields else {}),
            },
            session=session,
        )
    return moved


def _need(transfer: dict[str, Any], *states: str) -> None:
    if transfer["status"] not in states:
        raise Conflict(
            f"转接当前状态为「{STATUS_NAMES[transfer['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


async def _letter_number(ctx: Context) -> str:
    """介绍信编号: 转<year>第<n>号, n counted per year (one counter document, atomic $inc)."""
    year = ctx.now().astimezone(BEIJING).year
    doc = await ctx.db.counters.find_one_and_update(
        {"_id": f"transfer_letter:{year}"},
        {"$inc": {"n": 1}},
        upsert=True,
        return_document=True,
    )
    assert doc is not None  # upserted
    return f"转{year}第{int(doc['n']):05d}号"


async def request_transfer(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """By the member (for themself) or a secretary of the member's branch (member_id)."""
    member_id = data.get("member_id") or actor.id
    member = await ctx.db.users.find_one({"_id": member_id, "deleted_at": None})
    own = member_id == actor.id
    if member is None or not (own or actor.manages(member.get("org_path"))):
        raise NotFound("找不到该队员", code="member_not_found")
    if member["role"] != "member" or member.get("transferred_out"):
        raise Conflict("只有本平台在册的党员队员可以办理组织关系转接", code="not_a_member")
    to_org_id = data.get("to_org_id")
    external = (data.get("external_org") or "").strip()
    if bool(to_org_id) == bool(external):
        raise ValidationFailed(
            fields={"to_org_id": "请选择接收支部，或填写平台外的接收组织（二选一）"}
        )
    to_org = None
    if to_org_id:
        to_org = await orgs.get_org(ctx, to_org_id)
        if to_org["type"] != "branch":
            raise ValidationFailed(fields={"to_org_id": "接收组织必须是党支部"})
        if to_org["_id"] == member.get("org_id"):
            raise ValidationFailed(fields={"to_org_id": "接收支部与当前支部相同"})
    now = ctx.now()
    transfer = {
        "_id": ObjectId(),
        "member_id": member_id,
        "member_name": member.get("name") or "",
        "open_member": member_id,  # unique while open: one transfer at a time per member
        "from_org_id": member["org_id"],
        "from_org_name": await orgs.org_name(ctx, member["org_id"]),
        "from_path": list(member.get("org_path") or []),
        "to_org_id": to_org["_id"] if to_org else None,
        "to_org_name": to_org["name"] if to_org else external,
        "to_path": list(to_org["path"]) if to_org else [],
        "external": to_org is None,
        "reason": data.get("reason") or "",
        "status": PENDING_OUT,
        "version": 0,
        "letter_no": None,
        "deadline_at": None,
        "initiated_by": actor.id,
        "timeline": [
            timeline_event(actor, now, "request", None, PENDING_OUT, data.get("reason") or "")
        ],
        "created_at": now,
        "updated_at": now,
    }
    transfer["scope_paths"] = list(dict.fromkeys([*transfer["from_path"], *transfer["to_path"]]))
    try:
        await ctx.db.transfers.insert_one(transfer)
    except DuplicateKeyError:
        raise Conflict("该队员已有办理中的组织关系转接", code="transfer_open") from None
    return transfer


async def approve(ctx: Context, actor: Actor, transfer_id: ObjectId) -> dict[str, Any]:
    """The outgoing secretary approves: a 介绍信 number is issued and the clock starts."""
    transfer = await get_visible(ctx, actor, transfer_id)
    if not actor.manages(transfer["from_path"]):
        raise Forbidden("只有转出支部或其上级组织的管理员可以审批")
    _need(transfer, PENDING_OUT)
    letter = await _letter_number(ctx)
    if transfer["external"]:
        await _check_open_work(ctx, transfer["member_id"])

        async def out(session: AsyncClientSession) -> dict[str, Any]:
            done = await _apply(
                ctx,
                transfer,
                actor,
                "transfer_out",
                ACCEPTED,
                set_fields={"letter_no": letter, "accepted_at": ctx.now()},
                note=f"介绍信 {letter}，转往 {transfer['to_org_name']}",
                session=session,
            )
            await ctx.db.users.update_one(
                {"_id": transfer["member_id"]},
                {"$set": {"transferred_out": True, "updated_at": ctx.now()}},
                session=session,
            )
            return done

        return await uow.in_transaction(ctx, out)
    days = float(ctx.config.transfers.deadline_days)
    return await _apply(
        ctx,
        transfer,
        actor,
        "approve",
        PENDING_IN,
        set_fields={"letter_no": letter, "deadline_at": ctx.now() + timedelta(days=days)},
        note=f"介绍信 {letter}",
    )


async def open_work(ctx: Context, member_id: ObjectId) -> list[dict[str, Any]]:
    """What the member must finish or release before the relation can move."""
    blocking: list[dict[str, Any]] = []
    cursor = ctx.db.orders.find(
        {"assignee_id": member_id, "status": {"$in": list(BLOCKING_ORDER_STATES)}},
        {"category_name": 1, "status": 1, "address": 1},
    )
    async for order in cursor:
        blocking.append(
            {"type": "order", "id": str(order["_id"]), "title": order.get("category_name", "")}
        )
    if "wishes" in await existing_collections(ctx):  # 微心愿 claimed and not yet fulfilled
        async for wish in ctx.db.wishes.find(
            {"claimed_by": member_id, "status": "claimed"}, {"title": 1}
        ):
            blocking.append({"type": "wish", "id": str(wish["_id"]), "title": wish.get("title")})
    return blocking


async def _check_open_work(ctx: Context, member_id: ObjectId) -> None:
    blocking = await open_work(ctx, member_id)
    if blocking:
        names = "、".join(
            f"{'工单' if b['type'] == 'order' else '微心愿'}「{b['title']}」" for b in blocking
        )
        raise Conflict(
            f"该队员还有未完成的事项，请先完成或退回：{names}",
            code="open_work",
            fields={"open": blocking},
        )


async def accept(ctx: Context, actor: Actor, transfer_id: ObjectId) -> dict[str, Any]:
    """The receiving secretary accepts: transfer and member move together, or neither."""
    transfer = await get_visible(ctx, actor, transfer_id)
    if not actor.manages(transfer["to_path"]):
        raise Forbidden("只有接收支部或其上级组织的管理员可以接收")
    _need(transfer, PENDING_IN)
    await _check_open_work(ctx, transfer["member_id"])
    to_org = await orgs.get_org(ctx, transfer["to_org_id"])

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await _apply(
            ctx,
            transfer,
            actor,
            "accept",
            ACCEPTED,
            set_fields={"accepted_at": ctx.now()},
            session=session,
        )
        # the blocking check again, inside the transaction: an order accepted meanwhile
        # makes one of the two writes conflict, or is seen here
        still = await ctx.db.orders.count_documents(
            {
                "assignee_id": transfer["member_id"],
                "status": {"$in": list(BLOCKING_ORDER_STATES)},
            },
            session=session,
        )
        if still:
            raise Conflict("该队员刚接了新的工单，请先完成或退回", code="open_work")
        moved = await ctx.db.users.update_one(
            {
                "_id": transfer["member_id"],
                "role": "member",
                "org_id": transfer["from_org_id"],
                "deleted_at": None,
            },
            {
                "$set": {
                    "org_id": to_org["_id"],
                    "org_path": list(to_org["path"]),
                    "updated_at": ctx.now(),
                },
                "$push": {
                    "org_history": {
                        "from": transfer["from_org_id"],
                        "to": to_org["_id"],
                        "at": ctx.now(),
                        "transfer_id": transfer["_id"],
                        "letter_no": transfer["letter_no"],
                    }
                },
            },
            session=session,
        )
        if moved.matched_count != 1:
            raise Conflict("队员的组织关系已发生变化，请刷新后重试", code="member_moved")
        # the member counters (共 N 名) of both branches and the nodes above them
        await membership.move(
            ctx, session, joined=[list(to_org["path"])], left=[transfer["from_path"]]
        )
        return done

    return await uow.in_transaction(ctx, work)


async def return_transfer(
    ctx: Context, actor: Actor, transfer_id: ObjectId, reason: str
) -> dict[str, Any]:
    transfer = await get_visible(ctx, actor, transfer_id)
    if not actor.manages(transfer["to_path"]):
        raise Forbidden("只有接收支部或其上级组织的管理员可以退回")
    _need(transfer, PENDING_IN)
    return await _apply(
        ctx, transfer, actor, "return", RETURNED, set_fields={"return_reason": reason}, note=reason
    )


async def cancel(ctx: Context, actor: Actor, transfer_id: ObjectId, reason: str) -> dict[str, Any]:
    transfer = await get_visible(ctx, actor, transfer_id)
    if not (transfer["member_id"] == actor.id or actor.manages(transfer["from_path"])):
        raise Forbidden("只有本人或转出支部的管理员可以撤销")
    _need(transfer, *OPEN)
    return await _apply(ctx, transfer, actor, "cancel", CANCELLED, note=reason)


async def run_deadlines(ctx: Context) -> dict[str, int]:
    """Job: remind the receiving secretaries before the deadline, expire after it."""
    now = ctx.now()
    remind_before = timedelta(days=float(ctx.config.transfers.remind_days_before))
    expired = reminded = 0
    cursor = ctx.db.transfers.find(
        {"status": PENDING_IN, "deadline_at": {"$lte": now + remind_before}}
    )
    notices: list[Notice] = []
    async for transfer in cursor:
        if transfer["deadline_at"] <= now:
            try:
                await _apply(ctx, transfer, SYSTEM, "expire", EXPIRED, note="逾期未接收")
            except Conflict:
                continue
            expired += 1
            notices.append(
                Notice(
                    user_id=transfer["member_id"],
                    key=f"transfer:{transfer['_id']}:expired",
                    kind="transfer",
                    title="组织关系转接已过期",
                    body=f"转往{transfer['to_org_name']}的转接逾期未接收，请重新申请",
                )
            )
            continue
        async for sec in ctx.db.users.find(
            {"org_path": transfer["to_org_id"], "role": {"$in": ["secretary", "admin"]}},
            {"_id": 1},
        ):
            reminded += 1
            notices.append(
                Notice(
                    user_id=sec["_id"],
                    key=f"transfer:{transfer['_id']}:remind:{sec['_id']}",
                    kind="transfer",
                    title="组织关系转接待接收",
                    body=f"{transfer['member_name']}的组织关系转接（{transfer['letter_no']}）即将逾期",
                    template="todo",
                )
            )
    await notify_many(ctx, notices)
    return {"expired": expired, "reminded": reminded}
