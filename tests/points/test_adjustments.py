"""Adjustments and reversals: a second admin approves, exactly once, never negative."""

from __future__ import annotations

import asyncio

import pytest

from models import orders
from models.points import adjustments, ledger
from server.errors import Conflict, Forbidden, NotFound


def test_adjustment_approval_is_by_another_admin_and_lands_exactly_once(live, staff):
    w, ctx = staff, live.ctx
    adj = live.run(
        adjustments.request_adjustment(
            ctx, w.actor("sec_a1"), w.id("m1"), kind="points", delta=120, reason="年度表彰"
        )
    )
    assert adj["status"] == "pending"
    with pytest.raises(Forbidden):
        live.run(adjustments.approve(ctx, w.actor("sec_a1"), adj["_id"]))
    with pytest.raises(NotFound):  # B's secretary does not even see it
        live.run(adjustments.approve(ctx, w.actor("sec_b1"), adj["_id"]))

    async def race():
        return await asyncio.gather(
            adjustments.approve(ctx, w.actor("admin"), adj["_id"]),
            adjustments.approve(ctx, w.actor("admin2"), adj["_id"]),
            return_exceptions=True,
        )

    results = live.run(race())
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    entries = live.run(ctx.db.ledger_entries.find({"member_id": w.id("m1")}).to_list(None))
    assert [e["idempotency_key"] for e in entries] == [f"adjustment:{adj['_id']}"]
    assert entries[0]["delta"] == 120 and entries[0]["requested_by"] == w.id("sec_a1")
    assert live.run(ledger.check_ledger(ctx)) == []


def test_reversal_is_a_new_entry_once_and_spending_never_goes_negative(live, staff):
    w, ctx = staff, live.ctx
    oid = live.run(w.order_in("completed"))
    live.run(orders.confirm_order(ctx, w.actor("owner"), oid, {"rating": 5}))
    award = live.run(ctx.db.ledger_entries.find_one({"kind": "points"}))
    rev = live.run(
        adjustments.request_adjustment(
            ctx,
            w.actor("sec_a1"),
            w.id("m1"),
            kind="points",
            delta=0,
            reason="重复记录",
            reverses=award["_id"],
        )
    )
    assert rev["status"] == "applied" and rev["delta"] == -award["delta"]
    with pytest.raises(Conflict):
        live.run(
            adjustments.request_adjustment(
                ctx,
                w.actor("sec_a1"),
                w.id("m1"),
                kind="points",
                delta=0,
                reason="再冲一次",
                reverses=award["_id"],
            )
        )
    member = live.run(ctx.db.users.find_one({"_id": w.id("m1")}))
    assert member["points_balance"] == 0
    assert live.run(ctx.db.ledger_entries.count_documents({})) == 3  # nothing edited
    with pytest.raises(Conflict):
        live.run(
            adjustments.request_adjustment(
                ctx, w.actor("sec_a1"), w.id("m1"), kind="points", delta=-5, reason="扣减"
            )
        )
    assert live.run(ledger.check_ledger(ctx)) == []
