"""The ledger's guarantees: exactly-once awards across crashes, the books check, never negative."""

from __future__ import annotations

import asyncio

import pytest

from models import orders
from models.core import uow
from models.points import ledger


@pytest.mark.gen_test(timeout=120)
async def test_award_retried_after_crash_between_entry_and_balance(
    api, world, ctx, config, mongo_uri
):
    from tests.conftest import cli

    oid = await world.order_in("completed")
    owner = await api.login("openid-owner")
    ctx.failpoints.add("ledger.after_entries")  # the process "dies" after writing the entries
    status, body = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 4}, token=owner)
    assert status == 500 and body["error"]["code"] == "internal_error"
    # the transaction never committed: no entry, no balance, the order still awaits confirmation
    assert await ctx.db.ledger_entries.count_documents({"source.id": oid}) == 0
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["status"] == "completed"
    assert cli(config, mongo_uri, "check-ledger").returncode == 0

    ctx.failpoints.clear()  # the client retries the same request
    status, body = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 4}, token=owner)
    assert status == 200 and body["status"] == "closed"
    status, body = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 4}, token=owner)
    assert status == 409
    assert await ctx.db.ledger_entries.count_documents({"source.id": oid}) == 2
    result = cli(config, mongo_uri, "check-ledger")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.gen_test(timeout=120)
async def test_award_is_exactly_once_even_if_the_order_step_is_bypassed(world, ctx):
    """The ledger's own guard: the same award key twice never makes two entries."""
    oid = await world.order_in("completed")
    order = await ctx.db.orders.find_one({"_id": oid})
    entries = orders.award_entries(order, world.actor("owner"))

    async def award(session):
        return await ledger.append(ctx, session, entries, org_path=order["assignee_org_path"])

    outcomes = await asyncio.gather(
        *(uow.in_transaction(ctx, award) for _ in range(10)), return_exceptions=True
    )
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(wins) == 1, outcomes
    losses = [o for o in outcomes if o not in wins]
    assert all(isinstance(o, ledger.AlreadyRecorded) for o in losses), [
        repr(o)[:300] for o in losses
    ]
    assert await ctx.db.ledger_entries.count_documents({"source.id": oid}) == 2
    assert await ledger.check_ledger(ctx) == []


@pytest.mark.gen_test(timeout=60)
async def test_check_ledger_finds_a_corrupted_balance(world, ctx, config, mongo_uri):
    from tests.conftest import cli

    oid = await world.order_in("completed")
    order = await ctx.db.orders.find_one({"_id": oid})
    await orders.confirm_order(ctx, world.actor("owner"), oid, {"rating": 5})
    await ctx.db.users.update_one({"_id": order["assignee_id"]}, {"$inc": {"points_balance": 1}})
    result = cli(config, mongo_uri, "check-ledger")
    assert result.returncode == 1
    assert "队员1" in result.stdout and '"sum_of_entries": 10' in result.stdout


@pytest.mark.gen_test(timeout=60)
async def test_spending_never_goes_negative(world, ctx):
    member = world.id("m1")
    spend = ledger.LedgerEntry(
        member_id=member,
        kind="points",
        delta=-5,
        reason="兑换",
        source_type="redemption",
        source_id=member,
        idempotency_key="spend-1",
    )
    with pytest.raises(Exception) as info:
        await uow.in_transaction(ctx, lambda s: ledger.append(ctx, s, [spend], org_path=[]))
    assert getattr(info.value, "code", "") == "insufficient_balance"
    assert await ctx.db.ledger_entries.count_documents({"member_id": member}) == 0
