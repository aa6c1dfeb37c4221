"""Hostile and broken input: never a 5xx, never a write, and the bad field named in Chinese."""

from __future__ import annotations

import hashlib
import re

import pytest
from bson import json_util

CJK = re.compile(r"[\u4e00-\u9fff]")
OPERATORS = [
    {"$gt": ""},
    {"$where": "sleep(5000) || true"},
    {"$ne": None},
    [{"$in": [1]}],
    {"a.b": 1},
    {"$regex": ".*"},
]
WRONG_TYPES = [12345, 1.5, True, None, [], {}, "x", "NaN", 10**40]


async def snapshot(ctx):
    """Every document in every collection (tokens excluded: logins make them)."""
    out = {}
    for name in sorted(await ctx.db.list_collection_names()):
        if name == "auth_tokens":
            continue
        docs = await ctx.db[name].find({}).sort("_id", 1).to_list(None)
        out[name] = hashlib.sha256(json_util.dumps(docs, sort_keys=True).encode()).hexdigest()
    return out


def mutations(base):
    """(label, body, field that must be named) for every field of a valid body."""
    yield "unknown field", {**base, "evil": 1}, "evil"
    yield "dotted key", {**base, "a.b": 1}, "a.b"
    yield "dollar key", {**base, "$where": "1"}, "$where"
    for field in base:
        for op in OPERATORS:
            yield f"{field}={op!r}", {**base, field: op}, field
        for wrong in WRONG_TYPES:
            if type(wrong) is type(base[field]):
                continue
            yield f"{field}={wrong!r}", {**base, field: wrong}, field
        if isinstance(base[field], str):
            yield f"{field} too long", {**base, field: "长" * 100_001}, field
            yield f"{field} null byte", {**base, field: "a\x00b"}, field


def check(status, body, field, label, failures):
    if status >= 500 or status < 400:
        failures.append(f"{label}: status {status}")
        return
    error = (body or {}).get("error") or {}
    if not CJK.search(error.get("message", "")):
        failures.append(f"{label}: message not Chinese: {error}")
    names = list(error.get("fields", {}))
    if field and not any(
        n == field or n.startswith(field + ".") or n.startswith(field + "[") for n in names
    ):
        failures.append(f"{label}: field {field!r} not named in {error}")
    for text in error.get("fields", {}).values():
        if not CJK.search(str(text)):
            failures.append(f"{label}: field message not Chinese: {text}")


async def hammer(api, ctx, path, base, token, extra=()):
    before = await snapshot(ctx)
    failures: list[str] = []
    cases = list(mutations(base)) + list(extra)
    for label, body, field in cases:
        status, resp = await api.post(path, body, token=token)
        check(status, resp, field, label, failures)
        if await snapshot(ctx) != before:
            failures.append(f"{label}: wrote something")
            break
    raw_cases = [
        ("not json", b"{nope", "body"),
        ("json array", b"[1,2]", "body"),
        ("json null", b"null", "body"),
        ("NaN literal", b'{"x": NaN}', None),
        ("huge number", b'{"x": 1e400}', None),
        ("deep nesting", b'{"a":' * 50 + b"1" + b"}" * 50, None),
        ("2 MB body", b'{"description": "' + b"x" * 2_000_000 + b'"}', "body"),
        ("bad utf-8", b'{"description": "\xff\xfe"}', "body"),
    ]
    for label, raw, field in raw_cases:
        status, resp = await api.call("POST", path, token=token, raw=raw)
        check(status, resp, field, label, failures)
        if await snapshot(ctx) != before:
            failures.append(f"{label}: wrote something ({status} {resp})")
            break
    assert not failures, "\n".join(failures[:40])
    assert await snapshot(ctx) == before, "a rejected request wrote something"
    return len(cases) + len(raw_cases)


