"""Every transition × every kind of caller: only the right role in the right scope succeeds.

Each cell gets a fresh order in the transition's starting state, so one success cannot
hide another cell's failure; a refused call must leave the order exactly as it was.
"""

from __future__ import annotations

import pytest

ACTORS = ["anonymous", "owner", "other", "m1", "m2", "m_b1", "sec_a1", "sec_b1", "admin"]

# action: (starting state, body, {actor: expected status}); unlisted actors of an allowed
# role expect 404 (out of scope: existence is never confirmed)
OK = 200
MATRIX = {
    "dispatch": ("submitted", "dispatch", {"owner": 403, "sec_a1": OK, "admin": OK}),
    "reject": ("submitted", {"reason": "不在服务范围"}, {"owner": 403, "sec_a1": OK, "admin": OK}),
    "cancel": ("submitted", {"reason": "不需要了"}, {"owner": OK, "sec_a1": OK, "admin": OK}),
    "accept": (
        "dispatched",
        {},
        {"owner": 403, "other": 403, "m1": OK, "sec_a1": 403, "sec_b1": 403, "admin": 403},
    ),
    "decline": (
        "dispatched",
        {"reason": "时间冲突"},
        {"owner": 403, "m1": OK, "sec_a1": 403, "admin": 403},
    ),
    "start": ("accepted", {}, {"owner": 403, "m1": OK, "sec_a1": 403, "admin": 403}),
    "complete": (
        "in_service",
        {"note": "已完成"},
        {"owner": 403, "m1": OK, "sec_a1": 403, "admin": 403},
    ),
    "confirm": ("completed", {"rating": 4}, {"owner": OK, "m1": 403, "sec_a1": 403, "admin": 403}),
}
READ = {"owner": OK, "m1": OK, "sec_a1": OK, "admin": OK}


def roomy(ctx):
    """Many orders for one volunteer in one test: lift the open-order limit."""
    ctx.config = ctx.config.replace(orders={"max_open_per_member": 1000})


async def tokens(api):
    out = {"anonymous": None}
    for name in ACTORS[1:]:
        out[name] = await api.login(f"openid-{name}")
    return out


ROLE = {"owner": "resident", "other": "resident", "m1": "member", "m2": "member"}
ROLE |= {"m_b1": "member", "sec_a1": "secretary", "sec_b1": "secretary", "admin": "admin"}
STAFF = ("secretary", "admin")
# the roles each endpoint declares: any other role is refused up front (403, whatever the id)
ENDPOINT_ROLES = {
    "dispatch": STAFF,
    "reject": STAFF,
    "accept": ("member",),
    "decline": ("member",),
    "start": ("member",),
    "complete": ("member",),
}


def expected(action, actor):
    if actor == "anonymous":
        return 401
    roles = ENDPOINT_ROLES.get(action)
    if roles and ROLE[actor] not in roles:
        return 403
    return MATRIX[action][2].get(actor, 404)


@pytest.mark.gen_test(timeout=120)
async def test_transition_matrix(api, world, ctx):
    roomy(ctx)
    tok = await tokens(api)
    m1 = str(world.id("m1"))
    failures = []
    for action, (state, body, _) in MATRIX.items():
        if body == "dispatch":
            body = {"volunteer_ids": [m1]}
        for actor in ACTORS:
            oid = await world.order_in(state)
            before = await ctx.db.orders.find_one({"_id": oid})
            status, resp = await api.post(f"/api/v1/orders/{oid}/{action}", body, token=tok[actor])
            after = await ctx.db.orders.find_one({"_id": oid})
            want = expected(action, actor)
            if status != want:
                failures.append(f"{action} by {actor}: got {status}, want {want}: {resp}")
            if status != OK and before != after:
                failures.append(f"{action} by {actor}: refused but the order changed")
            if status == OK:
                assert after["status"] != state and after["timeline"][-1]["action"] == action
    assert not failures, "\n".join(failures)


