"""Scale benchmark: does any request or job cost more when the collections grow?

Seeds the same world at two sizes, each on an embedded SecantusDB of its own (bulk
inserts straight into the collections, bench/admin_pages.py's realistic mix): 1× = 20,000
orders and 2,000 members, 10× = 200,000 orders, 20,000 members (~300,000 ledger entries).
The real app is served in-process on its own thread per size; round by round, in turn at
each size, each API endpoint, admin page and job is called one at a time (REPEATS times a
round), and for each call the bench records
- API CPU: CPU time of the server thread (/proc/self/task/<tid>/schedstat),
- DB CPU: CPU time of the embedded database process, all its threads (/proc/<pid>/task),
then prints the median per call at 1× and 10× and the 10×/1× ratio. Target: ≤ 1.5× for
every row (the house rule: no request or job may cost more as a collection grows).

    python bench/scale.py            # 20k / 200k orders (a long run: the 10× seed dominates)
    python bench/scale.py --quick    # 150 / 1,500 orders, 1 round: the smoke test runs this
    python bench/scale.py --orders 2000 --members 200 --rounds 3 --only "admin members"

Exits 0 even when a target is missed: it is a report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tornado.httpclient  # noqa: E402
import tornado.httpserver  # noqa: E402
import tornado.web  # noqa: E402
from bson import ObjectId  # noqa: E402

from bench.admin_pages import PASSWORD, SEARCHED, seed_bulk, seed_tree  # noqa: E402
from jobs.tasks import JOBS  # noqa: E402
from models.core import clock  # noqa: E402
from models.ops import recount  # noqa: E402
from models.people import admin_auth, auth  # noqa: E402
from server.app import Service, build_service  # noqa: E402
from server.config import load_config  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402
from tests.fakes.wechat import FakeWeChat  # noqa: E402

T = TypeVar("T")
RATIO_TARGET = 1.5
# every row is measured this many times a round (writes on fresh orders, each job after
# its pass of the loop), so one call that met the database's checkpoint or eviction (CPU of
# its own threads, counted in the call) does not decide the median
REPEATS = 3
API = "/api/v1"


def thread_cpu_ns(tid: int) -> int:
    with open(f"/proc/self/task/{tid}/schedstat") as fh:
        return int(fh.read().split()[0])


def process_cpu_ns(pid: int) -> int:
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total


def idle_db_ms_per_s(pid: int, seconds: float = 3.0) -> float:
    """The database's CPU while the app sends nothing (checkpoints, eviction, the app's
    change-stream polls): ms per second."""
    before = process_cpu_ns(pid)
    time.sleep(seconds)
    return (process_cpu_ns(pid) - before) / 1e6 / seconds


class Server:
    """The app on its own event-loop thread, so its CPU time is that thread's alone."""

    def __init__(self, config: Any, uri: str):
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.tid = 0

        def run() -> None:
            self.tid = threading.get_native_id()
            asyncio.set_event_loop(self.loop)
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait()
        # the bulk seed keeps the database's one core busy for seconds at a time: a 1 s
        # heartbeat would mark it down and cancel the inserts in flight
        slow = {"connectTimeoutMS": 60_000, "heartbeatFrequencyMS": 60_000}
        self.service: Service = self.run(build_service(config, uri, **slow))
        self.port = free_port()

        async def listen() -> tornado.httpserver.HTTPServer:
            server = tornado.httpserver.HTTPServer(self.service.app)
            server.listen(self.port, "127.0.0.1")
            return server

        self.http = self.run(listen())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 1800) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def close() -> None:
            self.http.stop()
            await self.service.close()

        self.run(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Meter:
    def __init__(self, server: Server, db_pid: int, only: list[str] | None = None):
        self.server = server
        self.db_pid = db_pid
        self.only = only or []
        self.rows: dict[str, tuple[list[float], list[float]]] = {}

    def wanted(self, name: str) -> bool:
        """`--only` keeps the rows whose name contains one of its words."""
        return not self.only or any(word in name for word in self.only)

    def measure(self, name: str, call: Callable[[], Any]) -> Any:
        if not self.wanted(name):
            return call()  # the loop's steps still run: later rows need their orders
        api0, db0 = thread_cpu_ns(self.server.tid), process_cpu_ns(self.db_pid)
        result = call()
        api1, db1 = thread_cpu_ns(self.server.tid), process_cpu_ns(self.db_pid)
        api, db = self.rows.setdefault(name, ([], []))
        api.append((api1 - api0) / 1e6)
        db.append((db1 - db0) / 1e6)
        return result


class Client:
    def __init__(self, base: str):
        self.base = base
        self.http = tornado.httpclient.HTTPClient()

    def call(self, method: str, path: str, token: str = "", body: Any = None, **kw: Any) -> Any:
        import json

        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body, ensure_ascii=False)
        if method == "POST" and data is None:
            data = ""
        resp = self.http.fetch(
            self.base + path,
            method=method,
            body=data,
            headers=headers,
            raise_error=False,
            follow_redirects=False,
            request_timeout=600,
        )
        if resp.code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {resp.code} {resp.body[:300]!r}")
        ctype = resp.headers.get("Content-Type", "")
        return json.loads(resp.body) if "json" in ctype and resp.body else None


