"""纸质服务单: a printable PDF of a dispatched order, with a signed QR for its volunteer.

The QR holds a mini-program path (`pages/order-detail/order-detail?id=<order>&slip=<sig>`);
the signature is an HMAC of the order id (key `orders.slip_secret`, derived from
`auth.cookie_secret` when empty). It proves the paper came from us, nothing more: the
API opens the order from it for the assigned volunteer (a named candidate while it waits
to be accepted) or staff in scope, and answers 404 to anyone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from bson import ObjectId

from models.core.context import Context
from models.orders.proxy import CHANNEL_NAMES, channel_of
from models.orders.states import (
    ACCEPTED,
    COMPLETED,
    DISPATCHED,
    IN_SERVICE,
    OPEN_FOR_ASSIGNEE,
    STATUS_NAMES,
)
from models.people.users import Actor
from server.errors import Conflict, NotFound
from server.logging import mask_phone

PRINTABLE = (DISPATCHED, ACCEPTED, IN_SERVICE, COMPLETED)
PAGE = "pages/order-detail/order-detail"


def _key(ctx: Context) -> bytes:
    key = str(ctx.config.orders.slip_secret or "")
    return (key or "order-slips:" + str(ctx.config.auth.cookie_secret)).encode()


def signature(ctx: Context, order_id: ObjectId) -> str:
    digest = hmac.new(_key(ctx), f"slip:{order_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def qr_payload(ctx: Context, order_id: ObjectId) -> str:
    """What the slip's QR holds: the mini-program page of the order, with the signature."""
    return f"{PAGE}?{urlencode({'id': str(order_id), 'slip': signature(ctx, order_id)})}"


def _holder(order: dict[str, Any], actor: Actor) -> bool:
    """The volunteer the slip is for: the assignee, or a named candidate before accepting."""
    if order.get("assignee_id"):
        return bool(order["assignee_id"] == actor.id)
    return order["status"] == DISPATCHED and actor.id in order.get("candidates", [])


async def order_by_slip(
    ctx: Context, actor: Actor, order_id: ObjectId, token: str
) -> dict[str, Any]:
    """The order a slip's QR names, for its volunteer or staff in scope; else 404."""
    good = hmac.compare_digest(signature(ctx, order_id).encode(), token.encode())
    order = await ctx.db.orders.find_one({"_id": order_id}) if good else None
    if order is None or not (_holder(order, actor) or actor.manages(order["org_path"])):
        raise NotFound("找不到该工单", code="order_not_found")
    return order


async def slip_for(ctx: Context, actor: Actor, order_id: ObjectId) -> dict[str, Any]:
    """The order if the caller may print its slip: staff in scope, or its volunteer."""
    order = await ctx.db.orders.find_one({"_id": order_id})
    if order is None or not (actor.manages(order["org_path"]) or _holder(order, actor)):
        raise NotFound("找不到该工单", code="order_not_found")
    if order["status"] not in PRINTABLE:
        raise Conflict(
            f"工单当前状态为「{STATUS_NAMES[order['status']]}」，派单后才能打印服务单",
            code="slip_not_ready",
        )
    return order


async def volunteer_label(ctx: Context, order: dict[str, Any]) -> str:
    """The assignee, or the named candidates while the order waits to be accepted."""
    if order.get("assignee_name"):
        return str(order["assignee_name"])
    if order.get("candidates"):
        named = ctx.db.users.find({"_id": {"$in": order["candidates"]}}, {"name": 1})
        return "、".join([u.get("name") or "" async for u in named]) + "（待接单）"
    return "任务大厅待接单" if order.get("hall_org_id") else ""


def slip_pdf(order: dict[str, Any], volunteer: str, payload: str) -> bytes:
    """The slip (blocking: fpdf2; run it in an executor)."""
    from models.records.documents import Document, local

    # the volunteer holds the paper: the full phone once the order is theirs (as in the app)
    phone = order.get("contact_phone")
    if not (order.get("assignee_id") and order["status"] in OPEN_FOR_ASSIGNEE):
        phone = mask_phone(phone)
    doc = Document("志愿服务单")
    doc.line(f"工单编号：{order['_id']}")
    top = doc.pdf.get_y()
    doc.qr(payload, size_mm=36)
    doc.pdf.set_y(top + 38)
    doc.heading("服务需求")
    doc.pairs(
        [
            ("服务项目", order["category_name"]),
            ("需求描述", order["description"]),
            ("服务地址", order["address"]),
            ("联系人", order.get("contact_name") or ""),
            ("联系电话", phone or ""),
            ("期望时间", local(order.get("wanted_at"), "%Y-%m-%d %H:%M") or "尽快"),
        ]
    )
    doc.heading("派单信息")
    doc.pairs(
        [
            ("所属组织", order.get("org_name") or ""),
            ("服务队员", volunteer or "（未指派）"),
            ("工单状态", STATUS_NAMES[order["status"]]),
            ("下单方式", CHANNEL_NAMES.get(channel_of(order), "")),
            ("代下单人", order.get("placer_name") or "—"),
            ("下单时间", local(order.get("created_at"), "%Y-%m-%d %H:%M")),
            ("派单时间", local(order.get("dispatched_at"), "%Y-%m-%d %H:%M")),
            ("接单时间", local(order.get("accepted_at"), "%Y-%m-%d %H:%M") or "—"),
            ("完成时限", local(order.get("due_at"), "%Y-%m-%d %H:%M")),
        ]
    )
    doc.heading("服务记录（队员填写）")
    doc.line("到达时间：________    完成时间：________    群众签字：________")
    doc.line("请用微信扫描上方二维码，在小程序中开始与完成本次服务。")
    return doc.bytes()
