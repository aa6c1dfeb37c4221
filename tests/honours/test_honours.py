"""服务标兵/党员之星: the monthly job proposes from the ledger, the secretary confirms an
edited list, the roll is published and shows on the member's record."""

from __future__ import annotations

import pytest

from jobs import tasks
from models import honours, orders
from models.people import auth


@pytest.mark.gen_test(timeout=90)
async def test_monthly_proposal_confirm_publish(api, world, ctx, clock):
    for member in ("m1", "m1", "m3"):
        oid = await world.order_in("completed", member=member)
        await orders.confirm_order(ctx, world.actor("owner"), oid, {"rating": 5})
    clock.move(days=32)
    assert (await tasks.honours_job(ctx, None))["proposed"] >= 2
    assert (await tasks.honours_job(ctx, None))["proposed"] == 0  # once per month and node
    rows = await honours.list_for_node(ctx, world.orgs["A1"]["_id"])
    service = next(h for h in rows if h["title"] == "服务标兵")
    # m1 served 4 hours (the floor), m3 only 2: m1 alone is proposed
    assert [c["name"] for c in service["candidates"]] == ["队员1"]
    star = next(h for h in rows if h["title"] == "党员之星")
    assert [c["name"] for c in star["candidates"]] == ["队员1"]

    with pytest.raises(Exception) as outside:
        await honours.confirm(ctx, world.actor("sec_b1"), service["_id"], [world.id("m1")])
    assert getattr(outside.value, "status", None) == 404
    with pytest.raises(Exception) as wrong:
        await honours.confirm(ctx, world.actor("sec_a1"), service["_id"], [world.id("m_b1")])
    assert getattr(wrong.value, "status", None) == 400
    # edited: m3 added by the secretary
    await honours.confirm(
        ctx, world.actor("sec_a1"), service["_id"], [world.id("m1"), world.id("m3")]
    )

    tok = (await auth.issue_token(ctx, world.id("owner")))[0]
    status, roll = await api.get(f"/api/v1/honours?org_id={world.orgs['A']['_id']}", token=tok)
    assert status == 200
    assert [(h["title"], [m["name"] for m in h["members"]]) for h in roll["items"]] == [
        ("服务标兵", ["队员1", "队员3"])
    ]
    m3 = (await auth.issue_token(ctx, world.id("m3")))[0]
    status, rec = await api.get("/api/v1/me/record", token=m3)
    assert [h["title"] for h in rec["honours"]] == ["服务标兵"]