@pytest.mark.gen_test(timeout=120)
async def test_place_order_rejects_bad_input(api, world, ctx):
    owner = await api.login("openid-owner")
    base = world.order_body()
    base["wanted_at"] = "2030-01-01T09:00:00+08:00"
    base["contact_name"] = "林阿姨"
    extra = [
        (
            "bad coordinates",
            {**base, "location": {"type": "Point", "coordinates": [500, 0]}},
            "location",
        ),
        (
            "bad geo type",
            {**base, "location": {"type": "Polygon", "coordinates": [1, 2]}},
            "location",
        ),
        ("unknown category", {**base, "category_id": "0" * 24}, None),
        ("too many photos", {**base, "photos": ["a"] * 20}, "photos"),
        ("bad phone", {**base, "contact_phone": "call me"}, "contact_phone"),
    ]
    sent = await hammer(api, ctx, "/api/v1/orders", base, owner, extra)
    assert sent > 120


@pytest.mark.gen_test(timeout=120)
async def test_transitions_reject_bad_input(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    owner = await api.login("openid-owner")
    submitted = await world.order_in("submitted")
    await hammer(
        api,
        ctx,
        f"/api/v1/orders/{submitted}/dispatch",
        {
            "volunteer_ids": [str(world.id("m1"))],
            "to_hall": False,
            "due_at": "2030-01-01T09:00:00+08:00",
            "note": "尽快",
        },
        sec,
    )
    await hammer(api, ctx, f"/api/v1/orders/{submitted}/reject", {"reason": "重复"}, sec)
    await hammer(api, ctx, f"/api/v1/orders/{submitted}/cancel", {"reason": "不需要"}, owner)
    in_service = await world.order_in("in_service")
    await hammer(
        api,
        ctx,
        f"/api/v1/orders/{in_service}/complete",
        {"note": "修好了", "photos": []},
        m1,
    )
    completed = await world.order_in("completed")
    await hammer(
        api,
        ctx,
        f"/api/v1/orders/{completed}/confirm",
        {"rating": 5, "comment": "好"},
        owner,
        [("rating 0", {"rating": 0}, "rating"), ("rating 6", {"rating": 6}, "rating")],
    )


@pytest.mark.gen_test(timeout=120)
async def test_other_writes_reject_bad_input(api, world, ctx):
    user = await api.login("new-person")
    await hammer(
        api,
        ctx,
        "/api/v1/member-registrations",
        {
            "org_id": str(world.orgs["A1"]["_id"]),
            "name": "张三",
            "party_status": "积极分子",
            "skills": ["助老"],
            "phone": "13800001111",
        },
        user,
    )
    await hammer(api, ctx, "/api/v1/me/phone", {"code": "phone:13800001111"}, user)
    await hammer(api, ctx, "/api/v1/auth/wechat-login", {"code": "ok:x"}, None)


@pytest.mark.gen_test(timeout=60)
async def test_queries_reject_bad_input(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    before = await snapshot(ctx)
    cases = [
        ("/api/v1/orders?limit=1000000", sec, "limit"),
        ("/api/v1/orders?limit=0", sec, "limit"),
        ("/api/v1/orders?offset=-1", sec, "offset"),
        ("/api/v1/orders?limit=abc", sec, "limit"),
        ("/api/v1/orders?status=%24gt", sec, "status"),
        ("/api/v1/orders?status%5B%24ne%5D=x", sec, "status[$ne]"),
        ("/api/v1/orders?scope=everything", sec, "scope"),
        ("/api/v1/orders?status=closed&status=open", sec, "status"),
        ("/api/v1/orders?%24where=1", sec, "$where"),
        ("/api/v1/me/ledger?kind=gold", m1, "kind"),
        ("/api/v1/me/ledger?limit=1000000", m1, "limit"),
        ("/api/v1/task-hall?limit=999999999999", m1, "limit"),
        ("/api/v1/leaderboard?period=decade", m1, "period"),
        ("/api/v1/leaderboard?org_id=%7B%22%24gt%22%3A%22%22%7D", m1, "org_id"),
        ("/api/v1/member-registrations?status=%24ne", sec, "status"),
        ("/api/v1/orgs?parent=%24gt", None, "parent"),
    ]
    failures: list[str] = []
    for path, token, field in cases:
        status, body = await api.get(path, token=token)
        check(status, body, field, path, failures)
    assert not failures, "\n".join(failures)
    assert await snapshot(ctx) == before
