"""Order timeline layouts on the embedded database: DB CPU per transition as a timeline grows.

Three layouts of the same transition (a guarded `{_id}` update of an order carrying the
production order indexes), each measured at 1, 10, 50 and 200 earlier events:
- embedded: the event is pushed onto the order's `timeline` (today's layout: the whole
  document, events included, is rewritten by every transition);
- separate: the order update carries no events; the event is inserted into an
  `order_events` collection (index `(order_id, at)`) in the same transaction;
- capped: the last 20 events stay on the order (`$slice`), the one pushed out is inserted
  into an archive collection in the same transaction;
- implemented: the layout the service uses (models/orders/transition.py + timeline.py): the
  production `guarded_update` (status/version check, the events moved out checked
  unchanged and `$slice`d off) and the moved events inserted into `order_events` (unique
  `(order_id, seq)`), in a transaction only when events move out: at most 20 stay on the
  order, and when one more would pass that, the oldest move out until 10 stay, so one
  transition in ~10 pays for the transaction. Seeded at each size as the service leaves
  it, at every point of that cycle.

    python bench/timeline.py [--n 200]

Prints DB CPU ms per transition (median) per layout and size, and each size's ratio to
the 1-event figure of the same layout.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402
from pymongo import AsyncMongoClient  # noqa: E402

from bench.scale import process_cpu_ns  # noqa: E402
from models.ops.indexes import INDEXES  # noqa: E402
from models.orders import timeline  # noqa: E402
from models.orders.transition import guarded_update  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402

SIZES = (1, 10, 50, 200)
CAP = 20


def event(i: int) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC),
        "action": "note",
        "from": "accepted",
        "to": "accepted",
        "actor_id": ObjectId(),
        "actor_name": "队员",
        "actor_role": "member",
        "note": f"第 {i} 条记录：已电话联系居民，约定上门时间",
    }


def order_doc(events: int, embedded: bool) -> dict[str, Any]:
    now = datetime.now(UTC)
    path = [ObjectId() for _ in range(5)]
    return {
        "_id": ObjectId(),
        "status": "accepted",
        "version": events,
        "resident_id": ObjectId(),
        "assignee_id": ObjectId(),
        "org_id": path[-1],
        "org_path": path,
        "category_name": "家电维修",
        "description": "家里空调不制冷，需要上门看看" * 3,
        "address": "阳光社区 3 号楼 2 单元 501",
        "eligible": [],
        "created_at": now,
        "updated_at": now,
        "timeline": [event(i) for i in range(events)] if embedded else [],
    }


async def measure(db: Any, client: Any, pid: int, layout: str, size: int, n: int) -> float:
    orders = db[f"o_{layout}_{size}"]
    await orders.create_indexes(INDEXES["orders"])
    events = db[f"e_{layout}_{size}"]
    await events.create_index([("order_id", 1), ("at", 1)])
    docs = [order_doc(size, layout != "separate") for _ in range(n)]
    if layout == "capped":
        for d in docs:
            d["timeline"] = d["timeline"][-CAP:]
    await orders.insert_many(docs)
    if layout == "separate":
        await events.insert_many(
            [{"order_id": d["_id"], **event(i)} for d in docs for i in range(size)]
        )
    costs = []
    for d in docs:
        ev = event(size)
        version = d["version"]
        guard = {"$eq": ["$version", version]}

        async def work(
            session: Any, d: Any = d, ev: Any = ev, guard: Any = guard, version: int = version
        ) -> None:
            sets: dict[str, Any] = {
                "status": {"$cond": [guard, "in_service", "$status"]},
                "updated_at": {"$cond": [guard, ev["at"], "$updated_at"]},
                "version": {"$cond": [guard, version + 1, "$version"]},
            }
            grown: Any
            if layout == "embedded":
                grown = {"$concatArrays": ["$timeline", [{"$literal": ev}]]}
                sets["timeline"] = {"$cond": [guard, grown, "$timeline"]}
            if layout == "capped":
                grown = {"$slice": [{"$concatArrays": ["$timeline", [{"$literal": ev}]]}, -CAP]}
                sets["timeline"] = {"$cond": [guard, grown, "$timeline"]}
            result = await orders.update_one({"_id": d["_id"]}, [{"$set": sets}], session=session)
            assert result.modified_count == 1
            if layout == "separate":
                await events.insert_one({"order_id": d["_id"], **ev}, session=session)
            if layout == "capped" and len(d["timeline"]) >= CAP:
                await events.insert_one({"order_id": d["_id"], **d["timeline"][0]}, session=session)

        before = process_cpu_ns(pid)
        async with client.start_session() as session:
            await session.with_transaction(work)
        costs.append((process_cpu_ns(pid) - before) / 1e6)
    return statistics.median(costs)


async def measure_implemented(db: Any, client: Any, pid: int, size: int, n: int) -> float:
    orders = db[f"o_implemented_{size}"]
    await orders.create_indexes(INDEXES["orders"])
    events = db[f"e_implemented_{size}"]
    await events.create_indexes(INDEXES["order_events"])
    docs = [order_doc(size, True) for _ in range(n)]
    archived = []
    for k, d in enumerate(docs):  # past the cap: 10 … 20 embedded, as transitions leave it
        embedded = size if size <= CAP else (CAP + 1) // 2 + k % ((CAP + 1) // 2 + 1)
        d["timeline_archived"] = size - embedded
        archived += [
            {"_id": ObjectId(), **e, "order_id": d["_id"], "seq": i}
            for i, e in enumerate(d["timeline"][: d["timeline_archived"]])
        ]
        d["timeline"] = d["timeline"][d["timeline_archived"] :]
    await orders.insert_many(docs)
    if archived:
        await events.insert_many(archived)
    costs = []
    for d in docs:
        d = await orders.find_one({"_id": d["_id"]})  # as read by the transition
        ev = event(size)
        moved = timeline.falling_off(d, CAP)
        fields = {"status": "in_service", "updated_at": ev["at"]}
        update = guarded_update("accepted", d["version"], fields, ev, {}, moved=moved)

        async def work(session: Any, d: Any = d, update: Any = update, moved: Any = moved) -> None:
            result = await orders.update_one({"_id": d["_id"]}, update, session=session)
            assert result.modified_count == 1
            if moved:
                first = d.get("timeline_archived", 0)
                await events.insert_many(
                    [
                        {"_id": ObjectId(), **e, "order_id": d["_id"], "seq": first + i}
                        for i, e in enumerate(moved)
                    ],
                    session=session,
                )

        before = process_cpu_ns(pid)
        if moved:
            async with client.start_session() as session:
                await session.with_transaction(work)
        else:
            await work(None)
        costs.append((process_cpu_ns(pid) - before) / 1e6)
    return statistics.median(costs)


async def run(uri: str, pid: int, n: int) -> dict[tuple[str, int], float]:
    client: Any = AsyncMongoClient(uri, retryWrites=False, tz_aware=True)
    db = client["timeline_bench"]
    out = {}
    try:
        for layout in ("embedded", "separate", "capped"):
            for size in SIZES:
                out[(layout, size)] = await measure(db, client, pid, layout, size, n)
        for size in SIZES:
            out[("implemented", size)] = await measure_implemented(db, client, pid, size, n)
    finally:
        await client.drop_database("timeline_bench")
        await client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="transitions per layout and size")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-timeline-") as tmp:
        db = EmbeddedMongo(Path(tmp) / "db", free_port())
        db.start()
        try:
            assert db.process is not None
            figures = asyncio.run(run(db.uri, db.process.pid, args.n))
        finally:
            db.stop()
    print(
        f"timeline layouts: DB CPU ms per transition (median of {args.n}), in a transaction"
        " (implemented: only when an event moves out)"
    )
    print(f"{'layout':11} " + " ".join(f"{f'{s} ev':>8}" for s in SIZES) + "   200/1")
    for layout in ("embedded", "separate", "capped", "implemented"):
        cells = [figures[(layout, s)] for s in SIZES]
        ratio = cells[-1] / cells[0] if cells[0] else float("nan")
        print(f"{layout:11} " + " ".join(f"{c:8.2f}" for c in cells) + f"   {ratio:5.2f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
