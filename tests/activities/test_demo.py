"""The demo data shows activities in every state on a first run, consistent with the ledger."""

from __future__ import annotations

import pytest

from models.ops.checks import run_checks
from server.demo import seed_demo


@pytest.mark.slow
@pytest.mark.gen_test(timeout=180)
async def test_demo_has_activities_in_every_state(ctx):
    assert await seed_demo(ctx)
    states = {a["status"] async for a in ctx.db.activities.find({}, {"status": 1})}
    assert {"draft", "published", "in_progress", "settled"} <= states
    assert await ctx.db.activity_signups.count_documents({"status": "waiting"}) >= 1
    assert await ctx.db.activity_signups.count_documents({"checkin_at": {"$ne": None}}) >= 3
    assert await ctx.db.ledger_entries.count_documents({"source.type": "activity"}) >= 2
    meeting = await ctx.db.activities.find_one({"kind": "branch_assembly"})
    assert meeting["minutes"]
    assert all(not o.problems for o in await run_checks(ctx)), [
        (o.check.name, o.problems) for o in await run_checks(ctx) if o.problems
    ]
