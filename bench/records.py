"""Service record and dossier benchmark: a member with 5 years of history vs a new member.

Starts an embedded SecantusDB in a temp directory, seeds one branch directly (insert_many):
the veteran member has `--orders` closed orders over five years, each with its points and
hours ledger entries (2 per order), and `--noise` other members' entries share the
collections. Times, through the model services the endpoints call, the member's record
(last 12 months and the whole five years) and the dossier, against the same calls for a
member who joined today, in the same run.

    python bench/records.py            # full run
    python bench/records.py --quick    # smoke run

Target: every call under 300 ms median. Exits 0 even when missed: it is a report.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402

from models import records  # noqa: E402
from models.people import orgs  # noqa: E402
from models.people.users import Actor, create_user  # noqa: E402
from models.points import ledger  # noqa: E402
from server.app import build_service  # noqa: E402
from server.config import load_config  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402

TARGET_MS = 300.0


async def seed(ctx, n_orders: int, n_noise: int):
    street = await orgs.create_org(ctx, "幸福街道", "street")
    community = await orgs.create_org(ctx, "阳光社区", "community", street["_id"])
    branch = await orgs.create_org(ctx, "阳光社区第一党支部", "branch", community["_id"])
    veteran = await create_user(
        ctx,
        role="member",
        name="老队员",
        openid="bench-veteran",
        org_id=branch["_id"],
        party_status="积极分子",
    )
    newcomer = await create_user(
        ctx,
        role="member",
        name="新队员",
        openid="bench-new",
        org_id=branch["_id"],
        party_status="积极分子",
    )
    secretary = await create_user(
        ctx, role="secretary", name="书记", openid="bench-sec", org_id=branch["_id"]
    )
    now = datetime.now(UTC)
    rng = random.Random(7)
    orders, entries = [], []
    for _ in range(n_orders):
        closed = now - timedelta(days=rng.uniform(0, 5 * 365))
        oid = ObjectId()
        orders.append(
            {
                "_id": oid,
                "status": "closed",
                "assignee_id": veteran["_id"],
                "resident_id": ObjectId(),
                "category_name": "家电维修",
                "org_id": branch["_id"],
                "org_name": branch["name"],
                "org_path": branch["path"],
                "hours": 2.0,
                "points": 10,
                "rating": rng.randint(3, 5),
                "created_at": closed - timedelta(hours=5),
                "closed_at": closed,
                "updated_at": closed,
            }
        )
        for kind, delta in (("points", 10), ("hours", 20)):  # whole points, tenths of an hour
            entries.append(
                {
                    "member_id": veteran["_id"],
                    "kind": kind,
                    "delta": delta,
                    "unit": ledger.UNIT[kind],
                    "reason": "服务工单",
                    "source": {"type": "order", "id": oid},
                    "idempotency_key": f"order:{oid}:{kind}",
                    "org_path": branch["path"],
                    "created_at": closed,
                }
            )
    for i in range(n_noise):
        entries.append(
            {
                "member_id": ObjectId(),
                "kind": "points",
                "delta": 5,
                "unit": "point",
                "reason": "其他队员",
                "source": {"type": "order", "id": ObjectId()},
                "idempotency_key": f"noise:{i}",
                "org_path": branch["path"],
                "created_at": now - timedelta(days=rng.uniform(0, 5 * 365)),
            }
        )
    for start in range(0, len(orders), 1000):
        await ctx.db.orders.insert_many(orders[start : start + 1000])
    for start in range(0, len(entries), 1000):
        await ctx.db.ledger_entries.insert_many(entries[start : start + 1000])
    return Actor.from_user(secretary), veteran, newcomer


async def timed(rounds: int, fn) -> list[float]:
    await fn()  # warm
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def run(uri: str, n_orders: int, n_noise: int, rounds: int) -> int:
    config = load_config(environ={}).replace(
        mongo={"database": "bench_records", "timeout_ms": 120_000}
    )
    service = await build_service(config, uri)
    ctx = service.ctx
    try:
        sec, veteran, newcomer = await seed(ctx, n_orders, n_noise)
        entries = await ctx.db.ledger_entries.count_documents({"member_id": veteran["_id"]})
        five_years = date.today() - timedelta(days=5 * 365 + 2)
        cases = {
            "record, last 12 months": lambda m: records.record_for(ctx, sec, m, None, None),
            "record, 5 years": lambda m: records.record_for(ctx, sec, m, five_years, None),
            "dossier (12 months, JSON)": lambda m: records.dossier_for(
                ctx, sec, m, None, None, None
            ),
        }
        print(
            f"records: veteran member with {n_orders} closed orders and {entries} ledger "
            f"entries over 5 years, {n_noise} other entries; {rounds} rounds (ms)"
        )
        print(f"{'call':28} {'median':>8} {'p90':>8} {'new':>8} {'ratio':>7}  target")
        missed = 0
        for name, call in cases.items():
            full = await timed(rounds, lambda c=call: c(veteran["_id"]))
            base = await timed(rounds, lambda c=call: c(newcomer["_id"]))
            med, p90 = statistics.median(full), sorted(full)[max(0, int(rounds * 0.9) - 1)]
            nmed = statistics.median(base)
            ok = med < TARGET_MS
            missed += not ok
            print(
                f"{name:28} {med:8.1f} {p90:8.1f} {nmed:8.1f} {med / nmed:7.1f}  "
                f"{'ok' if ok else 'MISSED'}"
            )
        print("all calls under 300 ms median" if not missed else f"{missed} call(s) missed")
    finally:
        await service.client.drop_database("bench_records")
        await service.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int, default=1_100)  # 2 entries each: 2,200
    parser.add_argument("--noise", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.quick:
        args.orders, args.noise, args.rounds = 1_000, 2_000, 3
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-records-") as tmp:
        db = EmbeddedMongo(Path(tmp) / "db", free_port())
        db.start()
        try:
            return asyncio.run(run(db.uri, args.orders, args.noise, args.rounds))
        finally:
            db.stop()


if __name__ == "__main__":
    sys.exit(main())