# each member's and each resident's mean in the seed: orders (taken / placed), of which closed
TYPICAL_MEMBER = (10, 8)
TYPICAL_RESIDENT = (20, 17)


async def typical(
    ctx: Any, match: dict[str, Any], who: str, mean: tuple[int, int]
) -> dict[str, Any] | None:
    """The person (`who`: assignee_id or resident_id) whose orders under `match` are closest
    to the seed's mean, so the calls that answer with one person's history (assigned, mine,
    ledger, export, the member page) return as much at 10× as at 1×: the first one found
    had twice the history at one size."""
    cursor = await ctx.db.orders.aggregate(
        [
            {"$match": {**match, who: {"$exists": True}}},
            {
                "$group": {
                    "_id": f"${who}",
                    "n": {"$sum": 1},
                    "closed": {"$sum": {"$cond": [{"$eq": ["$status", "closed"]}, 1, 0]}},
                }
            },
        ]
    )
    counts = await cursor.to_list(None)
    if not counts:
        return None
    n, closed = mean
    best = min(counts, key=lambda c: (abs(c["n"] - n) + abs(c["closed"] - closed), str(c["_id"])))
    return await ctx.db.users.find_one({"_id": best["_id"]}, {"_id": 1, "openid": 1})


async def prepare(service: Service, n_orders: int, n_members: int) -> dict[str, Any]:
    ctx = service.ctx
    tree = await seed_tree(ctx)
    t = time.perf_counter()
    if n_orders:
        await seed_bulk(ctx, tree, n_orders, n_members)
    seed_s = time.perf_counter() - t
    await recount.rebuild(ctx)
    member = await typical(
        ctx, {"org_id": tree["branches"][0]["_id"]}, "assignee_id", TYPICAL_MEMBER
    )
    if member is None:  # the empty world: one member of the first branch
        from models.people.users import create_user

        member = await create_user(
            ctx, role="member", name="队员", org_id=tree["branches"][0]["_id"], skills=["助老"]
        )
    resident = await typical(ctx, {}, "resident_id", TYPICAL_RESIDENT)
    if resident is None:
        from models.people.users import create_user

        resident = await create_user(ctx, role="resident", name="居民", openid="bench-r-0")
    await ctx.db.users.update_one(
        {"_id": member["_id"]}, {"$set": {"openid": "bench-member", "open_orders": 0}}
    )
    await ctx.db.users.update_one({"_id": resident["_id"]}, {"$set": {"openid": "bench-resident"}})
    secret = str(ctx.config.auth.cookie_secret)
    cookies = {}
    for username in ("bench-admin", "bench-sec"):
        token, _ = await admin_auth.sign_in(ctx, username, PASSWORD)
        signed = tornado.web.create_signed_value(secret, "tx_admin", token).decode()
        cookies[username] = f"tx_admin={signed}"
    tokens = {
        "admin": (await auth.issue_token(ctx, tree["admin"]["_id"]))[0],
        "sec": (await auth.issue_token(ctx, tree["sec"]["_id"]))[0],
        "member": (await auth.issue_token(ctx, member["_id"]))[0],
        "resident": (await auth.issue_token(ctx, resident["_id"]))[0],
    }
    some = await ctx.db.orders.find_one({"org_path": tree["branches"][0]["_id"]}, {"_id": 1})
    return {
        "tree": tree,
        "seed_s": seed_s,
        "member": member,
        "resident": resident,
        "cookies": cookies,
        "tokens": tokens,
        "order": some["_id"] if some else None,
    }


