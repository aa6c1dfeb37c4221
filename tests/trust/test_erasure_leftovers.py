"""Erasure leaves nothing: personal markers are seeded everywhere a resident and a member
leave traces (order, timeline notes, rating comment, dispatch note, inboxes, points
adjustment, audit), both erase themselves, and every collection the database lists is
searched for the markers (so a collection added later cannot be forgotten)."""

from __future__ import annotations

import json

import pytest

from models.orders.notices import run_notifier
from models.people.users import create_user
from models.points import adjustments, ledger
from tests.trust.figures import record

RESIDENT, RESIDENT_PHONE = "蒋标记", "13900007777"
MEMBER, MEMBER_PHONE = "韩标记", "13900008888"
ADDRESS, DESCRIPTION = "标记路 88 号", "标记描述：请带梯子"
MARKERS = [RESIDENT, RESIDENT_PHONE, MEMBER, MEMBER_PHONE, "标记路", "标记描述"]


async def leftovers(ctx) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in sorted(await ctx.db.list_collection_names()):
        async for doc in ctx.db[name].find({}):
            text = json.dumps(doc, ensure_ascii=False, default=str)
            hits = [m for m in MARKERS if m in text]
            if hits:
                found.setdefault(name, []).append(f"{doc.get('_id')}: {hits}")
    return found


@pytest.mark.gen_test(timeout=120)
async def test_erasure_leaves_no_personal_data_anywhere(api, world, ctx):
    a1 = world.orgs["A1"]["_id"]
    await create_user(
        ctx, role="resident", name=RESIDENT, openid="openid-erase-r", phone=RESIDENT_PHONE
    )
    member = await create_user(
        ctx,
        role="member",
        name=MEMBER,
        org_id=a1,
        openid="openid-erase-m",
        phone=MEMBER_PHONE,
        skills=["家电维修"],
    )
    resident = await api.login("openid-erase-r")
    volunteer = await api.login("openid-erase-m")
    sec = await api.login("openid-sec_a1")
    body = world.order_body(address=ADDRESS, description=DESCRIPTION, contact_phone=RESIDENT_PHONE)
    status, order = await api.post("/api/v1/orders", body, token=resident)
    assert status == 201
    oid = order["id"]
    steps = [
        (
            f"/orders/{oid}/dispatch",
            {"volunteer_ids": [str(member["_id"])], "note": f"请{MEMBER}上门"},
            sec,
        ),
        (f"/orders/{oid}/accept", None, volunteer),
        (f"/orders/{oid}/start", None, volunteer),
        (f"/orders/{oid}/complete", {"note": f"已修好，有事打 {MEMBER_PHONE}"}, volunteer),
        (
            f"/orders/{oid}/confirm",
            {"rating": 5, "comment": f"{MEMBER}很好，我电话{RESIDENT_PHONE}"},
            resident,
        ),
    ]
    for path, payload, token in steps:
        status, resp = await api.post("/api/v1" + path, payload, token=token)
        assert status == 200, (path, resp)
        await run_notifier(ctx)
    # a second order the resident cancels with a note, and a points adjustment for the member
    status, second = await api.post("/api/v1/orders", body, token=resident)
    await api.post(
        f"/api/v1/orders/{second['id']}/cancel", {"reason": f"{RESIDENT}不需要了"}, token=resident
    )
    await run_notifier(ctx)
    await adjustments.request_adjustment(
        ctx, world.actor("sec_a1"), member["_id"], kind="points", delta=5, reason="表现好"
    )
    before = await leftovers(ctx)
    assert {"orders", "notifications", "point_adjustments", "audit_log"} <= set(before), before

    for token in (resident, volunteer):
        status, resp = await api.call("DELETE", "/api/v1/me", token=token)
        assert status == 200, resp
    after = await leftovers(ctx)
    record(
        "erasure",
        collections_searched=len(await ctx.db.list_collection_names()),
        documents_with_markers_before=sum(len(v) for v in before.values()),
        personal_data_left=sum(len(v) for v in after.values()),
    )
    assert after == {}, after
    # the books still balance and show the member under an anonymous id
    assert await ledger.check_ledger(ctx) == []
    adj = await ctx.db.point_adjustments.find_one({"member_id": member["_id"]})
    assert adj["member_name"].startswith("已注销用户#")
