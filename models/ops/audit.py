"""Audit log (操作日志) of every staff action: who did what, when, why, before and after.

Entries are written once and never changed. Each carries the org path of what was acted
on, so an admin reads exactly the entries of their own subtree. A staff action is audited
by the service that performs it, whichever door (admin page or API) it came through:
directly, inside the action's own transaction where it has one, or — for order
transitions — from the timeline event written in the transition's own update
(`from_order_event`, run by the outbox pass), so the hot path pays no extra round trip.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import paging
from models.core.context import Context
from models.people.users import Actor
from server.logging import client_ip

ACTION_NAMES = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "账号锁定",
    "logout": "退出登录",
    "order.dispatch": "派单",
    "order.reject": "驳回工单",
    "order.cancel": "取消工单",
    "registration.approve": "通过队员申请",
    "registration.reject": "驳回队员申请",
    "member.import": "导入队员名册",
    "member.export": "导出队员名单",
    "points.adjust": "积分调整",
    "points.adjust_request": "提交积分调整（待审批）",
    "points.adjust_approve": "审批通过积分调整",
    "points.adjust_reject": "驳回积分调整",
    "points.export": "导出积分台账",
    "catalogue.create": "新增服务项目",
    "catalogue.update": "修改服务项目",
    "moderation.approve": "内容审核：通过",
    "moderation.hide": "内容审核：隐藏",
    "certificate.revoke": "撤销志愿服务记录证明",
    "honours.confirm": "确认荣誉名单",
    "certificate.issue": "出具志愿服务记录证明",
    "certificate.decline": "不予出具志愿服务记录证明",
    "transfer.approve": "组织关系转出审批",
    "transfer.transfer_out": "组织关系转出本平台",
    "transfer.accept": "接收组织关系",
    "transfer.return": "退回组织关系转接",
    "transfer.cancel": "撤销组织关系转接",
    "transfer.expire": "组织关系转接过期",
    "report.confirm": "确认双报到",
    "report.decline": "退回双报到",
    "report.end": "结束双报到",
    "activity.create": "创建活动",
    "activity.publish": "发布活动",
    "activity.edit": "修改活动",
    "activity.minutes": "记录会议纪要",
    "activity.cancel": "取消活动",
    "activity.checkin": "活动补签到",
    "activity.checkout": "活动补签退",
    "activity.hours": "更正活动时长",
    "activity.mark": "登记出勤（出席/请假/缺席）",
    "activity.export": "导出活动考勤",
    "activity.settle": "结算活动积分与时长",
    "points.hold_release": "放行待审核积分",
    "points.hold_refuse": "驳回待审核积分",
    "rewards.create": "新增积分商品",
    "rewards.update": "修改积分商品",
    "rewards.pickup": "核销兑换码",
    "rewards.export": "导出兑换记录",
    "org.phone": "设置组织服务电话",
}


def _clean(value: Any) -> Any:
    """Keep before/after small and storable: no `$`/dotted keys, long text cut."""
    if isinstance(value, dict):
        return {str(k).replace(".", "．").lstrip("$"): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in list(value)[:50]]
    if isinstance(value, str) and len(value) > 500:
        return value[:500] + "…"
    return value


async def record(
    ctx: Context,
    actor: Actor | None,
    action: str,
    *,
    org_path: list[ObjectId] | tuple[ObjectId, ...] | None,
    target_type: str = "",
    target_id: Any = None,
    target_label: str = "",
    reason: str = "",
    before: Any = None,
    after: Any = None,
    ip: str | None = None,
    username: str | None = None,
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    """Write one audit record; inside the caller's transaction when `session` is given.

    The address defaults to the current request's (set by the handler base), so a staff
    action is audited the same whichever door — admin page or API — it came through.
    """
    doc = {
        "_id": ObjectId(),
        "at": ctx.now(),
        "actor_id": actor.id if actor else None,
        "actor_name": (actor.name if actor else "") or username or "",
        "actor_role": actor.role if actor else None,
        "username": username or (actor.doc.get("username") if actor else None),
        "action": action,
        "org_path": list(org_path or (actor.org_path if actor else ())),
        "target": {"type": target_type, "id": target_id, "label": target_label},
        "reason": reason,
        "before": _clean(before),
        "after": _clean(after),
        "ip": ip or client_ip.get(),
    }
    await ctx.db.audit_log.insert_one(doc, session=session)
    return doc


async def from_order_event(
    ctx: Context, order: dict[str, Any], index: int, event: dict[str, Any] | None = None
) -> bool:
    """The audit record of the staff transition `event`, event `index` of the order's history
    (by default `order.timeline[index]`), written once.

    The event carries what the record needs (actor, time, from/to, note, the request's
    address); its key `order:<id>:<index>` is unique, so the outbox may run it again.
    """
    if event is None:
        event = order["timeline"][index]
    doc = {
        "_id": ObjectId(),
        "key": f"order:{order['_id']}:{index}",
        "at": event["at"],
        "actor_id": event.get("actor_id"),
        "actor_name": event.get("actor_name") or "",
        "actor_role": event.get("actor_role"),
        "username": None,
        "action": event["audit"],
        "org_path": list(order["org_path"]),
        "target": {
            "type": "order",
            "id": order["_id"],
            "label": f"{order['category_name']}｜{order['address'][:20]}",
        },
        "reason": _clean(event.get("note") or ""),
        "before": {"status": event.get("from")},
        "after": _clean({"status": event["to"], **event.get("audit_after", {})}),
        "ip": event.get("ip"),
    }
    try:
        await ctx.db.audit_log.insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


async def search(
    ctx: Context,
    actor: Actor | None,
    *,
    org_id: ObjectId,
    action: str | None = None,
    actor_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, inside `org_id` (which the caller has checked is in the actor's scope).

    Read in time windows walking back from `until` (models/core/paging.py), each an
    indexed `{org_path, at}` range, until the page is full: the cost follows the page,
    not the size of the log.
    """
    until = until or ctx.now() + timedelta(seconds=1)
    floor = since or until - timedelta(days=366)
    base: dict[str, Any] = {"org_path": org_id}
    if action:
        base["action"] = action
    if actor_name:
        base["actor_name"] = actor_name
    return await paging.newest_in_windows(
        ctx.db.audit_log,
        base,
        now=until - timedelta(seconds=1),
        field="at",
        cursor=paging.decode(cursor),
        limit=limit,
        floor=floor,
    )