def drive(meter: Meter, client: Client, world: dict[str, Any], rounds: int, ctx: Any) -> None:
    branch = world["tree"]["branches"][0]["_id"]
    cats = meter.server.run(ctx.db.service_categories.find({}, {"_id": 1}).to_list(1))
    body = {
        "category_id": str(cats[0]["_id"]),
        "org_id": str(branch),
        "description": "家里空调不制冷，需要上门看看",
        "address": "阳光社区 3 号楼 2 单元 501",
        "contact_phone": "13812345678",
    }
    member_id = str(world["member"]["_id"])
    for _ in range(rounds):
        one_round(meter, client, world, ctx, body, member_id)


def floor_rows(meter: Meter, ctx: Any, probe: Any) -> None:
    """What the database itself costs at each size, with no app code: a read and an update
    of one order by `_id`, and an order-shaped insert + delete with the orders' indexes.
    A row near these ratios grows only as much as the database's own operations do."""
    if probe is None:
        return

    async def by_id() -> None:
        await ctx.db.orders.find_one({"_id": probe})
        await ctx.db.orders.update_one({"_id": probe}, {"$set": {"floor_probe": 1}})

    async def insert_delete() -> None:
        doc = await ctx.db.orders.find_one({"_id": probe})
        doc["_id"] = ObjectId()
        doc.pop("idempotency_key", None)
        await ctx.db.orders.insert_one(doc)
        await ctx.db.orders.delete_one({"_id": doc["_id"]})

    for _ in range(REPEATS):
        meter.measure("DB floor: read + update {_id}", lambda: meter.server.run(by_id()))
        meter.measure("DB floor: order insert + delete", lambda: meter.server.run(insert_delete()))


def one_round(
    meter: Meter, client: Client, world: dict[str, Any], ctx: Any, body: Any, member_id: str
) -> None:
    """Every endpoint, admin page and job, REPEATS times: the loop on fresh orders and the
    jobs after it, then the reads (the database floor first)."""
    floor_rows(meter, ctx, world["order"])
    for _ in range(REPEATS):
        oid = drive_loop(meter, client, world, body, member_id)
        run_jobs(meter, ctx)
    read_all(meter, client, world, ctx, oid, member_id)


def drive_loop(
    meter: Meter, client: Client, world: dict[str, Any], body: Any, member_id: str
) -> str:
    """One fresh order through the whole loop and one each for reject, cancel and decline:
    the write endpoints, measured. Returns the closed order's id."""
    tok = world["tokens"]
    m = meter.measure
    m(
        "POST login",
        lambda: client.call("POST", f"{API}/auth/wechat-login", body={"code": "ok:bench-member"}),
    )
    order = m("POST place", lambda: client.call("POST", f"{API}/orders", tok["resident"], body))
    oid = order["id"]
    m(
        "GET recommendations",
        lambda: client.call("GET", f"{API}/orders/{oid}/recommendations", tok["sec"]),
    )
    m(
        "POST dispatch",
        lambda: client.call(
            "POST", f"{API}/orders/{oid}/dispatch", tok["sec"], {"volunteer_ids": [member_id]}
        ),
    )
    m(
        "POST accept",
        lambda: client.call("POST", f"{API}/orders/{oid}/accept", tok["member"], {}),
    )
    m("POST start", lambda: client.call("POST", f"{API}/orders/{oid}/start", tok["member"], {}))
    m(
        "POST complete",
        lambda: client.call(
            "POST", f"{API}/orders/{oid}/complete", tok["member"], {"note": "好了"}
        ),
    )
    m(
        "POST confirm",
        lambda: client.call("POST", f"{API}/orders/{oid}/confirm", tok["resident"], {"rating": 5}),
    )
    other = client.call("POST", f"{API}/orders", tok["resident"], body)["id"]
    m(
        "POST reject",
        lambda: client.call("POST", f"{API}/orders/{other}/reject", tok["sec"], {"reason": "重复"}),
    )
    other = client.call("POST", f"{API}/orders", tok["resident"], body)["id"]
    client.call("POST", f"{API}/orders/{other}/dispatch", tok["sec"], {"to_hall": True})
    m("GET task-hall", lambda: client.call("GET", f"{API}/task-hall", tok["member"]))
    m(
        "POST cancel",
        lambda: client.call(
            "POST", f"{API}/orders/{other}/cancel", tok["resident"], {"reason": "不要了"}
        ),
    )
    other = client.call("POST", f"{API}/orders", tok["resident"], body)["id"]
    client.call(
        "POST", f"{API}/orders/{other}/dispatch", tok["sec"], {"volunteer_ids": [member_id]}
    )
    m(
        "POST decline",
        lambda: client.call(
            "POST", f"{API}/orders/{other}/decline", tok["member"], {"reason": "有事"}
        ),
    )
    return oid


