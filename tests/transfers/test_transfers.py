"""组织关系转接 over real HTTP: the happy path, return, expiry, refusal, and the scope switch."""

from __future__ import annotations

import asyncio

import pytest
from bson import ObjectId

from jobs import tasks
from models.people import auth
from models.points import ledger


async def tokens(ctx, world, *names):
    out = {}
    for name in names:
        out[name], _ = await auth.issue_token(ctx, world.id(name))
    return out


async def closed_order_for(world, member="m1"):
    from models import orders

    oid = await world.order_in("completed", member=member)
    await orders.confirm_order(world.ctx, world.actor("owner"), oid, {"rating": 5})
    return oid


@pytest.mark.gen_test(timeout=60)
async def test_happy_path_switches_scopes_at_once_and_keeps_the_ledger(api, world, ctx):
    await closed_order_for(world)  # m1 earns 10 points and 2 hours under A1
    t = await tokens(ctx, world, "m1", "sec_a1", "sec_b1", "sec_a", "admin")
    m1 = str(world.id("m1"))
    board_before = await ledger.leaderboard(ctx, world.orgs["A1"]["_id"], "all")

    # before: A1's secretary sees m1's record, B1's does not (404, as for any unknown id)
    assert (await api.get(f"/api/v1/members/{m1}/record", token=t["sec_a1"]))[0] == 200
    assert (await api.get(f"/api/v1/members/{m1}/record", token=t["sec_b1"]))[0] == 404

    status, body = await api.post(
        "/api/v1/transfers",
        {"to_org_id": str(world.orgs["B1"]["_id"]), "reason": "搬家到春风社区"},
        token=t["m1"],
    )
    assert status == 201, body
    tid = body["id"]
    assert body["status"] == "pending_out" and body["actions"] == ["cancel"]
    # the receiving secretary cannot act yet, the outgoing one approves
    status, body = await api.post(f"/api/v1/transfers/{tid}/accept", {}, token=t["sec_b1"])
    assert status == 409, body
    status, body = await api.post(f"/api/v1/transfers/{tid}/approve", {}, token=t["sec_a1"])
    assert status == 200, body
    assert body["status"] == "pending_in" and body["letter_no"].startswith("转")
    assert body["deadline_at"]
    # the outgoing secretary cannot accept on the receiver's behalf
    status, _ = await api.post(f"/api/v1/transfers/{tid}/accept", {}, token=t["sec_a1"])
    assert status == 403
    status, body = await api.post(f"/api/v1/transfers/{tid}/accept", {}, token=t["sec_b1"])
    assert status == 200, body
    assert body["status"] == "accepted"

    # at once, with the same tokens: the old secretary has lost the member, the new has them
    assert (await api.get(f"/api/v1/members/{m1}/record", token=t["sec_a1"]))[0] == 404
    status, rec = await api.get(f"/api/v1/members/{m1}/record", token=t["sec_b1"])
    assert status == 200 and rec["member"]["org_name"] == "春风社区第一党支部"
    # the member's own token follows too
    status, me = await api.get("/api/v1/me", token=t["m1"])
    assert me["org_id"] == str(world.orgs["B1"]["_id"])
    # the street admin above both still sees them
    assert (await api.get(f"/api/v1/members/{m1}/record", token=t["admin"]))[0] == 200

    # the ledger stays with the member, past entries keep the org they were earned under
    user = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert user["points_balance"] == 10
    entries = await ctx.db.ledger_entries.find({"member_id": world.id("m1")}).to_list(None)
    assert entries and all(world.orgs["A1"]["_id"] in e["org_path"] for e in entries)
    # A1's figures are unchanged: the points still count there (the name shows the new branch)
    board_after = await ledger.leaderboard(ctx, world.orgs["A1"]["_id"], "all")
    assert [(r["member_id"], r["points"]) for r in board_after] == [
        (r["member_id"], r["points"]) for r in board_before
    ]
    assert await ledger.leaderboard(ctx, world.orgs["B1"]["_id"], "all") == []
    assert user["org_history"][0]["letter_no"] == body["letter_no"]
    # both secretaries' decisions are in the audit log, each under its own branch
    accepted = await ctx.db.audit_log.find_one({"action": "transfer.accept"})
    approved = await ctx.db.audit_log.find_one({"action": "transfer.approve"})
    assert world.orgs["B1"]["_id"] in accepted["org_path"]
    assert world.orgs["A1"]["_id"] in approved["org_path"]
    assert approved["after"]["letter_no"] == body["letter_no"]

    # both secretaries keep the transfer in their lists (history)
    for who in ("sec_a1", "sec_b1"):
        status, listed = await api.get("/api/v1/transfers", token=t[who])
        assert [x["id"] for x in listed["items"]] == [tid]
    status, listed = await api.get("/api/v1/transfers", token=t["sec_a"])
    assert [x["id"] for x in listed["items"]] == [tid]


@pytest.mark.gen_test(timeout=60)
async def test_refused_while_orders_are_open_listing_them(api, world, ctx):
    t = await tokens(ctx, world, "sec_a1", "sec_b1")
    oid = await world.order_in("accepted")
    status, body = await api.post(
        "/api/v1/transfers",
        {"member_id": str(world.id("m1")), "to_org_id": str(world.orgs["B1"]["_id"])},
        token=t["sec_a1"],
    )
    assert status == 201, body
    tid = body["id"]
    assert (await api.post(f"/api/v1/transfers/{tid}/approve", {}, token=t["sec_a1"]))[0] == 200
    status, body = await api.post(f"/api/v1/transfers/{tid}/accept", {}, token=t["sec_b1"])
    assert status == 409 and body["error"]["code"] == "open_work"
    assert body["error"]["fields"]["open"][0]["id"] == str(oid)
    assert "家电维修" in body["error"]["message"]
    user = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert user["org_id"] == world.orgs["A1"]["_id"]  # nothing moved
    doc = await ctx.db.transfers.find_one({"_id": ObjectId(tid)})
    assert doc["status"] == "pending_in"


