"""1,000 concurrent awards over 100 idempotency keys: exactly 100 entries, books balanced."""

from __future__ import annotations

import asyncio
import random

import pytest
from bson import ObjectId

from models.core import uow
from models.points import ledger
from tests.trust.figures import record


@pytest.mark.gen_test(timeout=300)
async def test_thousand_concurrent_awards_over_hundred_keys(world, ctx):
    members = [world.id(m) for m in ("m1", "m2", "m3", "m_a2", "m_b1")]
    paths = {m: (await ctx.db.users.find_one({"_id": m}))["org_path"] for m in members}
    keys = [(f"trust:award:{n}", members[n % len(members)], 1 + n % 7) for n in range(100)]
    attempts = [keys[n % 100] for n in range(1000)]
    random.Random(6).shuffle(attempts)

    async def award(key: str, member: ObjectId, points: int) -> str:
        entry = ledger.LedgerEntry(
            member_id=member,
            kind="points",
            delta=points,
            reason="并发发放测试",
            source_type="trust",
            source_id=key,
            idempotency_key=key,
        )

        async def work(session):
            await ledger.append(ctx, session, [entry], org_path=paths[member])

        try:
            await uow.in_transaction(ctx, work)
            return "awarded"
        except ledger.AlreadyRecorded:
            return "already"

    limit = asyncio.Semaphore(100)  # 100 in flight at once: contention without a stampede

    async def bounded(args):
        async with limit:
            return await award(*args)

    outcomes = await asyncio.gather(*(bounded(a) for a in attempts))
    entries = await ctx.db.ledger_entries.count_documents({"source.type": "trust"})
    problems = await ledger.check_ledger(ctx)
    expected = {m: sum(p for _, mm, p in keys if mm == m) for m in members}
    balances = {
        u["_id"]: u["points_balance"]
        async for u in ctx.db.users.find({"_id": {"$in": members}}, {"points_balance": 1})
    }
    record(
        "ledger: concurrent awards",
        attempts=len(attempts),
        idempotency_keys=len(keys),
        entries=entries,
        duplicated=max(0, entries - len(keys)),
        lost=max(0, len(keys) - entries),
        check_ledger_problems=len(problems),
    )
    assert outcomes.count("awarded") == 100 and outcomes.count("already") == 900
    assert entries == 100
    assert problems == []
    assert balances == expected
