"""关怀模式: remembered on the account (PATCH /me), shown in GET /me; the community's phone."""

from __future__ import annotations

import pytest


@pytest.mark.gen_test(timeout=60)
async def test_care_mode_is_remembered_per_user(api, world):
    owner = await api.login("openid-owner")
    other = await api.login("openid-other")
    status, me = await api.get("/api/v1/me", token=owner)
    assert status == 200 and me["care_mode"] is False

    status, me = await api.call("PATCH", "/api/v1/me", {"care_mode": True}, token=owner)
    assert status == 200 and me["care_mode"] is True
    # a new session (another phone) sees it too; another resident does not
    again = await api.login("openid-owner")
    assert (await api.get("/api/v1/me", token=again))[1]["care_mode"] is True
    assert (await api.get("/api/v1/me", token=other))[1]["care_mode"] is False

    status, me = await api.call("PATCH", "/api/v1/me", {"care_mode": False}, token=owner)
    assert status == 200 and me["care_mode"] is False
    assert (await api.get("/api/v1/me", token=owner))[1]["care_mode"] is False


@pytest.mark.gen_test(timeout=60)
@pytest.mark.parametrize(
    "body",
    [{}, {"care_mode": "maybe"}, {"care_mode": None}, {"care_mode": True, "role": "admin"}],
)
async def test_bad_settings_are_refused_and_change_nothing(api, world, ctx, body):
    owner = await api.login("openid-owner")
    before = await ctx.db.users.find_one({"_id": world.id("owner")})
    status, err = await api.call("PATCH", "/api/v1/me", body, token=owner)
    assert status == 400 and err["error"]["code"] == "validation_failed"
    assert err["error"]["fields"]
    after = await ctx.db.users.find_one({"_id": world.id("owner")})
    assert after == before


@pytest.mark.gen_test(timeout=60)
async def test_settings_need_a_login(api, world):
    status, _ = await api.call("PATCH", "/api/v1/me", {"care_mode": True})
    assert status == 401


@pytest.mark.gen_test(timeout=60)
async def test_the_org_tree_carries_a_service_phone(api, world, ctx):
    await ctx.db.orgs.update_one({"_id": world.orgs["A"]["_id"]}, {"$set": {"phone": "010-6501"}})
    ctx.forget("orgs")
    status, tree = await api.get("/api/v1/orgs")
    assert status == 200

    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n["children"])

    phones = {n["id"]: n["phone"] for n in walk(tree["items"])}
    assert phones[str(world.orgs["A"]["_id"])] == "010-6501"
    assert phones[str(world.orgs["A1"]["_id"])] is None
