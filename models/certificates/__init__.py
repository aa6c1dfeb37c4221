"""志愿服务记录证明: certificates per 志愿服务记录与证明出具办法, signed numbers, public check.

requested ─issue→ issued ─revoke(reason, audited)→ revoked
    └─decline→ declined

Content (办法 第十三条): volunteer identity (name, ID type and masked number, volunteer
number), service information (total hours, the services with dates and hours), issuer
information (organisation, person in charge, handler, contact), certificate number and issue
date. The number carries an HMAC over its body: a forged or altered number is refused before
any lookup, and its random part makes numbers impossible to enumerate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from models import records
from models.core import paging, uow
from models.core.clock import BEIJING
from models.core.context import Context
from models.ops import audit
from models.people import orgs
from models.people.users import Actor
from server.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed

REQUESTED = "requested"
ISSUED = "issued"
REVOKED = "revoked"
DECLINED = "declined"
STATUSES = (REQUESTED, ISSUED, REVOKED, DECLINED)
STATUS_NAMES = {REQUESTED: "待出具", ISSUED: "有效", REVOKED: "已撤销", DECLINED: "未出具"}
ID_TYPES = ("居民身份证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "护照")
NUMBER = re.compile(r"^ZY(\d{8})([A-Z2-7]{8})-([A-Z2-7]{10})$")


# ------------------------------------------------------------------ numbers and masking


def _key(ctx: Context) -> bytes:
    key = str(ctx.config.certificates.signing_key or "")
    if not key:
        key = "certificates:" + str(ctx.config.auth.cookie_secret)
    return key.encode()


def _signature(ctx: Context, body: str) -> str:
    digest = hmac.new(_key(ctx), body.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:10]


def new_number(ctx: Context) -> str:
    day = ctx.now().astimezone(BEIJING).strftime("%Y%m%d")
    rand = base64.b32encode(secrets.token_bytes(5)).decode()
    body = f"ZY{day}{rand}"
    return f"{body}-{_signature(ctx, body)}"


def signed(ctx: Context, number: str) -> bool:
    """True if `number` is well formed and its signature is ours (constant-time compare)."""
    match = NUMBER.match(number or "")
    if match is None:
        return False
    body = number.split("-")[0]
    return hmac.compare_digest(_signature(ctx, body), match.group(3))


def mask_id_number(value: str) -> str:
    value = value.strip().upper()
    if len(value) <= 6:
        return value[:1] + "*" * (len(value) - 1)
    keep = 4 if len(value) >= 15 else 2
    return value[:keep] + "*" * (len(value) - keep - 4) + value[-4:]


def mask_name(name: str) -> str:
    return (name[:1] + "*" * (len(name) - 1)) if len(name) > 1 else name


# ------------------------------------------------------------------ the machine


async def request_certificate(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A member asks for a certificate of a period; the ID number is kept masked only."""
    if not actor.is_member or actor.org_id is None:
        raise Forbidden("只有队员可以申请志愿服务记录证明")
    since: date = data["from_"]
    until: date = data["to"]
    records.period_bounds(ctx, since, until)  # the same limits as a record's period
    if until > ctx.now().astimezone(BEIJING).date():
        raise ValidationFailed(fields={"to": "结束日期不能晚于今天"})
    id_number = data["id_number"].strip().upper()
    now = ctx.now()
    doc = {
        "_id": ObjectId(),
        "member_id": actor.id,
        "member_name": actor.name,
        "org_id": actor.org_id,
        "org_path": list(actor.org_path),
        "period_from": since.isoformat(),
        "period_to": until.isoformat(),
        "id_type": data["id_type"],
        "id_number_masked": mask_id_number(id_number),
        "id_number_hash": hmac.new(_key(ctx), id_number.encode(), hashlib.sha256).hexdigest(),
        "purpose": data.get("purpose") or "",
        "status": REQUESTED,
        "version": 0,
        "number": None,
        "created_at": now,
        "updated_at": now,
        "timeline": [{"at": now, "action": "request", "actor_name": actor.name, "note": ""}],
    }
    await ctx.db.certificates.insert_one(doc)
    return doc


def can_view(cert: dict[str, Any], actor: Actor) -> bool:
    return cert["member_id"] == actor.id or actor.manages(cert["org_path"])


