"""民情分析 benchmark: the analysis page of a node holding 50,000 voices against an empty one.

Starts an embedded SecantusDB in a temp directory, seeds one branch with N voices directly
(insert_many; a realistic mix of kinds, categories, states and ratings over 12 months, the
tokens segmented once per text as the service does at write time), rebuilds the counters
(`rollup.rebuild`, the same code as `python -m server check --repair`), serves the real
app in-process and asks each page R times as a signed-in street admin, for the full branch
and for an empty sibling branch. Server time comes from the `Server-Timing` header.

    python bench/voices.py              # 50,000 voices, 15 rounds
    python bench/voices.py --quick      # 2,000 voices, 3 rounds

Target: the analysis page under 300 ms median with 50,000 voices, and a full/empty ratio
near 1 (its cost does not grow with the voices). Exits 0 even when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402

from bench.admin_pages import PASSWORD, measure, session_cookie  # noqa: E402
from models.people import orgs  # noqa: E402
from models.people.users import create_user  # noqa: E402
from models.voices import rollup, words  # noqa: E402
from models.voices.states import CATEGORIES, KINDS, RATINGS  # noqa: E402
from server.app import build_service  # noqa: E402
from server.config import load_config  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402

TARGET_MS = 300.0
TEXTS = [
    "小区垃圾分类点太臭了，夏天蚊子很多，希望增加清运次数",
    "建议在广场增加健身器材和阅读角，方便老人锻炼",
    "物业电梯经常故障，老人上下楼很困难，请督促维修",
    "感谢网格员帮忙修好了路灯，晚上出行安全多了",
    "停车位太少，晚上车辆乱停占用消防通道",
    "楼道堆满杂物，存在火灾隐患，请尽快清理",
    "希望社区食堂增加老年人助餐服务",
    "孩子放学后无人照看，建议开设四点半课堂",
]


async def seed_voices(ctx: Any, branch: dict[str, Any], n: int) -> None:
    rng = random.Random(50_000)
    tokens = {t: words.tokens(t) for t in TEXTS}
    now = ctx.now()
    submitter = ObjectId()
    batch: list[dict[str, Any]] = []
    for i in range(n):
        created = now - timedelta(minutes=rng.randint(0, 360 * 24 * 60))
        text = rng.choice(TEXTS)
        status = rng.choice(["received", "accepted", "replied", "closed", "closed", "closed"])
        doc: dict[str, Any] = {
            "_id": ObjectId(),
            "status": status,
            "version": 3,
            "kind": rng.choice(list(KINDS)),
            "category": rng.choice(CATEGORIES),
            "text": f"{text}（{i}）",
            "photos": [],
            "location": None,
            "anonymous": False,
            "submitter_id": submitter,
            "submitter_name": "群众",
            "org_id": branch["_id"],
            "org_name": branch["name"],
            "org_path": list(branch["path"]),
            "charge_id": branch["_id"],
            "charge_path": list(branch["path"]),
            "via": "qr",
            "handler_id": None,
            "handler_name": None,
            "due_at": None,
            "replies": [],
            "rating": None,
            "rating_comment": None,
            "reopen_count": 0,
            "followup_reopens": 0,
            "escalations": 0,
            "close_count": 0,
            "tokens": tokens[text],
            "month": rollup.month_of(created),
            "first_reply_at": None,
            "first_closed_at": None,
            "closed_at": None,
            "timeline": [],
            "created_at": created,
            "updated_at": created,
        }
        if status in ("replied", "closed"):
            doc["first_reply_at"] = created + timedelta(hours=rng.randint(1, 96))
        if status == "closed":
            doc["first_closed_at"] = doc["closed_at"] = doc["first_reply_at"] + timedelta(days=1)
            doc["close_count"] = 1
            doc["rating"] = rng.choice([*RATINGS, None])
            doc["reopen_count"] = int(rng.random() < 0.05)
        batch.append(doc)
        if len(batch) == 500:
            await ctx.db.voices.insert_many(batch)
            batch = []
            if (i + 1) % 5000 == 0:
                print(f"seeded {i + 1}", file=sys.stderr, flush=True)
    if batch:
        await ctx.db.voices.insert_many(batch)


async def run(uri: str, n: int, rounds: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    config = load_config(environ={}).replace(
        mongo={"database": "bench_" + uuid.uuid4().hex[:8], "timeout_ms": 1_800_000}
    )
    service = await build_service(config, uri)
    ctx = service.ctx
    info: dict[str, float] = {}
    try:
        street = await orgs.create_org(ctx, "幸福街道", "street")
        community = await orgs.create_org(ctx, "阳光社区", "community", street["_id"])
        full = await orgs.create_org(ctx, "阳光社区第一党支部", "branch", community["_id"])
        empty = await orgs.create_org(ctx, "阳光社区第二党支部", "branch", community["_id"])
        await create_user(
            ctx,
            role="admin",
            name="街道管理员",
            org_id=street["_id"],
            username="bench-admin",
            password=PASSWORD,
        )
        t = time.perf_counter()
        await seed_voices(ctx, full, n)
        info["seed_s"] = time.perf_counter() - t
        t = time.perf_counter()
        info["counter_docs"] = await rollup.rebuild(ctx)
        info["rebuild_s"] = time.perf_counter() - t
        month = rollup.month_of(ctx.now())
        port = free_port()
        import tornado.httpserver

        server = tornado.httpserver.HTTPServer(service.app)
        server.listen(port, "127.0.0.1")
        cookie = await session_cookie(ctx, "bench-admin", str(config.auth.cookie_secret))
        pages = []
        for label, node in (("full", full), ("empty", empty)):
            pages += [
                (f"analysis · {label}", f"/admin/voices/analysis?org={node['_id']}&month={month}"),
                (f"board · {label}", f"/admin/voices?org={node['_id']}"),
                (f"board month · {label}", f"/admin/voices?org={node['_id']}&month={month}"),
            ]
        results = await measure(f"http://127.0.0.1:{port}", cookie, pages, rounds)
        server.stop()
        return results, info
    finally:
        await service.client.drop_database(config.mongo.database)
        await service.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--voices", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.quick:
        args.voices, args.rounds = 2000, 3
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-voices-") as tmp:
        db = EmbeddedMongo(Path(tmp) / "db", free_port())
        db.start()
        try:
            results, info = asyncio.run(run(db.uri, args.voices, args.rounds))
        finally:
            db.stop()
    print(
        f"民情分析: {args.voices} voices in one branch vs an empty branch, {args.rounds} rounds; "
        f"seeded in {info['seed_s']:.1f} s, {int(info['counter_docs'])} counter documents "
        f"rebuilt in {info['rebuild_s']:.1f} s"
    )
    print(f"{'page':<22} {'full ms':>9} {'empty ms':>9} {'ratio':>7}  target")
    for page in ("analysis", "board", "board month"):
        full = statistics.median(results[f"{page} · full"])
        empty = statistics.median(results[f"{page} · empty"])
        verdict = "ok" if full <= TARGET_MS else "MISSED"
        print(f"{page:<22} {full:>9.1f} {empty:>9.1f} {full / max(empty, 0.01):>7.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
