"""Sign-in to the admin pages: username + password, server-side sessions, lock-out.

A session is an `auth_tokens` record of kind "admin" (stored as a hash, expiring, deleted
on sign-out so it is revocable at once); the browser holds the token in a signed cookie.
Repeated failures lock the username for a while; unknown usernames cost the same time.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from models.core.context import Context
from models.ops import audit
from models.people.auth import authenticate
from models.people.users import Actor, verify_password
from server.errors import Forbidden, RateLimited, Unauthenticated

KIND = "admin"
_dummy: dict[str, Any] = {}


def _dummy_user() -> dict[str, Any]:
    """A real hash to verify against for unknown usernames (same cost as a real check)."""
    if not _dummy:
        from argon2 import PasswordHasher

        _dummy["password_hash"] = PasswordHasher().hash(secrets.token_hex(16))
    return _dummy


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _settings(ctx: Context) -> tuple[int, int, int]:
    admin = ctx.config.admin
    return (
        int(admin.max_failed_logins),
        int(admin.lockout_minutes),
        int(admin.session_ttl_hours),
    )


async def _check_password(user: dict[str, Any] | None, password: str) -> bool:
    """argon2 is deliberately slow: run it off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, verify_password, user or _dummy_user(), password)


async def sign_in(
    ctx: Context, username: str, password: str, ip: str | None = None
) -> tuple[str, Actor]:
    """Returns (session token, actor) or raises Unauthenticated / RateLimited / Forbidden."""
    max_failed, lock_minutes, ttl_hours = _settings(ctx)
    key = username.strip().lower()
    now = ctx.now()
    lock = await ctx.db.admin_login_failures.find_one({"_id": key})
    if lock and lock.get("locked_until") and lock["locked_until"] > now:
        minutes = max(1, int((lock["locked_until"] - now).total_seconds() // 60) + 1)
        raise RateLimited(
            f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试", code="login_locked"
        )
    user = await ctx.db.users.find_one({"username": username.strip(), "deleted_at": None})
    ok = await _check_password(user, password)
    if not ok or user is None:
        await _failed(ctx, key, lock, max_failed, lock_minutes, ip)
        raise Unauthenticated("用户名或密码错误", code="bad_credentials")
    actor = Actor.from_user(user)
    if not actor.is_staff or actor.org_id is None:
        await audit.record(
            ctx, actor, "login_failed", org_path=actor.org_path, ip=ip, reason="非管理员账号"
        )
        raise Forbidden("该账号没有管理后台权限", code="not_staff")
    await ctx.db.admin_login_failures.delete_one({"_id": key})
    token = secrets.token_urlsafe(32)
    await ctx.db.auth_tokens.insert_one(
        {
            "_id": _hash(token),
            "user_id": user["_id"],
            "kind": KIND,
            "created_at": now,
            "expires_at": now + timedelta(hours=ttl_hours),
            "ip": ip,
        }
    )
    await audit.record(ctx, actor, "login", org_path=actor.org_path, ip=ip)
    return token, actor


async def _failed(
    ctx: Context,
    key: str,
    lock: dict[str, Any] | None,
    max_failed: int,
    lock_minutes: int,
    ip: str | None,
) -> None:
    now = ctx.now()
    window = timedelta(minutes=lock_minutes)
    if lock is None or lock.get("first_at") is None or now - lock["first_at"] > window:
        count = 1
        await ctx.db.admin_login_failures.replace_one(
            {"_id": key},
            {"_id": key, "count": 1, "first_at": now, "locked_until": None},
            upsert=True,
        )
    else:
        await ctx.db.admin_login_failures.update_one({"_id": key}, {"$inc": {"count": 1}})
        count = int(lock.get("count", 0)) + 1
    user = await ctx.db.users.find_one({"username": key}, {"org_path": 1, "name": 1, "role": 1})
    path = (user or {}).get("org_path") or []
    if count >= max_failed:
        await ctx.db.admin_login_failures.update_one(
            {"_id": key}, {"$set": {"locked_until": now + window, "count": 0, "first_at": None}}
        )
        await audit.record(
            ctx,
            None,
            "login_locked",
            org_path=path,
            username=key,
            ip=ip,
            reason=f"连续 {count} 次密码错误",
        )
    else:
        await audit.record(ctx, None, "login_failed", org_path=path, username=key, ip=ip)


async def session_actor(ctx: Context, token: str) -> Actor:
    """The signed-in staff member of a session token, or Unauthenticated."""
    actor = await authenticate(ctx, token, kind=KIND)
    if not actor.is_staff or actor.org_id is None:
        raise Unauthenticated("请使用管理员账号登录", code="not_staff")
    return actor


async def sign_out(ctx: Context, token: str, actor: Actor | None, ip: str | None = None) -> None:
    await ctx.db.auth_tokens.delete_one({"_id": _hash(token), "kind": KIND})
    if actor is not None:
        await audit.record(ctx, actor, "logout", org_path=actor.org_path, ip=ip)