def read_all(
    meter: Meter, client: Client, world: dict[str, Any], ctx: Any, oid: str, member_id: str
) -> None:
    """Every read endpoint and admin page, REPEATS times each: a read changes nothing."""
    tok = world["tokens"]
    street = world["tree"]["street"]["_id"]
    m = meter.measure
    gets = [
        ("GET orders (org)", "/orders", "admin"),
        ("GET orders (org, status)", "/orders?status=closed", "admin"),
        ("GET orders (secretary)", "/orders", "sec"),
        ("GET orders (mine)", "/orders?scope=mine", "resident"),
        ("GET orders (assigned)", "/orders?scope=assigned", "member"),
        ("GET order", f"/orders/{oid}", "resident"),
        ("GET me", "/me", "member"),
        ("GET me/points", "/me/points", "member"),
        ("GET me/ledger", "/me/ledger", "member"),
        ("GET me/export", "/me/export", "member"),
        ("GET leaderboard (month)", f"/leaderboard?org_id={street}&period=month", "member"),
        ("GET leaderboard (all)", f"/leaderboard?org_id={street}&period=all", "member"),
        ("GET notifications", "/notifications", "member"),
        ("GET unread-count", "/notifications/unread-count", "member"),
        ("GET member-registrations", "/member-registrations", "admin"),
        ("GET orgs", "/orgs", "member"),
        ("GET service-categories", "/service-categories", "member"),
        ("GET job-runs", "/job-runs", "admin"),
    ]
    for name, path, who in gets:
        if not meter.wanted(name):
            continue
        for _ in range(REPEATS):
            m(name, lambda path=path, who=who: client.call("GET", API + path, tok[who]))
    first = (ctx.now() - timedelta(days=89)).astimezone(clock.BEIJING).date().isoformat()
    pages = [
        ("admin dashboard", "/admin/"),
        ("admin dashboard 90 days", f"/admin/?from={first}"),
        ("admin dispatch board", "/admin/dispatch"),
        ("admin registrations", "/admin/registrations"),
        ("admin members", "/admin/members"),
        ("admin member search", f"/admin/members?q={quote(SEARCHED)}"),
        ("admin points", "/admin/points"),
        ("admin audit", "/admin/audit"),
        ("admin catalogue", "/admin/catalogue"),
        ("admin order", f"/admin/orders/{oid}"),
        ("admin member", f"/admin/members/{member_id}"),
    ]
    for name, path in pages:
        if not meter.wanted(name):
            continue
        cookie = world["cookies"]["bench-admin"]
        for _ in range(REPEATS):
            m(
                name,
                lambda path=path, cookie=cookie: client.call(
                    "GET", path, headers={"Cookie": cookie}
                ),
            )


def run_jobs(meter: Meter, ctx: Any) -> None:
    """Every job once, after a pass of the loop (what it has to do is that pass's work)."""
    m = meter.measure
    for job in JOBS:
        if job.name == "wechat_token" or not meter.wanted(f"job {job.name}"):
            continue
        m(
            f"job {job.name}",
            lambda job=job: meter.server.run(job.fn(ctx, meter.server.service.wechat)),
        )


