"""Admin pages benchmark: server time per page with 20,000 orders and 2,000 members.

Starts an embedded SecantusDB in a temp directory, seeds it directly (insert_many; a
realistic mix: 90 days of orders, most of them closed with their ledger entries, a few
hundred open), rebuilds the dashboard tallies, serves the real app in-process on
127.0.0.1 and asks each admin page N times as a signed-in street admin (and the
dashboard as a branch secretary). The server's own time comes from the `Server-Timing`
header every admin page sends. The same pages are then timed on an empty database (same
organisations and staff, no orders or members) and the ratio is printed.

    python bench/admin_pages.py              # 20,000 orders, 2,000 members, 15 rounds
    python bench/admin_pages.py --quick      # 1,000 orders, 200 members, 3 rounds

Target: every page under 300 ms median. Exits 0 even when a target is missed: a report.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
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

import tornado.httpclient  # noqa: E402
import tornado.httpserver  # noqa: E402
import tornado.web  # noqa: E402
from bson import ObjectId  # noqa: E402

from models.core import clock  # noqa: E402
from models.core.context import Context  # noqa: E402
from models.ops import recount  # noqa: E402
from models.orders import catalogue  # noqa: E402
from models.people import admin_auth, membership, orgs  # noqa: E402
from models.people.users import PARTY_STATUSES, create_user, new_user_doc  # noqa: E402
from models.points import boards  # noqa: E402
from server.app import build_service  # noqa: E402
from server.config import load_config  # noqa: E402
from server.demo import seed_catalogue  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402

PASSWORD = "bench-admin-2026"
TARGET_MS = 300.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


async def seed_tree(ctx: Context) -> dict[str, Any]:
    city = await orgs.create_org(ctx, "同心市", "city")
    district = await orgs.create_org(ctx, "和平区", "district", city["_id"])
    street = await orgs.create_org(ctx, "幸福街道", "street", district["_id"])
    branches = []
    for c in range(4):
        community = await orgs.create_org(ctx, f"第{c + 1}社区", "community", street["_id"])
        for b in range(4):
            branches.append(
                await orgs.create_org(
                    ctx, f"第{c + 1}社区第{b + 1}党支部", "branch", community["_id"]
                )
            )
    await seed_catalogue(ctx)
    admin = await create_user(
        ctx,
        role="admin",
        name="街道管理员",
        org_id=street["_id"],
        username="bench-admin",
        password=PASSWORD,
    )
    await create_user(
        ctx,
        role="admin",
        name="街道副书记",
        org_id=street["_id"],
        username="bench-admin2",
        password=PASSWORD,
    )
    sec = await create_user(
        ctx,
        role="secretary",
        name="一支部书记",
        org_id=branches[0]["_id"],
        username="bench-sec",
        password=PASSWORD,
    )
    return {"street": street, "branches": branches, "admin": admin, "sec": sec}


# a name searched for in the scale bench: as many matches at every size, over a page (50)
SEARCHED, SEARCHED_COUNT = "欧阳", 60
WAITING_QUEUE = 40  # submitted orders at least, more than a dispatch board page (30)


async def seed_bulk(ctx: Context, tree: dict[str, Any], n_orders: int, n_members: int) -> None:
    rng = random.Random(2026)
    now = ctx.now()
    db = ctx.db
    cats = list((await catalogue.active_categories(ctx)).values())
    branches = tree["branches"]
    members = []
    for i in range(n_members):
        br = branches[i % len(branches)]
        cat = cats[rng.randrange(len(cats))]
        surname = rng.choice(SURNAMES)
        members.append(
            new_user_doc(
                ctx,
                role="member",
                name=(SEARCHED if i < SEARCHED_COUNT else surname)
                + rng.choice(GIVEN)
                + rng.choice(GIVEN),
                phone=f"139{i:08d}",
                org_id=br["_id"],
                org_path=list(br["path"]),
                party_status=rng.choice(PARTY_STATUSES),
                skills=cat["skills"][:2],
                home_location={
                    "type": "Point",
                    "coordinates": [
                        116.4 + rng.uniform(-0.05, 0.05),
                        39.9 + rng.uniform(-0.05, 0.05),
                    ],
                },
                joined_at=now - timedelta(days=rng.randrange(400)),
            )
        )
    residents = [
        new_user_doc(
            ctx, role="resident", name=f"居民{i}", openid=f"bench-r-{i}", phone=f"137{i:08d}"
        )
        for i in range(max(50, n_members // 2))
    ]
    by_branch: dict[ObjectId, list[dict[str, Any]]] = {}
    for m in members:
        by_branch.setdefault(m["org_id"], []).append(m)

    orders, entries = [], []
    balances: dict[ObjectId, list[float]] = {}
    for i in range(n_orders):
        br = branches[rng.randrange(len(branches))]
        cat = cats[rng.randrange(len(cats))]
        res = residents[rng.randrange(len(residents))]
        created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        age_h = (now - created).total_seconds() / 3600
        roll = rng.random()
        if i < WAITING_QUEUE:
            # the dispatch board shows full pages at every size: its answer stays the same
            created = now - timedelta(minutes=rng.randrange(48 * 60))
            status = "submitted"
        elif age_h > 72:
            status = "closed" if roll < 0.9 else "cancelled" if roll < 0.96 else "rejected"
        else:
            status = rng.choice(
                [
                    "submitted",
                    "dispatched",
                    "accepted",
                    "in_service",
                    "completed",
                    "closed",
                    "closed",
                ]
            )
        pool = by_branch.get(br["_id"]) or members
        member = pool[rng.randrange(len(pool))]
        o: dict[str, Any] = {
            "_id": ObjectId(),
            "status": status,
            "version": 3,
            "resident_id": res["_id"],
            "category_id": cat["_id"],
            "category_name": cat["name"],
            "skills": cat["skills"],
            "points": cat["base_points"],
            "hours": cat["service_hours"],
            "sla_hours": cat["sla_hours"],
            "org_id": br["_id"],
            "org_name": br["name"],
            "org_path": br["path"],
            "description": f"需要{cat['name']}服务，请尽快联系。",
            "address": f"{br['name'][:3]}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元",
            "location": member["home_location"],
            "contact_name": res["name"],
            "contact_phone": res["phone"],
            "photos": [],
            "candidates": [],
            "eligible": [],
            "declined_by": [],
            "decline_count": 0,
            "created_at": created,
            "updated_at": created,
            "timeline": [
                {
                    "at": created,
                    "action": "submit",
                    "from": None,
                    "to": "submitted",
                    "actor_id": res["_id"],
                    "actor_name": res["name"],
                    "actor_role": "resident",
                    "note": "",
                }
            ],
        }
        t = created
        if status not in ("submitted", "cancelled", "rejected"):
            t = t + timedelta(minutes=rng.randint(5, 600))
            o.update(
                dispatched_at=t,
                due_at=t + timedelta(hours=cat["sla_hours"]),
                candidates=[member["_id"]],
                eligible=[member["_id"]],
            )
            if status != "dispatched":
                t = t + timedelta(minutes=rng.randint(5, 300))
                o.update(
                    accepted_at=t,
                    assignee_id=member["_id"],
                    assignee_name=member["name"],
                    assignee_org_path=member["org_path"],
                )
            if status == "closed":
                t = min(now, t + timedelta(hours=rng.randint(2, 70)))
                o.update(closed_at=t, completed_at=t, rating=rng.choice([3, 4, 5, 5, 5]))
                base = f"order:{o['_id']}:award:{member['_id']}"
                for kind, delta in (
                    ("points", cat["base_points"]),
                    ("hours", round(cat["service_hours"] * 10)),  # whole tenths
                ):
                    entries.append(
                        {
                            "_id": ObjectId(),
                            "member_id": member["_id"],
                            "kind": kind,
                            "delta": delta,
                            "unit": "point" if kind == "points" else "tenth_hour",
                            "reason": f"完成服务工单「{cat['name']}」",
                            "source": {"type": "order", "id": o["_id"]},
                            "rule": "",
                            "actor_id": res["_id"],
                            "idempotency_key": f"{base}:{kind}",
                            "org_path": member["org_path"],
                            "created_at": t,
                        }
                    )
                    bal = balances.setdefault(member["_id"], [0, 0])
                    bal[0 if kind == "points" else 1] += delta
                member["rating_sum"] += o["rating"]
                member["rating_count"] += 1
        orders.append(o)
    for m in members:
        p, h = balances.get(m["_id"], [0, 0])
        m["points_balance"], m["hours_tenths"] = p, h
    # the leaderboard buckets ledger.append keeps beside its entries (models/points/boards.py)
    boards_docs = boards.bucket_docs(entries)
    for coll, docs in (
        ("users", members + residents),
        ("orders", orders),
        ("ledger_entries", entries),
        ("leaderboard_buckets", boards_docs),
    ):
        for k in range(0, len(docs), 500):
            await db[coll].insert_many(docs[k : k + 500])
    regs = [
        {
            "_id": ObjectId(),
            "user_id": residents[i]["_id"],
            "org_id": branches[i % 16]["_id"],
            "org_name": branches[i % 16]["name"],
            "org_path": branches[i % 16]["path"],
            "name": residents[i]["name"],
            "party_status": "积极分子",
            "skills": ["助老"],
            "phone": residents[i]["phone"],
            "home_location": None,
            "status": "pending",
            "reason": None,
            "created_at": now - timedelta(hours=i),
            "decided_at": None,
            "decided_by": None,
        }
        for i in range(min(40, len(residents)))
    ]
    await db.member_registrations.insert_many(regs)
    audit = [
        {
            "_id": ObjectId(),
            "at": now - timedelta(minutes=i * 7),
            "actor_id": tree["sec"]["_id"],
            "actor_name": "一支部书记",
            "actor_role": "secretary",
            "username": "bench-sec",
            "action": "order.dispatch",
            "org_path": branches[i % 16]["path"],
            "target": {"type": "order", "id": None, "label": "家电维修"},
            "reason": "",
            "before": {"status": "submitted"},
            "after": {"status": "dispatched"},
            "ip": None,
        }
        for i in range(3000)
    ]
    for k in range(0, len(audit), 500):  # one insert of 3,000 outlived the driver on a busy box
        await db.audit_log.insert_many(audit[k : k + 500])
    # members were inserted straight into `users`: their nodes' counters (共 N 名) recounted
    await membership.repair_counts(ctx, await membership.count_drift(ctx))


async def measure(
    base: str, cookie: str, pages: list[tuple[str, str]], rounds: int
) -> dict[str, list[float]]:
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True)
    out: dict[str, list[float]] = {}
    try:
        for name, path in pages:
            times = []
            for _ in range(rounds):
                resp = await client.fetch(
                    base + path,
                    headers={"Cookie": cookie},
                    follow_redirects=False,
                    raise_error=False,
                )
                if resp.code != 200:
                    raise RuntimeError(f"{path}: HTTP {resp.code} {resp.body[:200]!r}")
                timing = resp.headers.get("Server-Timing", "")
                found = re.search(r"dur=([\d.]+)", timing)
                times.append(float(found.group(1)) if found else float("nan"))
            out[name] = times
    finally:
        client.close()
    return out


async def session_cookie(ctx: Context, username: str, secret: str) -> str:
    token, _ = await admin_auth.sign_in(ctx, username, PASSWORD)
    signed = tornado.web.create_signed_value(secret, "tx_admin", token).decode()
    return f"tx_admin={signed}"


async def run_one(
    uri: str, n_orders: int, n_members: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    # a long operation timeout for the bulk seed and the final drop; pages are not affected
    config = load_config(environ={}).replace(
        mongo={"database": "bench_" + uuid.uuid4().hex[:8], "timeout_ms": 120_000}
    )
    # a bulk seed keeps the database's one core busy: a 1 s heartbeat would mark it down
    slow = {"connectTimeoutMS": 60_000, "heartbeatFrequencyMS": 60_000}
    service = await build_service(config, uri, **slow)
    ctx = service.ctx
    info: dict[str, float] = {}
    try:
        tree = await seed_tree(ctx)
        t = time.perf_counter()
        if n_orders:
            await seed_bulk(ctx, tree, n_orders, n_members)
        info["seed_s"] = time.perf_counter() - t
        t = time.perf_counter()
        info["rollup_orders"] = await recount.rebuild(ctx)
        info["rollup_s"] = time.perf_counter() - t
        port = free_port()
        server = tornado.httpserver.HTTPServer(service.app)
        server.listen(port, "127.0.0.1")
        base = f"http://127.0.0.1:{port}"
        secret = str(config.auth.cookie_secret)
        admin = await session_cookie(ctx, "bench-admin", secret)
        sec = await session_cookie(ctx, "bench-sec", secret)
        some_order = await ctx.db.orders.find_one({"status": "submitted"}, {"_id": 1})
        some_member = await ctx.db.users.find_one({"role": "member"}, {"_id": 1})
        pages = [
            ("dashboard (street)", "/admin/"),
            (
                "dashboard 90 days",
                "/admin/?from="
                + ((ctx.now() - timedelta(days=89)).astimezone(clock.BEIJING).date().isoformat()),
            ),
            ("dispatch board", "/admin/dispatch"),
            ("registrations", "/admin/registrations"),
            ("members", "/admin/members"),
            (
                "members search",
                "/admin/members?q=%E7%8E%8B&party_status=%E6%AD%A3%E5%BC%8F%E5%85%9A%E5%91%98",
            ),
            ("points queue", "/admin/points"),
            ("audit log", "/admin/audit"),
            ("catalogue", "/admin/catalogue"),
        ]
        if some_order:
            pages += [
                ("order detail", f"/admin/orders/{some_order['_id']}"),
                ("recommend (JSON)", f"/admin/orders/{some_order['_id']}/recommend"),
            ]
        if some_member:
            pages.append(("member page", f"/admin/members/{some_member['_id']}"))
        results = await measure(base, admin, pages, rounds)
        results.update(
            {
                f"{k} · secretary": v
                for k, v in (
                    await measure(
                        base, sec, [("dashboard", "/admin/"), ("members", "/admin/members")], rounds
                    )
                ).items()
            }
        )
        server.stop()
        return results, info
    finally:
        await service.client.drop_database(config.mongo.database)
        await service.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.quick:
        args.orders, args.members, args.rounds = 1000, 200, 3
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-admin-") as tmp:
        db = EmbeddedMongo(Path(tmp) / "db", free_port())
        db.start()
        try:
            full, info = asyncio.run(run_one(db.uri, args.orders, args.members, args.rounds))
            empty, _ = asyncio.run(run_one(db.uri, 0, 0, args.rounds))
        finally:
            db.stop()
    print(
        f"admin pages: {args.orders} orders, {args.members} members, {args.rounds} rounds; "
        f"server time from Server-Timing (ms)"
    )
    print(
        f"seed {info['seed_s']:.1f} s; dashboard tallies of {int(info['rollup_orders'])} orders "
        f"built in {info['rollup_s']:.1f} s (once, as after a bulk import)"
    )
    print(f"{'page':34} {'median':>8} {'p90':>8} {'empty':>8} {'ratio':>7}  target")
    missed = 0
    for name, times in full.items():
        med = statistics.median(times)
        p90 = sorted(times)[max(0, int(len(times) * 0.9) - 1)]
        base = statistics.median(empty[name]) if name in empty else float("nan")
        ok = med < TARGET_MS
        missed += not ok
        ratio = med / base if base == base and base > 0 else float("nan")
        print(
            f"{name:34} {med:8.1f} {p90:8.1f} {base:8.1f} {ratio:7.1f}  {'ok' if ok else 'MISSED'}"
        )
    print(f"{'all pages under 300 ms median' if not missed else f'{missed} page(s) missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
