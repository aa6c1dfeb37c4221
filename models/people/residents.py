"""Resident records found by phone: placeholders for 代下单, and their merge on phone binding.

An order placed on a resident's behalf (by phone, a visit or at the counter) belongs to the
user bound to that phone; when there is none, to a placeholder resident: a user with the
phone and name given, `placeholder: true` and no openid (no WeChat account, so notices to
it go by SMS). When someone later signs in with WeChat and binds that phone, everything
keyed by the placeholder's id becomes theirs in one transaction and the placeholder is
closed. One resident per bound phone (`resident_phone_unique` in models/ops/indexes.py)
keeps two racing placements from making two placeholders.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.core import uow
from models.core.context import Context
from models.people import membership
from models.people.users import Actor, new_user_doc
from server.errors import Conflict

# what is keyed by a resident's id, moved to the account that binds the placeholder's phone
# (collection, field); a placeholder never signs in, so it holds nothing else
OWNED_BY_RESIDENT = (
    ("orders", "resident_id"),
    ("notifications", "user_id"),
    ("followups", "user_id"),
)


def normalise_phone(phone: str) -> str:
    """The digits of a phone as bound by WeChat (no spaces, dashes, +86)."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


async def by_phone(ctx: Context, phone: str) -> dict[str, Any] | None:
    """The user bound to `phone`: a resident account first, else a member's (indexed)."""
    found = await ctx.db.users.find({"phone": phone, "deleted_at": None}).to_list(10)
    found.sort(key=lambda u: (u.get("role") != "resident", u.get("placeholder", False), u["_id"]))
    return found[0] if found else None


async def resident_for(
    ctx: Context, actor: Actor, name: str, phone: str, address: str | None
) -> dict[str, Any]:
    """The resident an order placed on someone's behalf belongs to (created if none)."""
    phone = normalise_phone(phone)
    user = await by_phone(ctx, phone)
    if user is not None:
        return user
    doc = new_user_doc(
        ctx,
        role="resident",
        name=name,
        phone=phone,
        placeholder=True,
        created_by=actor.id,
        home_address=address,
    )
    try:
        await ctx.db.users.insert_one(doc)
    except DuplicateKeyError:  # another placement for the same phone made it first
        user = await by_phone(ctx, phone)
        if user is None:  # pragma: no cover - the unique index names a user that exists
            raise
        return user
    return doc


async def bind_phone(ctx: Context, actor: Actor, phone: str) -> None:
    """Bind `phone` to the caller; a placeholder holding it is merged into the caller."""
    placeholder = await ctx.db.users.find_one(
        {"phone": phone, "placeholder": True, "deleted_at": None}, {"_id": 1}
    )
    if placeholder is None or placeholder["_id"] == actor.id:
        await _set_phone(ctx, actor.id, phone, None)
        return
    source = placeholder["_id"]

    async def work(session: AsyncClientSession) -> None:
        closed = await ctx.db.users.update_one(
            {"_id": source, "placeholder": True, "deleted_at": None},
            {
                "$set": {
                    "phone": None,
                    "deleted_at": ctx.now(),
                    "merged_into": actor.id,
                    "updated_at": ctx.now(),
                }
            },
            session=session,
        )
        if closed.modified_count != 1:  # another account bound it a moment ago
            raise Conflict("该手机号已被其他账号绑定", code="phone_taken")
        for collection, field in OWNED_BY_RESIDENT:
            await ctx.db[collection].update_many(
                {field: source}, {"$set": {field: actor.id}}, session=session
            )
        await _set_phone(ctx, actor.id, phone, session)

    await uow.in_transaction(ctx, work)


async def _set_phone(
    ctx: Context, user_id: ObjectId, phone: str, session: AsyncClientSession | None
) -> None:
    user = await ctx.db.users.find_one({"_id": user_id}, {"name": 1}, session=session)
    keys = membership.search_keys((user or {}).get("name"), phone)
    try:
        await ctx.db.users.update_one(
            {"_id": user_id},
            {"$set": {"phone": phone, "search_keys": keys, "updated_at": ctx.now()}},
            session=session,
        )
    except DuplicateKeyError:  # users: one member, one resident per bound phone
        raise Conflict("该手机号已被其他账号绑定", code="phone_taken") from None