class Size:
    """One size of the world: its own database process, the app serving it, the meter."""

    def __init__(self, stack: ExitStack, fake: FakeWeChat, orders: int, members: int, only: Any):
        # each size on a database process of its own: dropping 200,000 orders on the
        # embedded database took longer than the whole measurement. The cache holds the
        # 10× world (SecantusDB's default of 1 GB did not: its seed crawled, every write
        # helping to evict), the same at both sizes.
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="tongxin-bench-scale-"))
        db = EmbeddedMongo(Path(tmp) / "db", free_port(), prune_oplog=False, cache_size="6G")
        db.start()
        stack.callback(db.stop)
        assert db.process is not None
        config = load_config(environ={}).replace(
            mongo={"database": "scale_" + uuid.uuid4().hex[:8], "timeout_ms": 600_000},
            wechat={"api_base": fake.base, "appid": "wxbench", "secret": "test-secret"},
            orders={"max_open_per_member": 1_000_000, "place_limit": 0},
        )
        self.server = Server(config, db.uri)
        stack.callback(self.server.stop)
        self.ctx = self.server.service.ctx
        self.world = self.server.run(prepare(self.server.service, orders, members))
        self.meter = Meter(self.server, db.process.pid, only)
        self.client = Client(f"http://127.0.0.1:{self.server.port}")

    def round(self) -> None:
        drive(self.meter, self.client, self.world, 1, self.ctx)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--only", action="append", help="measure only the rows whose name contains this"
    )
    args = parser.parse_args()
    if args.quick:
        args.orders, args.members, args.rounds = 150, 30, 1
    fake = FakeWeChat()
    fake.start()
    with ExitStack() as stack:
        stack.callback(fake.stop)
        small, large = (
            Size(stack, fake, args.orders * k, args.members * k, args.only) for k in (1, 10)
        )
        for size in (small, large):  # warm-up: caches, rollups
            size.round()
            size.meter.rows.clear()
        # the two sizes in turn, round by round: whatever else the machine does meanwhile
        # weighs on both alike
        for _ in range(args.rounds):
            small.round()
            large.round()
        idle = [idle_db_ms_per_s(size.meter.db_pid) for size in (small, large)]
    one, ten = small.meter, large.meter
    seed1, seed10 = small.world["seed_s"], large.world["seed_s"]
    print(
        f"scale: 1× = {args.orders} orders, {args.members} members (seeded in {seed1:.0f} s); "
        f"10× = {args.orders * 10} orders, {args.members * 10} members (seeded in {seed10:.0f} s); "
        f"{args.rounds} rounds, median CPU ms per call"
    )
    print(
        f"DB CPU while no call runs (its own background work, counted in any call it meets): "
        f"1× {idle[0]:.1f} ms/s, 10× {idle[1]:.1f} ms/s"
    )
    head = f"{'API 1×':>8} {'API 10×':>8} {'ratio':>6} {'DB 1×':>8} {'DB 10×':>8} {'ratio':>6}"
    print(f"{'call':30} {head}  target")
    missed = []
    for name, (api1, db1) in one.rows.items():
        api10, db10 = ten.rows.get(name, ([float("nan")], [float("nan")]))
        a1, a10 = statistics.median(api1), statistics.median(api10)
        d1, d10 = statistics.median(db1), statistics.median(db10)
        # below 0.5 ms a ratio is noise: compare against 0.5 ms floors
        ra = max(a10, 0.5) / max(a1, 0.5)
        rd = max(d10, 0.5) / max(d1, 0.5)
        ok = ra <= RATIO_TARGET and rd <= RATIO_TARGET
        if not ok:
            missed.append(name)
        cells = f"{a1:8.2f} {a10:8.2f} {ra:6.2f} {d1:8.2f} {d10:8.2f} {rd:6.2f}"
        print(f"{name:30} {cells}  {'ok' if ok else 'MISSED'}")
    if missed:
        print(f"TARGETS MISSED ({len(missed)}): " + ", ".join(missed))
    else:
        print(f"ALL TARGETS MET (every call ≤ {RATIO_TARGET}× at 10× data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
