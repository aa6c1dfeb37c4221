"""People: residents (群众), members (队员), secretaries (支部书记) and committee admins.

A user's `role` and `org_*` are only ever set by the server (registration approval,
`create-user`), never taken from a request body.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import uow
from models.core.context import Context
from models.people import membership, orgs
from server.errors import Conflict, NotFound, ValidationFailed
from server.logging import mask_phone

ROLES = ("resident", "member", "secretary", "admin", "merchant")  # merchant: 核销 at one node
STAFF_ROLES = ("secretary", "admin")
PARTY_STATUSES = ("入党申请人", "积极分子", "发展对象", "预备党员", "正式党员")
# duties a member may hold besides their role (a list `duties` on the user, set by staff)
GRID_WORKER = (
    "grid_worker"  # 网格员: places orders on residents' behalf (代下单) in their community
)
DUTY_NAMES = {GRID_WORKER: "网格员"}

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Actor:
    """Who is acting, as loaded once per request."""

    id: ObjectId
    role: str
    name: str = ""
    org_id: ObjectId | None = None
    org_path: tuple[ObjectId, ...] = field(default_factory=tuple)
    doc: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_member(self) -> bool:
        return self.role == "member"

    @property
    def is_grid_worker(self) -> bool:
        """A member holding the 网格员 duty (`duties` on the user)."""
        return self.is_member and GRID_WORKER in (self.doc.get("duties") or [])

    def manages(self, path: list[ObjectId] | tuple[ObjectId, ...] | None) -> bool:
        """A secretary or admin acts on anything whose org path passes through their node."""
        return self.is_staff and self.org_id is not None and self.org_id in (path or ())

    @classmethod
    def from_user(cls, user: dict[str, Any]) -> Actor:
        return cls(
            id=user["_id"],
            role=user["role"],
            name=user.get("name") or "",
            org_id=user.get("org_id"),
            org_path=tuple(user.get("org_path") or ()),
            doc=user,
        )


# The actor of time-driven transitions (jobs): not a user, never authenticates.
SYSTEM = Actor(id=ObjectId("000000000000000000000001"), role="system", name="系统")


def pick_of(user_id: ObjectId) -> float:
    """A fixed point in [0, 1) per user, from its id: the indexed key member samples walk
    (models/orders/candidates.py), so a sample reads a window of it, not every member."""
    digest = hashlib.blake2b(user_id.binary, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def new_user_doc(ctx: Context, role: str = "resident", **fields: Any) -> dict[str, Any]:
    """A new user; a member has a join time (the member list's order) from the start, and
    everyone the search keys of their name and phone (models/people/membership.py)."""
    now = ctx.now()
    user_id = fields.pop("_id", None) or ObjectId()
    doc = {
        "_id": user_id,
        "pick": pick_of(user_id),
        "role": role,
        "name": "",
        "phone": None,
        "org_id": None,
        "org_path": [],
        "skills": [],
        "party_status": None,
        "home_location": None,
        "points_balance": 0,
        "hours_tenths": 0,  # service hours in whole tenths (models/points/ledger.py)
        "open_orders": 0,
        "last_served_at": None,
        "rating_sum": 0,
        "rating_count": 0,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    if role == "member":
        doc.setdefault("joined_at", now)
    doc["search_keys"] = membership.search_keys(doc.get("name"), doc.get("phone"))
    return doc


async def create_user(
    ctx: Context,
    *,
    role: str,
    name: str,
    org_id: ObjectId | None = None,
    openid: str | None = None,
    username: str | None = None,
    password: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    if role not in ROLES:
        raise ValidationFailed(fields={"role": "角色无效"})
    if not openid and not username:
        raise ValidationFailed(fields={"openid": "openid 与用户名至少填一个"})
    if username and not password:
        raise ValidationFailed(fields={"password": "设置用户名时必须设置密码"})
    if extra.get("duties") and role != "member":
        raise ValidationFailed(fields={"duties": "只有队员可以担任网格员等职责"})
    if role != "resident" and org_id is None:
        raise ValidationFailed(fields={"org_id": "该角色必须属于一个组织"})
    org_path: list[ObjectId] = []
    if org_id is not None:
        org_path = list((await orgs.get_org(ctx, org_id))["path"])
    doc = new_user_doc(ctx, role=role, name=name, org_id=org_id, org_path=org_path, **extra)
    if openid:
        doc["openid"] = openid
    if username:
        doc["username"] = username
        doc["password_hash"] = _hasher.hash(password or "")

    async def work(session: AsyncClientSession) -> None:
        await ctx.db.users.insert_one(doc, session=session)
        if role == "member":  # counted with its node and every node above (共 N 名)
            await membership.move(ctx, session, joined=[org_path])

    try:
        await uow.in_transaction(ctx, work)
    except DuplicateKeyError:
        raise Conflict("该 openid 或用户名已被使用", code="user_exists") from None
    return doc


def verify_password(user: dict[str, Any], password: str) -> bool:
    try:
        return bool(user.get("password_hash")) and _hasher.verify(user["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return False


async def get_user(ctx: Context, user_id: ObjectId) -> dict[str, Any]:
    user = await ctx.db.users.find_one({"_id": user_id, "deleted_at": None})
    if user is None:
        raise NotFound("找不到该用户", code="user_not_found")
    return user


async def user_json(ctx: Context, user: dict[str, Any], *, full_phone: bool = False) -> dict:
    phone = user.get("phone")
    return {
        "id": str(user["_id"]),
        "role": user["role"],
        "name": user.get("name") or "",
        "phone": phone if full_phone else mask_phone(phone),
        "has_phone": bool(phone),
        "org_id": str(user["org_id"]) if user.get("org_id") else None,
        "org_name": await orgs.org_name(ctx, user.get("org_id")),
        "org_kind": await orgs.branch_kind(ctx, user.get("org_id")),
        "party_status": user.get("party_status"),
        "skills": user.get("skills") or [],
        "points_balance": user.get("points_balance", 0),
        "hours_balance": int(user.get("hours_tenths") or 0) / 10,
        "care_mode": bool(user.get("care_mode")),
    }


async def set_care_mode(ctx: Context, actor: Actor, care_mode: bool) -> dict[str, Any]:
    """关怀模式 (larger text, high contrast, a simpler home) is remembered on the account,
    so it follows the person to another phone."""
    await ctx.db.users.update_one(
        {"_id": actor.id}, {"$set": {"care_mode": care_mode, "updated_at": ctx.now()}}
    )
    return await get_user(ctx, actor.id)


async def set_duty(
    ctx: Context, actor: Actor, member_id: ObjectId, duty: str, on: bool
) -> dict[str, Any]:
    """Give a member in the actor's scope a duty (网格员), or take it away; audited."""
    from models.ops import audit

    if duty not in DUTY_NAMES:
        raise ValidationFailed(fields={"duty": "职责无效"})
    member = await ctx.db.users.find_one({"_id": member_id, "role": "member", "deleted_at": None})
    if member is None or not actor.manages(member.get("org_path")):
        raise NotFound("找不到该队员", code="member_not_found")
    change = {"$addToSet": {"duties": duty}} if on else {"$pull": {"duties": duty}}
    await ctx.db.users.update_one({"_id": member_id}, {**change, "$set": {"updated_at": ctx.now()}})
    await audit.record(
        ctx,
        actor,
        "member.duty_on" if on else "member.duty_off",
        org_path=list(member.get("org_path") or []),
        target_type="user",
        target_id=member_id,
        target_label=member.get("name") or "",
        reason=DUTY_NAMES[duty],
    )
    return await get_user(ctx, member_id)