@pytest.mark.gen_test(timeout=60)
async def test_return_cancel_and_one_open_transfer_per_member(api, world, ctx):
    t = await tokens(ctx, world, "m2", "sec_a1", "sec_b1", "m_b1")
    body = {"to_org_id": str(world.orgs["B1"]["_id"])}
    status, first = await api.post("/api/v1/transfers", body, token=t["m2"])
    assert status == 201
    status, err = await api.post("/api/v1/transfers", body, token=t["m2"])
    assert status == 409 and err["error"]["code"] == "transfer_open"
    # another member cannot see it
    status, listed = await api.get("/api/v1/transfers", token=t["m_b1"])
    assert listed["items"] == []
    status, _ = await api.post(f"/api/v1/transfers/{first['id']}/cancel", {}, token=t["m_b1"])
    assert status == 404
    await api.post(f"/api/v1/transfers/{first['id']}/approve", {}, token=t["sec_a1"])
    status, err = await api.post(f"/api/v1/transfers/{first['id']}/return", {}, token=t["sec_b1"])
    assert status == 400 and "reason" in err["error"]["fields"]
    status, returned = await api.post(
        f"/api/v1/transfers/{first['id']}/return", {"reason": "材料不全"}, token=t["sec_b1"]
    )
    assert status == 200 and returned["status"] == "returned"
    assert returned["return_reason"] == "材料不全"
    # a returned transfer frees the slot: a new request, then cancelled by the member
    status, second = await api.post("/api/v1/transfers", body, token=t["m2"])
    assert status == 201
    status, done = await api.post(f"/api/v1/transfers/{second['id']}/cancel", {}, token=t["m2"])
    assert status == 200 and done["status"] == "cancelled"
    user = await ctx.db.users.find_one({"_id": world.id("m2")})
    assert user["org_id"] == world.orgs["A1"]["_id"]


@pytest.mark.gen_test(timeout=60)
async def test_racing_accept_and_return_exactly_one_wins(api, world, ctx):
    t = await tokens(ctx, world, "m3", "sec_a1", "sec_b1")
    _status, tr = await api.post(
        "/api/v1/transfers", {"to_org_id": str(world.orgs["B1"]["_id"])}, token=t["m3"]
    )
    await api.post(f"/api/v1/transfers/{tr['id']}/approve", {}, token=t["sec_a1"])
    results = await asyncio.gather(
        api.post(f"/api/v1/transfers/{tr['id']}/accept", {}, token=t["sec_b1"]),
        api.post(f"/api/v1/transfers/{tr['id']}/return", {"reason": "重复"}, token=t["sec_b1"]),
    )
    statuses = sorted(s for s, _ in results)
    assert statuses == [200, 409], results
    doc = await ctx.db.transfers.find_one({"_id": ObjectId(tr["id"])})
    user = await ctx.db.users.find_one({"_id": world.id("m3")})
    moved = user["org_id"] == world.orgs["B1"]["_id"]
    assert moved == (doc["status"] == "accepted")


@pytest.mark.gen_test(timeout=60)
async def test_expiry_and_reminders_by_the_job(api, world, ctx, clock):
    t = await tokens(ctx, world, "m2", "sec_a1")
    _status, tr = await api.post(
        "/api/v1/transfers", {"to_org_id": str(world.orgs["B1"]["_id"])}, token=t["m2"]
    )
    await api.post(f"/api/v1/transfers/{tr['id']}/approve", {}, token=t["sec_a1"])
    clock.move(days=26)
    counts = await tasks.transfers_job(ctx, None)
    assert counts == {"expired": 0, "reminded": 1}
    note = await ctx.db.notifications.find_one({"user_id": world.id("sec_b1")})
    assert note and "即将逾期" in note["body"]
    assert (await tasks.transfers_job(ctx, None))["reminded"] == 1  # same key: one message
    assert await ctx.db.notifications.count_documents({"user_id": world.id("sec_b1")}) == 1
    clock.move(days=5)
    assert (await tasks.transfers_job(ctx, None))["expired"] == 1
    doc = await ctx.db.transfers.find_one({"_id": ObjectId(tr["id"])})
    assert doc["status"] == "expired" and doc["open_member"] is None
    user = await ctx.db.users.find_one({"_id": world.id("m2")})
    assert user["org_id"] == world.orgs["A1"]["_id"]


@pytest.mark.gen_test(timeout=60)
async def test_transfer_out_of_the_platform(api, world, ctx):
    t = await tokens(ctx, world, "m2", "sec_a1")
    status, tr = await api.post(
        "/api/v1/transfers", {"external_org": "外省某机关党支部"}, token=t["m2"]
    )
    assert status == 201, tr
    status, done = await api.post(f"/api/v1/transfers/{tr['id']}/approve", {}, token=t["sec_a1"])
    assert status == 200 and done["status"] == "accepted" and done["letter_no"]
    user = await ctx.db.users.find_one({"_id": world.id("m2")})
    assert user["transferred_out"] is True
    status, _err = await api.post("/api/v1/transfers", {"external_org": "再转"}, token=t["m2"])
    assert status == 409
