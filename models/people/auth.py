"""Login with WeChat, bearer tokens (revocable, expiring), and the phone-number flow.

Tokens are stored only as a SHA-256 hash; WeChat's `session_key` stays in its own
collection and is never returned or logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from models.core.context import Context
from models.people.users import Actor, get_user, new_user_doc
from server.errors import Unauthenticated

log = logging.getLogger("tongxin.auth")


class WeChatPort(Protocol):
    """What the domain needs from WeChat (the gateway in server/ implements it)."""

    async def code_to_session(self, code: str) -> dict[str, Any]: ...

    async def phone_number(self, code: str) -> str: ...


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(ctx: Context, user_id: Any, kind: str = "api") -> tuple[str, Any]:
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    expires_at = now + timedelta(hours=int(ctx.config.auth.token_ttl_hours))
    await ctx.db.auth_tokens.insert_one(
        {
            "_id": _token_hash(token),
            "user_id": user_id,
            "kind": kind,
            "created_at": now,
            "expires_at": expires_at,
        }
    )
    return token, expires_at


async def login_with_wechat(ctx: Context, wechat: WeChatPort, code: str) -> dict[str, Any]:
    """code2Session → openid → our user (created as a resident on first login) → token."""
    session = await wechat.code_to_session(code)
    openid = session["openid"]
    user = await ctx.db.users.find_one({"openid": openid, "deleted_at": None})
    if user is None:
        user = new_user_doc(ctx, role="resident", openid=openid)
        if session.get("unionid"):
            user["unionid"] = session["unionid"]
        try:
            await ctx.db.users.insert_one(user)
        except DuplicateKeyError:  # two first logins racing: the other one created it
            user = await ctx.db.users.find_one({"openid": openid})
            assert user is not None
    await ctx.db.wechat_sessions.update_one(
        {"_id": user["_id"]},
        {"$set": {"session_key": session["session_key"], "updated_at": ctx.now()}},
        upsert=True,
    )
    token, expires_at = await issue_token(ctx, user["_id"])
    if ctx.tokens is not None:  # the first request after a login needs no token round trip
        ctx.tokens.put(ctx.db.name, _token_hash(token), user, "api", expires_at)
    return {"token": token, "expires_at": expires_at, "user": user}


async def authenticate(ctx: Context, token: str, kind: str = "api") -> Actor:
    """The token's user: from this process's short cache (models/people/token_cache.py), or
    one round trip, the token joined with its user, so role changes apply within a second."""
    token_hash = _token_hash(token)
    cache = ctx.tokens
    entry = cache.get(ctx.db.name, token_hash) if cache is not None else None
    if entry is not None:
        if entry.kind != kind or entry.expires_at <= ctx.now():
            raise Unauthenticated("登录已失效，请重新登录", code="invalid_token")
        return Actor.from_user(entry.user)
    pipeline = [
        {"$match": {"_id": token_hash}},
        {"$lookup": {"from": "users", "localField": "user_id", "foreignField": "_id", "as": "u"}},
    ]
    found = await (await ctx.db.auth_tokens.aggregate(pipeline)).to_list(1)
    record = found[0] if found else None
    if record is None or record.get("kind", "api") != kind or record["expires_at"] <= ctx.now():
        raise Unauthenticated("登录已失效，请重新登录", code="invalid_token")
    users = [u for u in record["u"] if not u.get("deleted_at")]
    if not users:
        raise Unauthenticated("登录已失效，请重新登录", code="invalid_token")
    if cache is not None:
        cache.put(
            ctx.db.name, token_hash, users[0], record.get("kind", "api"), record["expires_at"]
        )
    return Actor.from_user(users[0])


async def logout(ctx: Context, token: str) -> None:
    await ctx.db.auth_tokens.delete_one({"_id": _token_hash(token)})


async def bind_phone(ctx: Context, wechat: WeChatPort, actor: Actor, code: str) -> dict:
    phone = await wechat.phone_number(code)
    log.info("phone bound", extra={"user_id": str(actor.id), "phone": phone})  # masked by the log
    # a placeholder resident made for orders placed on this phone's behalf (代下单) is
    # merged into the caller: those orders become theirs (models/people/residents.py)
    from models.people import residents

    await residents.bind_phone(ctx, actor, phone)
    return await get_user(ctx, actor.id)
