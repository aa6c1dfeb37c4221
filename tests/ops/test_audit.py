"""A staff action is audited whichever door it came through: the same dispatch, reject and
registration decision through the JSON API leave the records the admin pages leave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.orders import notices


@pytest.mark.gen_test(timeout=60)
async def test_staff_actions_through_the_api_are_audited(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    owner = await api.login("openid-owner")
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, first = await api.post("/api/v1/orders", world.order_body(), token=owner)
    assert status == 201
    status, _ = await api.post(
        f"/api/v1/orders/{first['id']}/dispatch",
        {"volunteer_ids": [str(world.id("m1"))], "due_at": due, "note": "请尽快"},
        token=sec,
        headers={"X-Real-Ip": "10.1.2.3"},
    )
    assert status == 200
    status, second = await api.post("/api/v1/orders", world.order_body(), token=owner)
    status, _ = await api.post(
        f"/api/v1/orders/{second['id']}/reject", {"reason": "不在服务范围"}, token=sec
    )
    assert status == 200
    applicant = await api.login("someone-to-approve")
    body = {"org_id": str(world.orgs["A1"]["_id"]), "name": "新人", "party_status": "积极分子"}
    status, reg = await api.post("/api/v1/member-registrations", body, token=applicant)
    assert status == 201
    status, _ = await api.post(f"/api/v1/member-registrations/{reg['id']}/approve", token=sec)
    assert status == 200

    await notices.run_notifier(ctx)
    await notices.run_notifier(ctx)  # a second pass writes nothing twice
    rows = await ctx.db.audit_log.find({}).to_list(None)
    by_action = {}
    for row in rows:
        by_action.setdefault(row["action"], []).append(row)
    assert {k: len(v) for k, v in by_action.items()} == {
        "order.dispatch": 1,
        "order.reject": 1,
        "registration.approve": 1,
    }
    dispatch = by_action["order.dispatch"][0]
    assert dispatch["actor_id"] == world.id("sec_a1")
    assert str(dispatch["target"]["id"]) == first["id"]
    assert dispatch["before"] == {"status": "submitted"}
    assert dispatch["after"]["status"] == "dispatched" and dispatch["after"]["due_at"]
    assert "请尽快" in dispatch["reason"]
    assert dispatch["ip"]
    assert by_action["order.reject"][0]["reason"] == "不在服务范围"
    assert by_action["registration.approve"][0]["org_path"] == world.orgs["A1"]["path"]
