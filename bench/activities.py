"""Settling an activity: N attendees in one go against N single awards, in the same run.

Both sides write the same thing — a points entry and an hours entry per member through
the ledger, balances moved in the same transaction — on an embedded SecantusDB in a temp
directory started here:

  * baseline: N awards, each `ledger.append` in its own transaction (how an order closes);
  * settle:   one ended activity with N attendees, `activities.settle` (batched bulk writes,
              `activities.settle_batch` attendees per transaction).

The ratio settle / baseline is the figure (lower is better); it exits 0 either way.

    python bench/activities.py            # 1,000 attendees
    python bench/activities.py --quick    # 50 (smoke)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402
from pymongo import AsyncMongoClient  # noqa: E402

from models import activities  # noqa: E402
from models.core import uow  # noqa: E402
from models.core.context import Context  # noqa: E402
from models.ops.checks import run_checks  # noqa: E402
from models.ops.indexes import ensure_indexes  # noqa: E402
from models.people import membership, orgs  # noqa: E402
from models.people.users import Actor, create_user, new_user_doc  # noqa: E402
from models.points import ledger  # noqa: E402
from server.config import load_config  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402


async def members(ctx: Context, org: dict[str, Any], n: int, tag: str) -> list[dict[str, Any]]:
    docs = [
        new_user_doc(ctx, role="member", name=f"{tag}{i}", org_id=org["_id"], org_path=org["path"])
        for i in range(n)
    ]
    for d in docs:
        d["openid"] = f"{tag}-{d['_id']}"
    await ctx.db.users.insert_many(docs)
    await membership.fill_directory(ctx)  # keys, join times, counters: as for an import
    return docs


async def baseline(ctx: Context, people: list[dict[str, Any]]) -> float:
    source = ObjectId()
    started = time.perf_counter()
    for p in people:
        entries = [
            ledger.LedgerEntry(
                member_id=p["_id"],
                kind=kind,
                delta=delta,
                reason="单笔发放",
                source_type="bench",
                source_id=source,
                idempotency_key=f"bench:{source}:{p['_id']}:{kind}",
            )
            for kind, delta in (("points", 4), ("hours", 20))  # 20 tenths: 2 hours
        ]

        async def work(
            session: Any, entries: list[ledger.LedgerEntry] = entries, path: Any = p["org_path"]
        ) -> None:
            await ledger.append(ctx, session, entries, org_path=path)

        await uow.in_transaction(ctx, work)
    return time.perf_counter() - started


async def ended_activity(
    ctx: Context, sec: Actor, branch: dict[str, Any], people: list[dict[str, Any]]
) -> ObjectId:
    start = ctx.now() + timedelta(days=1)
    act = await activities.create_activity(
        ctx,
        sec,
        {
            "org_id": branch["_id"],
            "kind": "volunteer",
            "title": "千人志愿服务日",
            "start_at": start,
            "end_at": start + timedelta(hours=3),
            "points_mode": "per_hour",
            "points_value": 2,
            "publish": True,
        },
    )
    began = ctx.now() - timedelta(hours=4)
    rows = [
        {
            "_id": ObjectId(),
            "activity_id": act["_id"],
            "org_path": act["org_path"],
            "member_id": p["_id"],
            "member_name": p["name"],
            "member_org_path": p["org_path"],
            "status": "confirmed",
            "version": 1,
            "start_at": began,
            "end_at": began + timedelta(hours=3),
            "queued_at": None,
            "checkin_at": began,
            "checkout_at": began + timedelta(hours=2),
            "hours": 2.0,
            "attendance": "出席",
            "created_at": began,
        }
        for p in people
    ]
    await ctx.db.activity_signups.insert_many(rows)
    await ctx.db.activities.update_one(
        {"_id": act["_id"]},
        {
            "$set": {"start_at": began, "end_at": began + timedelta(hours=3)},
            "$inc": {"signed_up": len(rows), "checked_in": len(rows), "checked_out": len(rows)},
        },
    )
    doc = await ctx.db.activities.find_one({"_id": act["_id"]})
    assert doc is not None
    await activities.end_activity(ctx, doc)
    return act["_id"]


async def main(n: int, batch: int | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-act-") as path:
        db = EmbeddedMongo(os.path.join(path, "db"), free_port())
        db.start()
        client: AsyncMongoClient = AsyncMongoClient(db.uri, retryWrites=False, tz_aware=True)
        try:
            config = load_config(environ={})
            if batch:
                config = config.replace(activities={"settle_batch": batch})
            ctx = Context(db=client["bench_activities"], config=config)
            await ensure_indexes(ctx.db)
            city = await orgs.create_org(ctx, "同心市", "city")
            branch = await orgs.create_org(ctx, "第一党支部", "branch", city["_id"])
            sec = Actor.from_user(
                await create_user(
                    ctx, role="secretary", name="书记", org_id=branch["_id"], openid="bench-sec"
                )
            )
            single = await members(ctx, branch, n, "单笔")
            crowd = await members(ctx, branch, n, "活动")
            activity_id = await ended_activity(ctx, sec, branch, crowd)
            base_s = await baseline(ctx, single)
            started = time.perf_counter()
            settled = await activities.settle(ctx, sec, activity_id)
            settle_s = time.perf_counter() - started
            entries = await ctx.db.ledger_entries.count_documents({"source.id": activity_id})
            problems = sum(len(o.problems) for o in await run_checks(ctx))
        finally:
            await client.close()
            db.stop()
    batch = int(config.activities.settle_batch)
    print(f"cores: {os.cpu_count()}  python: {platform.python_version()}  attendees: {n}")
    print(f"baseline  {n} single awards (one transaction each)   {base_s:8.3f} s")
    print(f"settle    {n} attendees in one go (batch {batch})        {settle_s:8.3f} s")
    print(f"ratio     settle / baseline                        {settle_s / base_s:8.3f}")
    print(f"entries   {entries} (want {2 * n}); attended {settled['attended']}")
    print(f"check     {'clean' if problems == 0 else f'{problems} problem(s)'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 attendees (smoke)")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=0, help="attendees per transaction")
    args = parser.parse_args()
    asyncio.run(main(50 if args.quick else args.n, args.batch or None))
