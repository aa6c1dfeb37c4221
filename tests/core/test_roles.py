"""Roles declared on an endpoint are the roles enforced: every operation of the OpenAPI
that names `x-roles` answers 403 `role_not_allowed` to every other role, before any
service runs (so nothing is written), and never 403 for the roles it names."""

from __future__ import annotations

import pytest

ROLES = {"resident": "owner", "member": "m1", "secretary": "sec_a1", "admin": "admin"}
MISSING_ID = "5f0000000000000000000000"


@pytest.mark.gen_test(timeout=120)
async def test_documented_roles_are_the_enforced_roles(api, world, ctx):
    tokens = {role: await api.login(f"openid-{who}") for role, who in ROLES.items()}
    status, doc = await api.get("/api/openapi.json")
    assert status == 200
    checked = 0
    before = {
        name: await ctx.db[name].count_documents({})
        for name in await ctx.db.list_collection_names()
    }
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            allowed = op.get("x-roles")
            if not allowed:
                continue
            url = path.replace("{id}", MISSING_ID)
            for role, token in tokens.items():
                status, body = await api.call(method.upper(), url, {}, token=token)
                if role in allowed:
                    assert status != 403 or body["error"]["code"] != "role_not_allowed", (
                        method,
                        path,
                        role,
                        body,
                    )
                else:
                    assert status == 403, (method, path, role, status, body)
                    assert body["error"]["code"] == "role_not_allowed", (method, path, role)
                    assert body["error"]["message"]  # Chinese, from the one error writer
                    checked += 1
    assert checked >= 10, checked
    after = {name: await ctx.db[name].count_documents({}) for name in before}
    changed = {k for k in before if after[k] != before[k] and k not in ("auth_tokens",)}
    assert not changed - {"idempotency_records"}, changed