async def get_visible(ctx: Context, actor: Actor, cert_id: ObjectId) -> dict[str, Any]:
    cert = await ctx.db.certificates.find_one({"_id": cert_id})
    if cert is None or not can_view(cert, actor):
        raise NotFound("找不到该证明", code="certificate_not_found")
    return cert


async def _apply(
    ctx: Context,
    cert: dict[str, Any],
    actor: Actor,
    action: str,
    to: str,
    set_fields: dict[str, Any],
    note: str = "",
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    if session is None and action in ("issue", "decline"):
        return await uow.in_transaction(
            ctx, lambda s: _apply(ctx, cert, actor, action, to, set_fields, note, session=s)
        )
    event = {"at": ctx.now(), "action": action, "actor_name": actor.name, "note": note}
    fields = {"status": to, "updated_at": event["at"], **set_fields}
    result = await ctx.db.certificates.update_one(
        {"_id": cert["_id"], "status": cert["status"], "version": cert["version"]},
        {"$set": fields, "$push": {"timeline": event}, "$inc": {"version": 1}},
        session=session,
    )
    if result.modified_count != 1:
        raise Conflict("证明状态已变化，请刷新后重试", code="certificate_state_changed")
    if action in ("issue", "decline"):
        await audit.record(
            ctx,
            actor,
            f"certificate.{action}",
            org_path=cert["org_path"],
            target_type="certificate",
            target_id=cert["_id"],
            target_label=set_fields.get("number") or cert["member_name"],
            reason=note,
            before={"status": cert["status"]},
            after={"status": to},
            session=session,
        )
    return {**cert, **fields, "version": cert["version"] + 1}


def _need(cert: dict[str, Any], state: str) -> None:
    if cert["status"] != state:
        raise Conflict(
            f"证明当前状态为「{STATUS_NAMES[cert['status']]}」，不能执行此操作",
            code="invalid_transition",
        )


async def issue(ctx: Context, actor: Actor, cert_id: ObjectId, data: dict[str, Any]) -> dict:
    """A secretary of the member's branch (or above) issues it: content frozen, number signed."""
    cert = await get_visible(ctx, actor, cert_id)
    if not actor.manages(cert["org_path"]):
        raise Forbidden("只有队员所在组织的管理员可以出具证明")
    _need(cert, REQUESTED)
    member = await ctx.db.users.find_one({"_id": cert["member_id"]})
    if member is None:
        raise Conflict("队员账号已注销", code="member_gone")
    start, end = records.period_bounds(
        ctx, date.fromisoformat(cert["period_from"]), date.fromisoformat(cert["period_to"])
    )
    record = await records.build_record(ctx, member, start, end)
    issuer_org = await orgs.get_org(ctx, actor.org_id) if actor.org_id else {}
    services = [
        {
            "date": o["closed_at"].astimezone(BEIJING).date().isoformat(),
            "name": o["category_name"],
            "place": o.get("org_name") or "",
            "hours": o["hours"],
        }
        for o in record["orders"]
    ]
    content = {
        "volunteer_no": record["member"]["volunteer_no"],
        "total_hours": record["totals"]["hours"],
        "services": services,
        "issuer_org": issuer_org.get("name") or "",
        "issuer_leader": data.get("leader") or issuer_org.get("leader") or actor.name,
        "handler": actor.name,
        "contact": data.get("contact")
        or issuer_org.get("contact")
        or str(ctx.config.certificates.issuer_contact or ""),
    }
    return await _apply(
        ctx,
        cert,
        actor,
        "issue",
        ISSUED,
        {"number": new_number(ctx), "issued_at": ctx.now(), "content": content},
    )


async def decline(ctx: Context, actor: Actor, cert_id: ObjectId, reason: str) -> dict[str, Any]:
    cert = await get_visible(ctx, actor, cert_id)
    if not actor.manages(cert["org_path"]):
        raise Forbidden("只有队员所在组织的管理员可以处理")
    _need(cert, REQUESTED)
    return await _apply(ctx, cert, actor, "decline", DECLINED, {"reason": reason}, reason)


async def revoke(ctx: Context, actor: Actor, cert_id: ObjectId, reason: str) -> dict[str, Any]:
    """The issuer revokes it with a reason, audited in the same transaction."""
    cert = await get_visible(ctx, actor, cert_id)
    if not actor.manages(cert["org_path"]):
        raise Forbidden("只有出具组织的管理员可以撤销证明")
    _need(cert, ISSUED)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        done = await _apply(
            ctx,
            cert,
            actor,
            "revoke",
            REVOKED,
            {"revoked_at": ctx.now(), "revoke_reason": reason},
            reason,
            session=session,
        )
        await audit.record(
            ctx,
            actor,
            "certificate.revoke",
            org_path=cert["org_path"],
            target_type="certificate",
            target_id=cert["_id"],
            target_label=cert["number"],
            reason=reason,
            before={"status": ISSUED},
            after={"status": REVOKED},
            session=session,
        )
        return done

    return await uow.in_transaction(ctx, work)


async def list_certificates(
    ctx: Context, actor: Actor, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    query: dict[str, Any] = (
        {"org_path": actor.org_id} if actor.is_staff else {"member_id": actor.id}
    )
    if status:
        query["status"] = status
    return await paging.newest_of_owner(
        ctx.db.certificates, query, cursor=paging.decode(cursor), limit=limit
    )


# ------------------------------------------------------------------ public verification


async def check_rate(ctx: Context, client: str) -> None:
    """Per client address and minute; past the limit 429 (enumeration is pointless anyway)."""
    now = ctx.now()
    minute = now.strftime("%Y%m%d%H%M")
    key = f"verify:{client}:{minute}"
    await ctx.db.rate_limits.update_one(
        {"_id": key},
        {"$inc": {"n": 1}, "$setOnInsert": {"expires_at": now + timedelta(minutes=2)}},
        upsert=True,
    )
    doc = await ctx.db.rate_limits.find_one({"_id": key})
    if doc and doc["n"] > int(ctx.config.certificates.verify_per_minute):
        raise RateLimited("查询过于频繁，请稍后再试", code="verify_rate_limited")


async def verify(ctx: Context, number: str) -> dict[str, Any]:
    """The masked summary of a certificate, or 404 for a number that is not ours."""
    if not signed(ctx, number):
        raise NotFound("证书编号无效：编号或校验码不正确", code="certificate_invalid")
    cert = await ctx.db.certificates.find_one({"number": number})
    if cert is None:
        raise NotFound("证书编号无效：编号或校验码不正确", code="certificate_invalid")
    return public_summary(cert)


def public_summary(cert: dict[str, Any]) -> dict[str, Any]:
    content = cert.get("content") or {}
    return {
        "number": cert["number"],
        "status": cert["status"],
        "status_name": STATUS_NAMES[cert["status"]],
        "valid": cert["status"] == ISSUED,
        "name": mask_name(cert["member_name"]),
        "id_type": cert["id_type"],
        "id_number": cert["id_number_masked"],
        "period": f"{cert['period_from']} 至 {cert['period_to']}",
        "total_hours": content.get("total_hours", 0),
        "services": len(content.get("services", [])),
        "issuer_org": content.get("issuer_org", ""),
        "issued_at": cert.get("issued_at"),
        "revoked_at": cert.get("revoked_at"),
    }


def certificate_json(cert: dict[str, Any], actor: Actor) -> dict[str, Any]:
    content = cert.get("content") or {}
    staff = actor.manages(cert["org_path"])
    actions = []
    if cert["status"] == REQUESTED and staff:
        actions += ["issue", "decline"]
    if cert["status"] == ISSUED and staff:
        actions.append("revoke")
    return {
        "id": str(cert["_id"]),
        "member_id": str(cert["member_id"]),
        "member_name": cert["member_name"],
        "period_from": cert["period_from"],
        "period_to": cert["period_to"],
        "id_type": cert["id_type"],
        "id_number": cert["id_number_masked"],
        "purpose": cert.get("purpose") or "",
        "status": cert["status"],
        "status_name": STATUS_NAMES[cert["status"]],
        "number": cert.get("number"),
        "issued_at": cert.get("issued_at"),
        "total_hours": content.get("total_hours"),
        "issuer_org": content.get("issuer_org"),
        "revoke_reason": cert.get("revoke_reason"),
        "created_at": cert["created_at"],
        "actions": actions,
    }
