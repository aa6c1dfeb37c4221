"""Rewards benchmark: redemptions of ONE hot item against plain awards, and the points
expiry job against a plain scan of the same members, each ratio measured in the same run.

Everything runs in this process against an embedded SecantusDB in a temp directory,
through the model services (models/rewards, models/points):

- awards/s: concurrent workers each append a points award (ledger.append in a
  transaction) for their own member — the cheapest write that moves a balance;
- redemptions/s: the same number of workers redeem one hot item (stock decrement,
  ledger debit, redemption with its code, one transaction each), every worker its own
  member, so they all contend for the one item document; sold out is checked exactly;
- expiry: N members each with one points bucket past its expiry moment; the job
  (models/rewards/expiry.expire_points: one keyed ledger entry per member and year) is
  timed against one plain scan of the N members' buckets.

    python bench/rewards.py                 # full run (100,000 members for expiry)
    python bench/rewards.py --quick         # smoke run (a few seconds)

Exits 0 even when a target is missed: it is a report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402

from models.core import uow  # noqa: E402
from models.core.context import Context  # noqa: E402
from models.ops import recount  # noqa: E402
from models.ops.checks import run_checks  # noqa: E402
from models.ops.indexes import ensure_indexes  # noqa: E402
from models.people import membership, orgs  # noqa: E402
from models.people.users import Actor, create_user, new_user_doc  # noqa: E402
from models.points import boards, buckets, ledger  # noqa: E402
from models.rewards import expiry, items, redemptions  # noqa: E402
from server.config import load_config  # noqa: E402
from server.db import database, make_client  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402

ERRORS: Counter[str] = Counter()
REDEEM_RATIO_TARGET = 0.25  # a redemption is ~3 writes more than an award, on one hot doc
EXPIRY_RATIO_TARGET = 500.0  # job time ÷ scan time, for N members


async def award(ctx: Context, user: dict[str, Any], n: int) -> None:
    entry = ledger.LedgerEntry(
        member_id=user["_id"],
        kind="points",
        delta=10,
        reason="志愿活动积分",
        source_type="activity",
        source_id=user["_id"],
        idempotency_key=f"bench:award:{user['_id']}:{n}",
    )

    async def work(session: Any) -> Any:
        return await ledger.append(ctx, session, [entry], org_path=list(user["org_path"]))

    await uow.in_transaction(ctx, work)


async def timed(workers: int, per_worker: int, op: Any) -> tuple[float, int, int]:
    """Run `op(worker, i)` per_worker times in each of `workers` tasks; (seconds, ok, err)."""
    ok = err = 0

    async def run(w: int) -> None:
        nonlocal ok, err
        for i in range(per_worker):
            try:
                await op(w, i)
                ok += 1
            except Exception as exc:
                err += 1
                ERRORS[getattr(exc, "code", None) or type(exc).__name__] += 1

    started = time.perf_counter()
    await asyncio.gather(*(run(w) for w in range(workers)))
    return time.perf_counter() - started, ok, err


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-rewards-") as path:
        db = EmbeddedMongo(os.path.join(path, "db"), free_port())
        db.start()
        try:
            return await bench(args, db.uri)
        finally:
            db.stop()


async def bench(args: argparse.Namespace, uri: str) -> int:
    config = load_config(environ={}).replace(
        mongo={"database": "bench_rewards", "timeout_ms": 120_000}
    )
    # a loaded machine: heartbeats and connects get time too (a missed heartbeat clears the
    # pool and cancels what is in flight)
    client = make_client(uri, config, connectTimeoutMS=30_000, heartbeatFrequencyMS=60_000)
    ctx = Context(db=database(client, config), config=config)
    await ensure_indexes(ctx.db)
    city = await orgs.create_org(ctx, "同心市", "city")
    community = await orgs.create_org(ctx, "阳光社区", "community", city["_id"])
    branch = await orgs.create_org(ctx, "第一党支部", "branch", community["_id"])
    admin = Actor.from_user(
        await create_user(ctx, role="admin", name="管理员", org_id=city["_id"], openid="a")
    )
    workers, per = args.workers, args.per_worker
    members = [
        await create_user(ctx, role="member", name=f"队员{i}", openid=f"m{i}", org_id=branch["_id"])
        for i in range(workers)
    ]
    print(f"cores: {os.cpu_count()}  python: {platform.python_version()}")
    print(f"workers: {workers}  requests per worker: {per}")

    # 1. plain awards (also gives every member enough points to redeem)
    secs, ok, err = await timed(workers, per, lambda w, i: award(ctx, members[w], i))
    award_rate = ok / secs
    print(f"awards         {ok:6d} ok {err:4d} err  {award_rate:8.1f} /s")

    # 2. one hot item, stock exactly the requests it can serve minus a few: no oversell
    stock = workers * per - workers
    item = await items.create_item(
        ctx,
        admin,
        {"org_id": community["_id"], "name": "洗衣液", "price": 1, "stock": stock},
    )
    actors = [Actor.from_user(await ctx.db.users.find_one({"_id": m["_id"]})) for m in members]

    async def redeem(w: int, i: int) -> None:
        await redemptions.redeem(ctx, actors[w], item["_id"], f"bench-{w}-{i}")

    ERRORS.clear()
    secs, ok, err = await timed(workers, per, redeem)
    redeem_rate = ok / secs
    left = (await ctx.db.reward_items.find_one({"_id": item["_id"]}))["stock"]
    print(
        f"redemptions    {ok:6d} ok {err:4d} err  {redeem_rate:8.1f} /s",
        f"(one hot item, stock left {left})",
    )
    print(f"  refusals: {dict(ERRORS)}")
    oversold = ok + left != stock or ERRORS.get("sold_out", 0) + ok > workers * per
    ratio = redeem_rate / award_rate
    print(f"redeem/award ratio: {ratio:.2f} (target >= {REDEEM_RATIO_TARGET})")

    # the same redemptions spread over one item per worker: what the contention costs
    spread = [
        await items.create_item(
            ctx, admin, {"org_id": community["_id"], "name": f"商品{w}", "price": 1, "stock": per}
        )
        for w in range(workers)
    ]
    actors = [Actor.from_user(await ctx.db.users.find_one({"_id": m["_id"]})) for m in members]

    async def redeem_own(w: int, i: int) -> None:
        await redemptions.redeem(ctx, actors[w], spread[w]["_id"], f"spread-{w}-{i}")

    secs, ok, err = await timed(workers, per, redeem_own)
    spread_rate = ok / secs
    print(f"redemptions    {ok:6d} ok {err:4d} err  {spread_rate:8.1f} /s (one item per worker)")
    print(f"hot/spread ratio: {redeem_rate / spread_rate:.2f}")

    # 3. expiry of N members' buckets vs one scan of them
    n = args.members
    now = datetime.now(UTC)
    year = now.year - 2
    org_path = list(branch["path"])
    batch = 1000
    for start in range(0, n, batch):
        users, bucket_docs, entries = [], [], []
        for _ in range(min(batch, n - start)):
            doc = new_user_doc(ctx, role="member", name="队员", org_id=branch["_id"])
            doc["org_path"], doc["points_balance"] = org_path, 10
            users.append(doc)
            bucket_docs.append(
                {
                    "_id": buckets.bucket_id(doc["_id"], year),
                    "member_id": doc["_id"],
                    "year": year,
                    "earned": 10,
                    "spent": 0,
                    "expired": 0,
                    "expires_at": now - timedelta(days=1),
                    "closed": False,
                    "reminded": True,
                    "created_at": now,
                }
            )
            entries.append(
                {
                    "_id": ObjectId(),
                    "member_id": doc["_id"],
                    "kind": "points",
                    "delta": 10,
                    "unit": "point",
                    "reason": "志愿活动积分",
                    "source": {"type": "activity", "id": doc["_id"]},
                    "idempotency_key": f"bench:seed:{doc['_id']}",
                    "org_path": org_path,
                    "created_at": now,
                }
            )
        await ctx.db.users.insert_many(users)
        await membership.fill_directory(ctx)  # keys, join times, counters: as for an import
        await ctx.db.point_buckets.insert_many(bucket_docs)
        await ctx.db.ledger_entries.insert_many(entries)
        await boards.apply(ctx, None, entries)  # the leaderboard buckets append keeps
        await recount.rebuild(ctx)  # the dashboard's tallies, as after a bulk import
    started = time.perf_counter()
    scanned = 0
    async for _ in ctx.db.point_buckets.find({"closed": False, "expires_at": {"$lte": now}}):
        scanned += 1
    scan_secs = time.perf_counter() - started
    started = time.perf_counter()
    done = await expiry.expire_points(ctx, batch=1000)
    job_secs = time.perf_counter() - started
    expiry_ratio = job_secs / scan_secs
    print(f"expiry scan    {scanned:6d} buckets {scan_secs:8.2f} s")
    print(
        f"expiry job     {done['buckets']:6d} buckets {job_secs:8.2f} s",
        f"({done['buckets'] / job_secs:.0f} /s)",
    )
    print(f"expiry/scan ratio: {expiry_ratio:.1f} (target <= {EXPIRY_RATIO_TARGET:g})")
    problems = {o.check.name: len(o.problems) for o in await run_checks(ctx) if o.problems}
    print(f"server check: {problems or 'clean'}")
    missed = []
    if oversold:
        missed.append("oversell")
    if ratio < REDEEM_RATIO_TARGET:
        missed.append("redeem ratio")
    if expiry_ratio > EXPIRY_RATIO_TARGET:
        missed.append("expiry ratio")
    if problems or done["buckets"] != n:
        missed.append("consistency")
    print("ALL TARGETS MET" if not missed else "TARGETS MISSED: " + ", ".join(missed))
    await client.drop_database("bench_rewards")
    await client.close()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small numbers")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--per-worker", type=int, default=25)
    parser.add_argument("--members", type=int, default=100_000)
    ns = parser.parse_args()
    if ns.quick:
        ns.workers, ns.per_worker, ns.members = 5, 4, 200
    sys.exit(asyncio.run(main(ns)))
