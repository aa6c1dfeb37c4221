"""Sign-in to the admin pages: username + password, server-side sessions, lock-out.

A session is an `auth_tokens` record of kind "admin" (stored as a hash, expiring, deleted
on sign-out so it is revocable at once); the browser holds the token in a signed cookie.
Repeated failures lock the username for a while; unknown usernames cost the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from models.core import ratelimit
from models.core.context import Context
from models.ops import audit
from models.people.auth import authenticate
from models.people.users import Actor, verify_password
from server.errors import Forbidden, RateLimited, Unauthenticated

log = logging.getLogger("tongxin.admin_auth")
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


def _lower_priority() -> None:
    """argon2's threads (and the lanes it starts, which inherit this) yield the CPU to the
    event loop and the database: a flood of sign-ins waits, the API does not."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class PasswordChecks:
    """argon2 on a small pool of its own, with a cap on checks waiting for it.

    Each check costs ~64 MB and tens of ms of CPU: a login flood queues here (and is turned
    away with 429 past the cap) instead of taking the threads and memory the API needs.
    """

    def __init__(self) -> None:
        self.pool: ThreadPoolExecutor | None = None
        self.in_flight = 0

    def reserve(self, ctx: Context) -> None:
        if self.pool is None:
            workers = max(1, int(ctx.config.admin.password_workers))
            self.pool = ThreadPoolExecutor(
                workers, thread_name_prefix="argon2", initializer=_lower_priority
            )
        if self.in_flight >= max(1, int(ctx.config.admin.password_queue)):
            raise RateLimited("登录请求过多，请稍后再试", code="login_busy")
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1

    async def check(self, user: dict[str, Any] | None, password: str) -> bool:
        assert self.pool is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool, verify_password, user or _dummy_user(), password
        )


PASSWORDS = PasswordChecks()


async def _take_attempt(
    ctx: Context, key: str, max_failed: int, window: timedelta
) -> dict[str, Any] | None:
    """Atomically claim one of the `max_failed` password checks of this username's window.

    None when claimed; otherwise the full (locked) record. The claim comes before the
    hash, so however many requests race, at most `max_failed` passwords are ever checked.
    """
    now = ctx.now()
    failures = ctx.db.admin_login_failures
    query = {"_id": key, "count": {"$lt": max_failed}, "expires_at": {"$gt": now}}
    update = {"$inc": {"count": 1}, "$setOnInsert": {"first_at": now, "expires_at": now + window}}
    for _ in range(3):
        for upsert in (True, False):
            try:
                result = await failures.update_one(query, update, upsert=upsert)
            except DuplicateKeyError:  # a record exists that the filter missed: look again
                continue
            if result.modified_count or result.upserted_id is not None:
                return None
            break
        record = await failures.find_one({"_id": key})
        if record is None:
            continue
        expires = record.get("expires_at")
        if expires is not None and expires > now:
            return record
        # an old window (the TTL monitor had not removed it yet): drop it and claim again
        await failures.delete_one({"_id": key, "expires_at": expires})
    return {"_id": key, "expires_at": now + window}


def _locked(record: dict[str, Any], now: datetime) -> RateLimited:
    minutes = max(1, int((record["expires_at"] - now).total_seconds() // 60) + 1)
    return RateLimited(
        f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试", code="login_locked"
    )


async def sign_in(
    ctx: Context, username: str, password: str, ip: str | None = None
) -> tuple[str, Actor]:
    """Returns (session token, actor) or raises Unauthenticated / RateLimited / Forbidden.

    In front of the hash, cheapest first: the pool's queue cap, per-IP and per-username
    rate limits (shared database counters), the lock-out claim (one conditional upsert);
    only then argon2.
    """
    max_failed, lock_minutes, ttl_hours = _settings(ctx)
    admin = ctx.config.admin
    key = username.strip().lower()
    now = ctx.now()
    PASSWORDS.reserve(ctx)  # first: past the queue cap nothing else is done at all
    try:
        busy = RateLimited("登录尝试过于频繁，请稍后再试", code="login_rate_limited")
        # shared counters in the database (one conditional upsert each): the limits hold
        # across every API process, not per process
        if not await ratelimit.take(
            ctx, "admin_login_ip", ip or "-", int(admin.login_per_ip_per_minute), 60
        ):
            raise busy
        if not await ratelimit.take(
            ctx, "admin_login_user", key, int(admin.login_per_username_per_minute), 60
        ):
            raise busy
        full = await _take_attempt(ctx, key, max_failed, timedelta(minutes=lock_minutes))
        if full is not None:
            raise _locked(full, now)
        user = await ctx.db.users.find_one({"username": username.strip(), "deleted_at": None})
        ok = await PASSWORDS.check(user, password)
    finally:
        PASSWORDS.release()
    if not ok or user is None:
        await _failed(ctx, key, user, max_failed, lock_minutes, ip)
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
    user: dict[str, Any] | None,
    max_failed: int,
    lock_minutes: int,
    ip: str | None,
) -> None:
    """The claim already counted this failure; lock once the window's checks are used up.

    Unknown usernames leave only the expiring failure record (no audit entry: a flood of
    made-up names must not grow the audit log); real accounts are audited.
    """
    now = ctx.now()
    failures = ctx.db.admin_login_failures
    record = await failures.find_one({"_id": key})
    locked = False
    if record is not None and record.get("count", 0) >= max_failed:
        result = await failures.update_one(
            {"_id": key, "locked_at": None},
            {"$set": {"locked_at": now, "expires_at": now + timedelta(minutes=lock_minutes)}},
        )
        locked = result.modified_count == 1
    if user is None:
        log.info("admin sign-in failed for an unknown username", extra={"locked": locked})
        return
    path = user.get("org_path") or []
    if locked:
        await audit.record(
            ctx,
            None,
            "login_locked",
            org_path=path,
            username=key,
            ip=ip,
            reason=f"连续 {max_failed} 次密码错误",
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
