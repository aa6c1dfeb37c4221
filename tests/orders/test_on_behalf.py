"""代下单 over real HTTP: staff and grid workers place orders for residents without WeChat,
staff confirm after a call (once), and the resident later takes the orders over by binding
the phone in WeChat; nobody serves an order they placed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from models.orders import notices
from models.people import users

PHONE = "13600001111"


def behalf(world, phone=PHONE, channel="phone", **extra):
    body = world.order_body(**extra)
    body.pop("contact_phone")
    body["on_behalf_of"] = {
        "name": "王奶奶",
        "phone": phone,
        "address": "阳光社区 5 号楼 101",
        "channel": channel,
    }
    return body


async def drive_to_completed(api, world, oid, sec):
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, body = await api.post(
        f"/api/v1/orders/{oid}/dispatch",
        {"volunteer_ids": [str(world.id("m1"))], "due_at": due},
        token=sec,
    )
    assert status == 200, body
    m1 = await api.login("openid-m1")
    for step, payload in (("accept", None), ("start", None), ("complete", {"note": "已修好"})):
        status, body = await api.post(f"/api/v1/orders/{oid}/{step}", payload, token=m1)
        assert status == 200, (step, body)
    return m1


@pytest.mark.gen_test(timeout=90)
async def test_on_behalf_to_points_once_then_the_resident_takes_it_over(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    status, order = await api.post("/api/v1/orders", behalf(world), token=sec)
    assert status == 201, order
    assert (order["channel"], order["channel_name"]) == ("phone", "电话")
    assert order["placer_name"] == "一支部书记"
    assert order["contact_name"] == "王奶奶" and order["contact_phone"] == "136****1111"
    oid = order["id"]
    # a placeholder resident: the phone and name, no WeChat account
    holder = await ctx.db.users.find_one({"phone": PHONE})
    assert holder["role"] == "resident" and holder["placeholder"] and "openid" not in holder
    assert holder["name"] == "王奶奶" and str(holder["_id"]) == order["resident_id"]
    # a second order for the same phone goes to the same resident (no second placeholder)
    status, second = await api.post("/api/v1/orders", behalf(world, channel="visit"), token=sec)
    assert status == 201 and second["resident_id"] == order["resident_id"]
    assert await ctx.db.users.count_documents({"phone": PHONE}) == 1

    await drive_to_completed(api, world, oid, sec)
    status, seen = await api.get(f"/api/v1/orders/{oid}", token=sec)
    assert "confirm" in seen["actions"]
    # staff confirm needs the call noted
    status, err = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 5}, token=sec)
    assert status == 400 and "电话回访" in err["error"]["fields"]["on_behalf_note"]

    # two staff confirm at once after the call: exactly one wins, the points land once
    sec_a = await api.login("openid-sec_a")
    note = {"rating": 5, "on_behalf_note": "已电话回访王奶奶，空调已修好，很满意"}
    results = await asyncio.gather(
        api.post(f"/api/v1/orders/{oid}/confirm", note, token=sec),
        api.post(f"/api/v1/orders/{oid}/confirm", note, token=sec_a),
    )
    codes = sorted(status for status, _ in results)
    assert codes == [200, 409], results
    closed = next(body for status, body in results if status == 200)
    assert closed["status"] == "closed" and "代群众确认" in closed["timeline"][-1]["note"]
    assert closed["on_behalf_note"] == "已电话回访王奶奶，空调已修好，很满意"
    entries = await ctx.db.ledger_entries.find({"source.id": closed_id(oid)}).to_list(None)
    # whole points, hours in tenths (2.0 hours)
    assert sorted((e["kind"], e["delta"]) for e in entries) == [("hours", 20), ("points", 10)]
    m1 = await ctx.db.users.find_one({"_id": world.id("m1")})
    assert m1["points_balance"] == 10
    # audited: who confirmed for whom, with the call noted
    await notices.run_notifier(ctx)
    audit = await ctx.db.audit_log.find({"action": "order.confirm_on_behalf"}).to_list(None)
    assert len(audit) == 1 and "已电话回访王奶奶" in audit[0]["reason"]

    # 王奶奶 signs in with WeChat and binds her phone: both orders are hers now
    wang = await api.login("wang-nainai")
    status, me = await api.post("/api/v1/me/phone", {"code": f"phone:{PHONE}"}, token=wang)
    assert status == 200, me
    status, mine = await api.get("/api/v1/orders?scope=mine", token=wang)
    assert status == 200
    assert {o["id"] for o in mine["items"]} == {oid, second["id"]}
    status, detail = await api.get(f"/api/v1/orders/{oid}", token=wang)
    assert status == 200 and detail["contact_phone"] == PHONE
    assert detail["on_behalf_note"] is None  # the staff's call note is for staff
    merged = await ctx.db.users.find_one({"_id": holder["_id"]})
    assert merged["deleted_at"] and merged["phone"] is None
    assert str(merged["merged_into"]) == me["id"]
    assert await ctx.db.orders.count_documents({"resident_id": holder["_id"]}) == 0

    # the other order: she confirms and rates it herself once it is done
    await drive_to_completed(api, world, second["id"], sec)
    status, detail = await api.get(f"/api/v1/orders/{second['id']}", token=wang)
    assert "confirm" in detail["actions"]
    status, done = await api.post(
        f"/api/v1/orders/{second['id']}/confirm", {"rating": 4, "comment": "谢谢"}, token=wang
    )
    assert status == 200 and done["rating"] == 4

    # another resident, another phone: sees neither
    other = await api.login("someone-else")
    status, _ = await api.post("/api/v1/me/phone", {"code": "phone:13600002222"}, token=other)
    assert status == 200
    status, theirs = await api.get("/api/v1/orders?scope=mine", token=other)
    assert theirs["items"] == []
    status, _ = await api.get(f"/api/v1/orders/{oid}", token=other)
    assert status == 404
    # and nobody else can take the phone over any more
    status, err = await api.post("/api/v1/me/phone", {"code": f"phone:{PHONE}"}, token=other)
    assert status == 409 and err["error"]["code"] == "phone_taken"


def closed_id(oid):
    from bson import ObjectId

    return ObjectId(oid)


@pytest.mark.gen_test(timeout=60)
async def test_a_resident_with_wechat_is_matched_by_phone(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    body = behalf(world, phone="139 1234 0000", channel="counter")  # 林阿姨's bound phone
    status, order = await api.post("/api/v1/orders", body, token=sec)
    assert status == 201, order
    assert order["resident_id"] == str(world.id("owner"))
    assert await ctx.db.users.count_documents({"placeholder": True}) == 0
    owner = await api.login("openid-owner")
    status, mine = await api.get("/api/v1/orders?scope=mine", token=owner)
    assert order["id"] in {o["id"] for o in mine["items"]}


@pytest.mark.gen_test(timeout=60)
async def test_who_may_place_on_behalf_and_chinese_errors(api, world, ctx):
    owner = await api.login("openid-owner")
    status, err = await api.post("/api/v1/orders", behalf(world), token=owner)
    assert status == 403 and err["error"]["code"] == "on_behalf_not_allowed"
    assert "网格员" in err["error"]["message"]
    m1 = await api.login("openid-m1")
    status, err = await api.post("/api/v1/orders", behalf(world), token=m1)
    assert status == 403
    sec = await api.login("openid-sec_a1")
    bad = behalf(world)
    bad["on_behalf_of"]["phone"] = "打电话"
    status, err = await api.post("/api/v1/orders", bad, token=sec)
    assert status == 400 and "格式不正确" in str(err["error"]["fields"])
    bad = behalf(world)
    del bad["on_behalf_of"]["name"]
    status, err = await api.post("/api/v1/orders", bad, token=sec)
    assert status == 400 and "name" in str(err["error"]["fields"])
    bad = behalf(world, channel="fax")
    status, err = await api.post("/api/v1/orders", bad, token=sec)
    assert status == 400 and "channel" in str(err["error"]["fields"])
    # out of scope: B1's secretary for an address in A1
    sec_b1 = await api.login("openid-sec_b1")
    status, err = await api.post("/api/v1/orders", behalf(world), token=sec_b1)
    assert status == 400 and "org_id" in err["error"]["fields"]
    # a resident confirming with a staff note is told it is not theirs to fill
    assert await ctx.db.orders.count_documents({}) == 0
    assert await ctx.db.users.count_documents({"placeholder": True}) == 0


@pytest.mark.gen_test(timeout=60)
async def test_a_grid_worker_places_but_never_serves_it(api, world, ctx):
    await users.set_duty(ctx, world.actor("sec_a1"), world.id("m2"), users.GRID_WORKER, True)
    m2 = await api.login("openid-m2")
    status, order = await api.post("/api/v1/orders", behalf(world, channel="visit"), token=m2)
    assert status == 201, order
    assert order["placer_name"] == "队员2" and order["channel_name"] == "上门"
    oid = order["id"]
    # the grid worker follows the order they placed
    status, _ = await api.get(f"/api/v1/orders/{oid}", token=m2)
    assert status == 200
    # ... in their own community only
    body = behalf(world, org_id=str(world.orgs["B1"]["_id"]))
    status, err = await api.post("/api/v1/orders", body, token=m2)
    assert status == 400 and "本社区" in err["error"]["fields"]["org_id"]

    sec = await api.login("openid-sec_a1")
    status, recs = await api.get(f"/api/v1/orders/{oid}/recommendations", token=sec)
    assert str(world.id("m2")) not in {r["member"]["id"] for r in recs["items"]}
    status, err = await api.post(
        f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [str(world.id("m2"))]}, token=sec
    )
    assert status == 400 and "下单人" in err["error"]["fields"]["volunteer_ids"]
    status, _ = await api.post(f"/api/v1/orders/{oid}/dispatch", {"to_hall": True}, token=sec)
    assert status == 200
    status, hall = await api.get("/api/v1/task-hall", token=m2)
    assert oid not in {o["id"] for o in hall["items"]}
    status, err = await api.post(f"/api/v1/orders/{oid}/accept", token=m2)
    assert status == 403 and err["error"]["code"] == "own_order"
    m1 = await api.login("openid-m1")
    status, hall = await api.get("/api/v1/task-hall", token=m1)
    assert oid in {o["id"] for o in hall["items"]}
    # the duty taken away: no more 代下单
    await users.set_duty(ctx, world.actor("sec_a1"), world.id("m2"), users.GRID_WORKER, False)
    await asyncio.sleep(1.1)  # the token cache keeps a user for a second
    status, err = await api.post("/api/v1/orders", behalf(world), token=m2)
    assert status == 403


@pytest.mark.gen_test(timeout=60)
async def test_racing_placements_for_a_new_phone_make_one_resident(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    sec_a = await api.login("openid-sec_a")
    results = await asyncio.gather(
        *(
            api.post("/api/v1/orders", behalf(world, phone="13600003333"), token=token)
            for token in (sec, sec_a, sec, sec_a)
        )
    )
    assert [s for s, _ in results] == [201] * 4, results
    assert len({body["resident_id"] for _, body in results}) == 1
    assert await ctx.db.users.count_documents({"phone": "13600003333"}) == 1


@pytest.mark.gen_test(timeout=60)
async def test_staff_cannot_confirm_a_residents_own_order(api, world, ctx):
    oid = await world.order_in("completed")
    sec = await api.login("openid-sec_a1")
    body = {"rating": 5, "on_behalf_note": "电话确认过"}
    status, err = await api.post(f"/api/v1/orders/{oid}/confirm", body, token=sec)
    assert status == 403
    owner = await api.login("openid-owner")
    status, err = await api.post(f"/api/v1/orders/{oid}/confirm", body, token=owner)
    assert status == 400 and "on_behalf_note" in err["error"]["fields"]
    assert await ctx.db.ledger_entries.count_documents({}) == 0


@pytest.mark.slow  # seeds the whole demo
@pytest.mark.gen_test(timeout=180)
async def test_demo_has_orders_placed_on_behalf(ctx):
    from server.demo import seed_demo

    ctx.wechat = None
    assert await seed_demo(ctx)
    placed = await ctx.db.orders.find({"placer_id": {"$exists": True}}).to_list(None)
    assert {o["channel"] for o in placed} == {"phone", "visit", "counter"}
    holders = await ctx.db.users.find({"placeholder": True}).to_list(None)
    assert len(holders) == 1 and "openid" not in holders[0]
    confirmed = [o for o in placed if o.get("confirmed_on_behalf")]
    assert len(confirmed) == 1 and confirmed[0]["status"] == "closed"
    assert confirmed[0]["confirmed_on_behalf"]["note"]
    grid = await ctx.db.users.find_one({"duties": users.GRID_WORKER})
    assert any(o["placer_id"] == grid["_id"] for o in placed)
