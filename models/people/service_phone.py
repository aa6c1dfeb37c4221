"""An org node's service phone (`phone` on the org document): what 关怀模式 dials as
「打电话给社区」. Set by the node's staff, audited in the same transaction."""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models.core import uow
from models.core.context import Context
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from server.errors import NotFound, ValidationFailed

# a mobile number, a landline with its area code (an extension allowed), or a short hotline
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{5,8}")
PHONE_MESSAGE = (
    "请输入正确的服务电话：11 位手机号、带区号的座机号（如 010-12345678）或 5–8 位服务热线"
)


def normalise(phone: str | None) -> str | None:
    """The phone as stored (spaces dropped), None to clear it; ValidationFailed in Chinese."""
    text = re.sub(r"\s+", "", phone or "")
    if not text:
        return None
    if not PHONE.fullmatch(text):
        raise ValidationFailed(fields={"phone": PHONE_MESSAGE})
    return text


async def set_phone(
    ctx: Context, actor: Actor, org_id: ObjectId, phone: str | None
) -> dict[str, Any]:
    """Set (or clear, with None/"") the service phone of a node the actor manages."""
    value = normalise(phone)
    org = await orgs.get_org(ctx, org_id)
    if not actor.is_staff or not actor.manages(org["path"]):
        raise NotFound("找不到该组织", code="org_not_found")
    before = org.get("phone")

    async def work(session: AsyncClientSession) -> None:
        await ctx.db.orgs.update_one({"_id": org_id}, {"$set": {"phone": value}}, session=session)
        await audit.record(
            ctx,
            actor,
            "org.phone",
            org_path=org["path"],
            target_type="org",
            target_id=org_id,
            target_label=org["name"],
            before={"phone": before},
            after={"phone": value},
            session=session,
        )

    await uow.in_transaction(ctx, work)
    ctx.forget("orgs")
    return {**org, "phone": value}
