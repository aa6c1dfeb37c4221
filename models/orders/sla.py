"""Order SLAs: nothing waits silently. Run by the `sla` job; every step happens once.

Stages, per category (config `sla.*`, overridden by a category's own `sla` sub-document):
- submitted, not dispatched for `dispatch_remind_hours` → remind the staff in charge;
  for `dispatch_escalate_hours` → escalate to the parent node (a timeline transition,
  at most `max_escalations` levels; the notifier tells the new node's staff);
- dispatched, not accepted for `accept_remind_hours` → remind the candidate volunteers;
  for `accept_escalate_hours` → remind the staff in charge;
- accepted / in service past `due_at` + `due_grace_hours` → remind the volunteer;
- completed, not confirmed for `confirm_remind_days` → remind the resident; for
  `confirm_auto_close_days` → close automatically and award the points (the same
  transaction as a confirmation, so exactly once).

A stage belongs to a round: the order's version when it entered its state (a decline or an
escalation starts a new round). Each reminder's notice key is order + round + stage +
recipient, so it is written once whatever runs twice; `sla_done` on the order only saves
the work of trying again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from models import orders
from models.core.clock import tz
from models.core.context import Context
from models.notifications.inbox import Notice, notify_many
from models.orders.notices import in_charge, path_to, staff_in_charge, volunteers_for
from models.points.ledger import AlreadyRecorded
from server.errors import Conflict

KEYS = (
    "dispatch_remind_hours",
    "dispatch_escalate_hours",
    "max_escalations",
    "accept_remind_hours",
    "accept_escalate_hours",
    "due_grace_hours",
    "confirm_remind_days",
    "confirm_auto_close_days",
)
PROJECTION = {"timeline": 0, "description": 0, "photos": 0, "completion_photos": 0}


async def category_slas(ctx: Context) -> dict[ObjectId, dict[str, float]]:
    base = {k: float(getattr(ctx.config.sla, k)) for k in KEYS}
    out: dict[ObjectId, dict[str, float]] = {}
    async for cat in ctx.db.service_categories.find({}, {"sla": 1}):
        own = {k: float(v) for k, v in (cat.get("sla") or {}).items() if k in KEYS}
        out[cat["_id"]] = {**base, **own}
    out[ObjectId("0" * 24)] = base
    return out


def _sla(slas: dict[ObjectId, dict[str, float]], order: dict[str, Any]) -> dict[str, float]:
    return slas.get(order["category_id"]) or slas[ObjectId("0" * 24)]


def _push(order: dict[str, Any], remark: str, when: datetime | None) -> dict[str, Any]:
    return {
        "subject": order["category_name"],
        "status": orders.STATUS_NAMES[order["status"]],
        "remark": remark,
        "time": when,
    }


class _Run:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.now = ctx.now()
        self.counts: dict[str, int] = {}

    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.counts[name] = self.counts.get(name, 0) + n

    async def remind(
        self,
        order: dict[str, Any],
        stage: str,
        who: list[ObjectId],
        title: str,
        body: str,
        when: datetime | None,
    ) -> None:
        """Once per order, round and stage: the key makes a second run a no-op."""
        mark = f"v{order.get('version', 0)}:{stage}"
        if stage.startswith("due:"):
            mark = stage
        if mark in order.get("sla_done", []):
            return
        notices = [
            Notice(
                user_id=user,
                key=f"sla:{order['_id']}:{mark}:{user}",
                kind=f"reminder_{stage.split(':')[0]}",
                title=title,
                body=body,
                template="todo",
                order_id=order["_id"],
                push=_push(order, title, when),
            )
            for user in who
        ]
        self.count(f"{stage.split(':')[0]}_reminders", await notify_many(self.ctx, notices))
        await self.ctx.db.orders.update_one(
            {"_id": order["_id"]}, {"$addToSet": {"sla_done": mark}}
        )


def _hours(td: timedelta) -> float:
    return td.total_seconds() / 3600


async def _submitted(run: _Run, order: dict[str, Any], sla: dict[str, float]) -> None:
    """Not dispatched: escalate to the parent node, or remind the staff in charge."""
    age = _hours(run.now - order["updated_at"])
    path = list(order["org_path"])
    levels = path.index(order["org_id"]) - path.index(in_charge(order))
    if age >= sla["dispatch_escalate_hours"] and levels < sla["max_escalations"]:
        try:
            moved = await orders.escalate_order(
                run.ctx, order, f"超过 {sla['dispatch_escalate_hours']:g} 小时未派单"
            )
        except Conflict:
            return  # changed meanwhile: the next run sees the new state
        if moved is not None:
            run.count("escalated")
            return
    if age >= sla["dispatch_remind_hours"]:
        staff = await staff_in_charge(run.ctx, path_to(order, in_charge(order)))
        await run.remind(
            order,
            "dispatch",
            staff,
            "工单待派单，请尽快处理",
            f"「{order['category_name']}」工单已等待 {int(age)} 小时未派单",
            order["updated_at"],
        )


async def _dispatched(run: _Run, order: dict[str, Any], sla: dict[str, float]) -> None:
    """Not accepted: remind the candidate volunteers, later the staff in charge."""
    age = _hours(run.now - order["updated_at"])
    if age >= sla["accept_remind_hours"]:
        volunteers = await volunteers_for(run.ctx, order, {})
        await run.remind(
            order,
            "accept",
            volunteers,
            "有工单等待接单",
            f"「{order['category_name']}」{order['address']}，已派单 {int(age)} 小时无人接单",
            order.get("due_at"),
        )
    if age >= sla["accept_escalate_hours"]:
        staff = await staff_in_charge(run.ctx, path_to(order, in_charge(order)))
        await run.remind(
            order,
            "unaccepted",
            staff,
            "派出的工单无人接单",
            f"「{order['category_name']}」工单派出 {int(age)} 小时仍无人接单，请改派",
            order.get("dispatched_at"),
        )


async def _overdue(run: _Run, order: dict[str, Any], sla: dict[str, float]) -> None:
    """Accepted or in service past the due time (plus grace): remind the volunteer."""
    due = order["due_at"]
    if run.now < due + timedelta(hours=sla["due_grace_hours"]) or not order.get("assignee_id"):
        return
    await run.remind(
        order,
        f"due:{order['assignee_id']}:{int(due.timestamp())}",
        [order["assignee_id"]],
        "工单已超过完成时限",
        f"「{order['category_name']}」工单应在 {due.astimezone(tz(run.ctx)):%m月%d日 %H:%M} 前完成",
        due,
    )


async def _unconfirmed(run: _Run, order: dict[str, Any], sla: dict[str, float]) -> None:
    """Completed, not confirmed: remind the resident, later close and award (once)."""
    since = order.get("completed_at") or order["updated_at"]
    days = (run.now - since).total_seconds() / 86400
    if days >= sla["confirm_auto_close_days"]:
        try:
            await orders.auto_close_order(run.ctx, order, sla["confirm_auto_close_days"])
            run.count("auto_closed")
        except (Conflict, AlreadyRecorded):
            pass  # confirmed or closed meanwhile: exactly one close wins
        return
    if days >= sla["confirm_remind_days"]:
        await run.remind(
            order,
            "confirm",
            [order["resident_id"]],
            "请确认服务是否完成",
            f"「{order['category_name']}」服务已完成，请确认并评价；"
            f"{sla['confirm_auto_close_days']:g} 天后将自动确认",
            since,
        )


@dataclass(frozen=True)
class Stage:
    """One SLA stage: the orders in `statuses` whose `clock` is older than the smallest of
    the `keys` (in hours, or days when `days`) over every category, and what to do."""

    statuses: tuple[str, ...]
    clock: str
    keys: tuple[str, ...]
    act: Callable[[_Run, dict[str, Any], dict[str, float]], Awaitable[None]]
    days: bool = False


STAGES = (
    Stage(
        (orders.SUBMITTED,),
        "updated_at",
        ("dispatch_remind_hours", "dispatch_escalate_hours"),
        _submitted,
    ),
    Stage(
        (orders.DISPATCHED,),
        "updated_at",
        ("accept_remind_hours", "accept_escalate_hours"),
        _dispatched,
    ),
    Stage((orders.ACCEPTED, orders.IN_SERVICE), "due_at", ("due_grace_hours",), _overdue),
    Stage(
        (orders.COMPLETED,),
        "updated_at",
        ("confirm_remind_days", "confirm_auto_close_days"),
        _unconfirmed,
        days=True,
    ),
)


STATE_ID = "sla"
OVERLAP = timedelta(minutes=5)


async def run_sla(ctx: Context) -> dict[str, int]:
    """Each stage reads only the orders whose clock crossed one of its thresholds since the
    last run: per threshold an indexed `{status, clock: (last run - t, now - t]}` range (a
    few minutes' overlap). Orders reminded long ago are not read again, so a run costs the
    orders that fell due, not every order ever overdue. The first run (no watermark, or a
    clock set back) reads each stage's whole overdue range once."""
    run = _Run(ctx)
    slas = await category_slas(ctx)
    state = await ctx.db.job_state.find_one({"_id": STATE_ID})
    since: datetime | None = state["since"] if state else None
    if since is not None:
        since = since.replace(tzinfo=since.tzinfo or UTC)
        if since > run.now:
            since = None
    for stage in STAGES:
        thresholds = sorted({s[k] for s in slas.values() for k in stage.keys if k in s})
        seen: set[ObjectId] = set()
        for value in thresholds:
            wait = timedelta(days=value) if stage.days else timedelta(hours=value)
            window: dict[str, Any] = {"$lte": run.now - wait}
            if since is not None:
                window["$gt"] = since - wait - OVERLAP
            for status in stage.statuses:  # one indexed `{status, clock}` range per state
                query = {"status": status, stage.clock: window}
                async for order in ctx.db.orders.find(query, PROJECTION):
                    if order["_id"] in seen:
                        continue
                    seen.add(order["_id"])
                    await stage.act(run, order, _sla(slas, order))
    await ctx.db.job_state.update_one({"_id": STATE_ID}, {"$set": {"since": run.now}}, upsert=True)
    return run.counts