@pytest.mark.gen_test(timeout=60)
async def test_read_scope(api, world):
    tok = await tokens(api)
    oid = await world.order_in("accepted")
    for actor in ACTORS:
        status, _ = await api.get(f"/api/v1/orders/{oid}", token=tok[actor])
        want = 401 if actor == "anonymous" else READ.get(actor, 404)
        assert status == want, (actor, status)
    # recommendations are for the managing secretaries only
    sub = await world.order_in("submitted")
    # (a member is refused up front by role: 403 whatever the id)
    for actor, want in {"sec_a1": OK, "admin": OK, "sec_b1": 404, "owner": 403, "m1": 403}.items():
        status, _ = await api.get(f"/api/v1/orders/{sub}/recommendations", token=tok[actor])
        assert status == want, (actor, status)
    # lists only ever show what the caller may see
    status, body = await api.get("/api/v1/orders", token=tok["other"])
    assert status == 200 and body["items"] == []
    status, body = await api.get("/api/v1/orders?scope=org", token=tok["sec_b1"])
    assert status == 200 and body["items"] == []
    status, body = await api.get("/api/v1/orders?scope=org", token=tok["owner"])
    assert status == 403
    status, body = await api.get("/api/v1/orders?scope=assigned", token=tok["m1"])
    assert [o["id"] for o in body["items"]] == [str(oid)]
    status, body = await api.get("/api/v1/task-hall", token=tok["owner"])
    assert status == 403
    status, body = await api.get("/api/v1/orders/not-an-id", token=tok["owner"])
    assert status == 404


@pytest.mark.gen_test(timeout=60)
async def test_dispatch_scope_of_volunteers_and_hall(api, world):
    tok = await tokens(api)
    oid = await world.order_in("submitted")
    outsider = str(world.id("m_b1"))
    status, body = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [outsider]}, token=tok["sec_a1"]
    )
    assert status == 400 and "volunteer_ids" in body["error"]["fields"]
    status, body = await api.post(
        f"/api/v1/orders/{oid}/dispatch",
        {"to_hall": True, "hall_org_id": str(world.orgs["B1"]["_id"])},
        token=tok["sec_a1"],
    )
    assert status == 400 and "hall_org_id" in body["error"]["fields"]
    status, body = await api.post(f"/api/v1/orders/{oid}/dispatch", {}, token=tok["sec_a1"])
    assert status == 400
    status, body = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"to_hall": True}, token=tok["sec_a1"]
    )
    assert status == 200 and body["hall_org_id"] == str(world.orgs["A1"]["_id"])
    # hall of A1: A1 members see it, A2 and B1 members do not
    for actor, count in {"m1": 1, "m2": 1, "m_b1": 0}.items():
        status, hall = await api.get("/api/v1/task-hall", token=tok[actor])
        assert len(hall["items"]) == count, actor
    a2 = await api.login("openid-m_a2")
    status, hall = await api.get("/api/v1/task-hall", token=a2)
    assert hall["items"] == []
    status, _ = await api.post(f"/api/v1/orders/{oid}/accept", token=a2)
    assert status == 404


@pytest.mark.gen_test(timeout=60)
async def test_declines_escalate_to_parent(api, world, ctx):
    tok = await tokens(api)
    oid = await world.order_in("submitted")
    await api.post(f"/api/v1/orders/{oid}/dispatch", {"to_hall": True}, token=tok["sec_a1"])
    for n, member in enumerate(["m1", "m2", "m3"], start=1):
        t = tok.get(member) or await api.login(f"openid-{member}")
        status, body = await api.post(f"/api/v1/orders/{oid}/accept", token=t)
        assert status == 200, body
        status, body = await api.post(
            f"/api/v1/orders/{oid}/decline", {"reason": "临时有事"}, token=t
        )
        assert status == 200, body
        assert body["decline_count"] == n
        # a member who gave it back does not see it in the hall again
        status, hall = await api.get("/api/v1/task-hall", token=t)
        assert all(o["id"] != str(oid) for o in hall["items"])
    assert body["status"] == "submitted"
    assert body["escalated_to_org_id"] == str(world.orgs["A"]["_id"])
    assert "上报" in body["timeline"][-1]["note"]
    member = await ctx.db.users.find_one({"_id": world.id("m3")})
    assert member["open_orders"] == 0


@pytest.mark.gen_test(timeout=60)
async def test_lists_newest_first_for_people_oldest_first_for_the_organisation(api, world):
    """The resident reads their orders newest first; the secretary's queue is worked oldest
    first, as on the admin dispatch board."""
    tok = await tokens(api)
    made = [str(await world.order_in("submitted")) for _ in range(3)]

    def mine(body):
        return [o["id"] for o in body["items"] if o["id"] in made]

    status, body = await api.get("/api/v1/orders?scope=mine", token=tok["owner"])
    assert status == 200 and mine(body) == made[::-1]
    status, body = await api.get("/api/v1/orders?scope=org&status=submitted", token=tok["sec_a1"])
    assert status == 200 and mine(body) == made
