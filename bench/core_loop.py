"""Core-loop benchmark: login → place → dispatch → accept → (start) → complete → confirm.

Everything runs on 127.0.0.1 and is started (and stopped) here: an embedded SecantusDB in
a temp directory, the fake WeChat from tests/, the API server as its own process
(`python -m server serve`) and a bare Tornado JSON endpoint as another process
(bench/bare_server.py). Concurrent keep-alive clients drive each endpoint in turn and the
table shows req/s, p50/p99 and the ratio to the bare endpoint measured in the same run.

Database round trips are counted in-process: the same app (`build_service`) is served
here with a pymongo CommandListener registered, and each endpoint is called one request
at a time, counting every command started while the request is in flight (the token
check and a transaction's commitTransaction included).

    python bench/core_loop.py            # full run (~1-2 minutes)
    python bench/core_loop.py --quick    # smoke run (a few seconds)

Exits 0 even when a target is missed: it is a report.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import dataclasses
import importlib.metadata
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # server/, models/ and tests/fakes/ of this checkout

import tornado.httpserver  # noqa: E402
from pymongo import AsyncMongoClient, monitoring  # noqa: E402
from pymongo.errors import PyMongoError  # noqa: E402

from bench import api_profile, db_profile  # noqa: E402
from bench.httpload import Connection, PhaseResult, Request, run_phase  # noqa: E402
from models.orders import catalogue  # noqa: E402
from models.people import orgs  # noqa: E402
from models.people.users import create_user  # noqa: E402
from server.app import Service, build_service  # noqa: E402
from server.config import Config, load_config  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402
from tests.fakes.wechat import FakeWeChat  # noqa: E402

HOST = "127.0.0.1"
API = "/api/v1"
DB_NAME = "bench"
MAX_OPEN = 1_000_000  # the per-member open-order limit is not what we measure here
RATIO_TARGET = 0.25
# per transition, on the embedded database: the physical floor (one read + one {_id} write,
# ~1 ms DB CPU) with the indexes the app needs and no auth round trip, plus 25 %
API_CPU_TARGET_MS = 1.2
DB_CPU_TARGET_MS = 2.5
TRANSITIONS = ("place", "dispatch", "accept", "start", "complete", "confirm")
try:
    SECANTUS = importlib.metadata.version("secantusdb")
except importlib.metadata.PackageNotFoundError:
    SECANTUS = "?"

# endpoint → round-trip budget per request (token check included); None: not budgeted
ENDPOINTS: dict[str, int | None] = {
    "login": None,
    "place": 3,
    "dispatch": 4,
    "accept": 4,
    "start": None,
    "complete": None,
    "confirm": 7,  # + the points bucket of the year (expiry); farming rules off here
}
ROUTES = {
    "login": "POST /auth/wechat-login",
    "place": "POST /orders",
    "dispatch": "POST /orders/{id}/dispatch",
    "accept": "POST /orders/{id}/accept",
    "start": "POST /orders/{id}/start",
    "complete": "POST /orders/{id}/complete",
    "confirm": "POST /orders/{id}/confirm",
}
HERE = {"type": "Point", "coordinates": [116.40, 39.90]}


@dataclass(frozen=True)
class Profile:
    requests: int  # per endpoint
    concurrency: int
    residents: int
    members: int
    secretaries: int
    population: int  # extra residents who take no part: lookups must not scan them all
    rt_samples: int  # counted sequential loops for round trips (after one warm-up loop)
    floor_samples: int  # find_one + update pairs timed for the physical floor
    phase_timeout_s: float  # one endpoint's load is cut off after this
    deadline_s: float  # the whole run is cut off after this


FULL = Profile(
    requests=1000,
    concurrency=32,
    residents=64,
    members=64,
    secretaries=4,
    population=3000,
    rt_samples=5,
    floor_samples=500,
    phase_timeout_s=60,
    deadline_s=170,
)
QUICK = Profile(
    requests=40,
    concurrency=8,
    residents=8,
    members=8,
    secretaries=2,
    population=0,
    rt_samples=2,
    floor_samples=20,
    phase_timeout_s=15,
    deadline_s=35,
)


# ---------------------------------------------------------------- world


@dataclass
class World:
    category_id: str = ""
    org_id: str = ""
    residents: list[str] = field(default_factory=list)  # openids
    members: list[str] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)
    secretaries: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # openid → bearer token

    def everyone(self) -> list[str]:
        return [*self.residents, *self.members, *self.secretaries]

    def order_body(self, n: int) -> dict[str, Any]:
        return {
            "category_id": self.category_id,
            "org_id": self.org_id,
            "description": f"家里空调不制冷，需要上门看看（压测 {n}）",
            "address": "阳光社区 3 号楼 2 单元 501",
            "location": HERE,
            "contact_phone": "13812345678",
        }


def bench_config(wechat_base: str, db_name: str) -> Config:
    return load_config(environ={}).replace(
        mongo={"database": db_name},
        wechat={"api_base": wechat_base, "appid": "wxbench", "secret": "test-secret"},
        orders={"max_open_per_member": MAX_OPEN, "place_limit": 0},
        # the farming rules read the pair's history on every confirm (up to 5 reads); the
        # loop measures the ledger path itself, the rules are measured by bench/rewards.py
        rewards={
            "farming_daily_cap": 0,
            "farming_monthly_cap": 0,
            "farming_pair_orders": 0,
            "farming_shared_contact": False,
            "farming_self_confirm": False,
        },
        log={"level": "WARNING"},
    )


async def seed(service: Service, profile: Profile) -> World:
    """Orgs, a category and people, created through the model services."""
    ctx = service.ctx
    w = World()
    city = await orgs.create_org(ctx, "同心市", "city")
    district = await orgs.create_org(ctx, "和平区", "district", city["_id"])
    street = await orgs.create_org(ctx, "幸福街道", "street", district["_id"])
    community = await orgs.create_org(ctx, "阳光社区", "community", street["_id"])
    branch = await orgs.create_org(ctx, "阳光社区第一党支部", "branch", community["_id"])
    cat = await catalogue.create_category(
        ctx,
        code="appliance",
        name="家电维修",
        skills=["家电维修", "电工"],
        base_points=10,
        service_hours=2.0,
        sla_hours=48,
    )
    w.category_id, w.org_id = str(cat["_id"]), str(branch["_id"])
    for i in range(profile.residents):
        openid = f"bench-resident-{i}"
        phone = f"139{i:08d}"  # one bound phone per resident (unique)
        await create_user(ctx, role="resident", name=f"居民{i}", openid=openid, phone=phone)
        w.residents.append(openid)
    for i in range(profile.members):
        openid = f"bench-member-{i}"
        doc = await create_user(
            ctx,
            role="member",
            name=f"队员{i}",
            openid=openid,
            org_id=branch["_id"],
            skills=["家电维修"],
            party_status="正式党员",
            home_location=HERE,
        )
        w.members.append(openid)
        w.member_ids.append(str(doc["_id"]))
    for i in range(profile.secretaries):
        openid = f"bench-secretary-{i}"
        await create_user(
            ctx, role="secretary", name=f"书记{i}", openid=openid, org_id=branch["_id"]
        )
        w.secretaries.append(openid)

    async def bystanders(start: int) -> None:
        for i in range(start, profile.population, 16):
            await create_user(ctx, role="resident", name=f"居民{i}", openid=f"bench-others-{i}")

    await asyncio.gather(*(bystanders(k) for k in range(16)))
    return w


# ---------------------------------------------------------------- the loop as requests


def login_requests(w: World, n: int) -> list[Request]:
    people = w.everyone()
    reqs = []
    for k in range(n):
        openid = people[k % len(people)]
        reqs.append(
            Request(
                "POST",
                f"{API}/auth/wechat-login",
                {"code": f"ok:{openid}"},
                on_ok=lambda body, o=openid: w.tokens.__setitem__(o, body["token"]),
            )
        )
    return reqs


class Loop:
    """N orders, each driven through the core loop; each step is one list of requests."""

    def __init__(self, w: World, n: int, tag: str):
        self.w = w
        self.n = n
        self.tag = tag
        self.ids: list[str | None] = [None] * n
        self.done: dict[str, set[int]] = collections.defaultdict(set)

    def _ok(self, step: str, k: int) -> Any:
        def record(body: Any) -> None:
            if step == "place":
                self.ids[k] = body["id"]
            self.done[step].add(k)

        return record

    def _resident(self, k: int) -> str:
        return self.w.tokens[self.w.residents[k % len(self.w.residents)]]

    def _member(self, k: int) -> str:
        return self.w.tokens[self.w.members[k % len(self.w.members)]]

    def _secretary(self, k: int) -> str:
        return self.w.tokens[self.w.secretaries[k % len(self.w.secretaries)]]

    def requests(self, step: str) -> list[Request]:
        w, out = self.w, []
        if step == "place":
            for k in range(self.n):
                out.append(
                    Request(
                        "POST",
                        f"{API}/orders",
                        w.order_body(k),
                        token=self._resident(k),
                        headers={"Idempotency-Key": f"{self.tag}-{k}-{uuid.uuid4().hex[:8]}"},
                        expect=(201,),
                        on_ok=self._ok(step, k),
                    )
                )
            return out
        previous = list(ENDPOINTS)[list(ENDPOINTS).index(step) - 1]
        for k in sorted(self.done[previous]):
            path = f"{API}/orders/{self.ids[k]}/{step}"
            if step == "dispatch":
                member = w.member_ids[k % len(w.member_ids)]
                req = Request("POST", path, {"volunteer_ids": [member], "note": "请尽快"})
                req.token = self._secretary(k)
            elif step in ("accept", "start"):
                req = Request("POST", path, {}, token=self._member(k))
            elif step == "complete":
                req = Request("POST", path, {"note": "更换了电容，已恢复制冷"})
                req.token = self._member(k)
            elif step == "confirm":
                req = Request("POST", path, {"rating": 5, "comment": "师傅很专业"})
                req.token = self._resident(k)
            else:
                raise ValueError(step)
            req.on_ok = self._ok(step, k)
            out.append(req)
        return out


# ---------------------------------------------------------------- processes


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Child:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path):
        self.name = name
        self.log_path = log_path
        with open(log_path, "wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def wait_ready(child: Child, port: int, path: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited early:\n{child.tail()}")
        conn = Connection(HOST, port)
        try:
            status, _ = await conn.fetch(Request("GET", path))
            if status == 200:
                return
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            await conn.close()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{child.name} not ready after {timeout:.0f}s:\n{child.tail()}")


def server_env(uri: str, db_name: str, port: int, wechat_base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    env.update(
        TONGXIN_MONGO_URI=uri,
        TONGXIN_MONGO_DATABASE=db_name,
        TONGXIN_HTTP_HOST=HOST,
        TONGXIN_HTTP_PORT=str(port),
        TONGXIN_WECHAT_API_BASE=wechat_base,
        TONGXIN_WECHAT_APPID="wxbench",
        TONGXIN_WECHAT_SECRET="test-secret",
        TONGXIN_LOG_LEVEL="WARNING",
        TONGXIN_ORDERS_MAX_OPEN_PER_MEMBER=str(MAX_OPEN),
        TONGXIN_ORDERS_PLACE_LIMIT="0",  # the per-resident placing limit would refuse the load
        PYTHONUNBUFFERED="1",
    )
    if "enabled" in load_config(environ={}).as_dict().get("jobs", {}):
        env["TONGXIN_JOBS_ENABLED"] = "false"  # the scheduler is not part of the core loop
    return env


class CpuMeter:
    """CPU seconds used by each process during a phase (Linux /proc), as % of one core."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> dict[str, float]:
        out = {"load gen": time.process_time()}
        for name, pid in self.pids.items():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                out[name] = (int(stat[11]) + int(stat[12])) / self.tick
            except (OSError, IndexError, ValueError):
                out[name] = float("nan")
        return out

    async def measure(self, phase: Any) -> tuple[PhaseResult, dict[str, float]]:
        before = self.sample()
        result: PhaseResult = await phase
        after = self.sample()
        wall = result.seconds or 1.0
        return result, {k: 100 * (after[k] - before[k]) / wall for k in before}


async def physical_floor(uri: str, db_name: str, pid: int, n: int) -> dict[str, float]:
    """DB CPU (ms) of one `find_one({_id})` + one `update_one({_id})`, same database and run.

    `bare`: a collection with only `_id`; `orders`: the orders collection with its indexes.
    """
    client: AsyncMongoClient = AsyncMongoClient(uri, retryWrites=False)
    out: dict[str, float] = {}
    try:
        db = client[db_name]
        await db.floor_probe.delete_many({})
        await db.floor_probe.insert_one({"_id": 1, "n": 0, "status": "a"})
        some = await db.orders.find_one({}, {"_id": 1})
        targets = {"bare": (db.floor_probe, 1)}
        if some is not None:
            targets["orders"] = (db.orders, some["_id"])
        for name, (coll, key) in targets.items():
            await coll.find_one({"_id": key})
            before = _proc_cpu(pid)
            for i in range(n):
                await coll.find_one({"_id": key})
                await coll.update_one({"_id": key}, {"$set": {"floor_probe": i}})
            out[name] = (_proc_cpu(pid) - before) * 1000 / n
        await db.floor_probe.drop()
        await db.orders.update_many(
            {"floor_probe": {"$exists": True}}, {"$unset": {"floor_probe": ""}}
        )
    finally:
        await client.close()
    return out


def _proc_cpu(pid: int) -> float:
    """CPU seconds of process `pid`, all threads (ns resolution from schedstat)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total / 1e9


# ---------------------------------------------------------------- round trips


class CommandCounter(monitoring.CommandListener):
    """Records the name of every command started while armed."""

    def __init__(self) -> None:
        self.armed = False
        self.names: list[str] = []
        self.durations_ms: dict[int, float] = {}  # request id → round-trip time
        self.started_ids: list[int] = []

    def reset(self) -> None:
        self.names, self.started_ids, self.durations_ms = [], [], {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.armed:
            self.names.append(event.command_name)
            self.started_ids.append(event.request_id)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.durations_ms[event.request_id] = event.duration_micros / 1000

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.durations_ms[event.request_id] = event.duration_micros / 1000

    def described(self) -> list[str]:
        """`name(ms)` for each command, in the order they were sent."""
        return [
            f"{name}({self.durations_ms.get(rid, float('nan')):.1f})"
            for name, rid in zip(self.names, self.started_ids, strict=True)
        ]


@dataclass
class RoundTrips:
    counts: dict[str, list[int]] = field(default_factory=lambda: collections.defaultdict(list))
    commands: dict[str, list[str]] = field(default_factory=dict)
    latency_ms: dict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    failures: list[str] = field(default_factory=list)

    def typical(self, step: str) -> int | None:
        values = self.counts.get(step)
        if not values:
            return None
        return collections.Counter(values).most_common(1)[0][0]


async def count_round_trips(
    uri: str, db_name: str, wechat_base: str, w: World, samples: int
) -> RoundTrips:
    """Serve the real app in-process with a CommandListener; one request at a time."""
    counter = CommandCounter()
    monitoring.register(counter)  # applies to clients created from now on: build_service's
    service = await build_service(bench_config(wechat_base, db_name), uri, create_indexes=False)
    port = free_port()
    server = tornado.httpserver.HTTPServer(service.app)
    server.listen(port, HOST)
    conn = Connection(HOST, port)
    result = RoundTrips()
    resident, member, secretary = w.residents[0], w.members[0], w.secretaries[0]
    tokens: dict[str, str] = {}

    async def call(step: str, req: Request, counted: bool) -> Any:
        counter.reset()
        counter.armed = True
        t0 = time.perf_counter()
        try:
            status, data = await conn.fetch(req)
        finally:
            counter.armed = False
        elapsed_ms = (time.perf_counter() - t0) * 1000
        if status not in req.expect:
            result.failures.append(f"{step}: HTTP {status} {data[:200]!r}")
            raise RuntimeError(step)
        if counted:
            result.counts[step].append(len(counter.names))
            result.latency_ms[step].append(elapsed_ms)
            result.commands.setdefault(step, counter.described())
        return json.loads(data)

    try:
        for sample in range(samples + 1):  # the first loop warms caches and is not counted
            counted = sample > 0
            for openid in (resident, member, secretary):
                body = await call(
                    "login",
                    Request("POST", f"{API}/auth/wechat-login", {"code": f"ok:{openid}"}),
                    counted,
                )
                tokens[openid] = body["token"]
            order = await call(
                "place",
                Request(
                    "POST",
                    f"{API}/orders",
                    w.order_body(sample),
                    token=tokens[resident],
                    headers={"Idempotency-Key": f"rt-{uuid.uuid4().hex}"},
                    expect=(201,),
                ),
                counted,
            )
            path = f"{API}/orders/{order['id']}"
            steps = [
                ("dispatch", {"volunteer_ids": [w.member_ids[0]], "note": "请尽快"}, secretary),
                ("accept", {}, member),
                ("start", {}, member),
                ("complete", {"note": "更换了电容，已恢复制冷"}, member),
                ("confirm", {"rating": 5, "comment": "师傅很专业"}, resident),
            ]
            for step, body, who in steps:
                await call(
                    step, Request("POST", f"{path}/{step}", body, token=tokens[who]), counted
                )
    except RuntimeError:
        pass
    finally:
        await conn.close()
        server.stop()
        await service.close()
    return result


# ---------------------------------------------------------------- report


def fmt_ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"


def report(
    profile: Profile,
    bare: PhaseResult,
    phases: dict[str, PhaseResult],
    rts: RoundTrips,
    cpu: dict[str, dict[str, float]],
    db_label: str,
    floor: dict[str, float] | None = None,
) -> None:
    print()
    print(
        f"cores: {os.cpu_count()}  python {platform.python_version()}  "
        f"concurrency {profile.concurrency}  requests/endpoint {profile.requests}  "
        f"users {profile.residents + profile.members + profile.secretaries + profile.population}  "
        f"(API = 1 Tornado process, DB = {db_label}, load generator + fake WeChat = this "
        "process, all on this machine)"
    )
    header = (
        f"{'endpoint':<9} {'route':<28} {'reqs':>5} {'errs':>4} {'req/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'vs bare':>8} {'>=25%':>5} {'RT':>3} "
        f"{'budget':>6} {'RT ok':>5}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{'bare':<9} {'GET /json':<28} {bare.requests:>5} {sum(bare.errors.values()):>4} "
        f"{bare.rps:>8.0f} {fmt_ms(bare.percentile(50)):>7} {fmt_ms(bare.percentile(99)):>7} "
        f"{'100%':>8} {'':>5} {'0':>3} {'':>6} {'':>5}"
    )
    fails: list[str] = []
    for step, budget in ENDPOINTS.items():
        ph = phases.get(step)
        rt = rts.typical(step)
        rt_text = "?" if rt is None else str(rt)
        if rt is not None and max(rts.counts[step]) != rt:
            rt_text += "*"
        rt_ok = ""
        if budget is not None:
            worst = max(rts.counts[step]) if rt is not None else None
            rt_ok = "PASS" if worst is not None and worst <= budget else "FAIL"
            if rt_ok == "FAIL":
                fails.append(f"{step}: {rt_text} round trips > budget {budget}")
        if ph is None:
            print(f"{step:<9} {ROUTES[step]:<28} {'not run':>5}")
            continue
        ratio = ph.rps / bare.rps if bare.rps else 0.0
        ok = "PASS" if ratio >= RATIO_TARGET and not ph.errors else "FAIL"
        if ratio < RATIO_TARGET:
            fails.append(f"{step}: {ratio:.0%} of bare req/s < {RATIO_TARGET:.0%}")
        if ph.errors:
            fails.append(f"{step}: errors {ph.errors}")
        print(
            f"{step:<9} {ROUTES[step]:<28} {ph.requests:>5} {sum(ph.errors.values()):>4} "
            f"{ph.rps:>8.0f} {fmt_ms(ph.percentile(50)):>7} {fmt_ms(ph.percentile(99)):>7} "
            f"{ratio:>8.1%} {ok:>5} {rt_text:>3} {budget if budget is not None else '-':>6} "
            f"{rt_ok:>5}"
        )
    print()
    print(
        "round trips per request, one request at a time against the in-process app "
        "(counts seen, median latency with 1 client, each command with its round-trip ms):"
    )
    for step in ENDPOINTS:
        names = rts.commands.get(step)
        if names is not None:
            seen = sorted(set(rts.counts[step]))
            alone = statistics.median(rts.latency_ms[step])
            print(f"  {step:<9} {'/'.join(map(str, seen)):>5}  {alone:6.1f} ms  {' '.join(names)}")
    for failure in rts.failures:
        print(f"  round-trip loop failed: {failure}")
    print("  (* = samples differed: the table shows the most common count, PASS needs the max)")
    print()
    print("where the time goes: CPU per request in ms (and % of one core) by process, under load:")
    for name, use in cpu.items():
        ph = bare if name == "bare" else phases.get(name)
        rps = ph.rps if ph is not None else 0.0
        parts = "  ".join(
            f"{k} {10 * v / rps if rps else 0:5.2f} ms ({v:3.0f}%)"
            for k, v in use.items()
            if (k == "bare") == (name == "bare") or k == "load gen"
        )
        busiest = max((k for k in use if k != "load gen"), key=lambda k: use[k], default="")
        limit = f"  ← {busiest} saturated" if busiest and use[busiest] >= 85 else ""
        print(f"  {name:<9} {parts}{limit}")
    print()
    if floor:
        bare_floor = floor.get("bare", float("nan"))
        print(
            "physical floor (DB CPU of one find_one + one {_id} update, same run): "
            + "  ".join(f"{k} {v:.2f} ms" for k, v in floor.items())
        )
    print(
        f"per transition: API CPU ≤ {API_CPU_TARGET_MS} ms, DB CPU ≤ {DB_CPU_TARGET_MS} ms "
        "(× = ratio of the DB CPU to the bare floor)"
    )
    for step in TRANSITIONS:
        ph = phases.get(step)
        use = cpu.get(step, {})
        if ph is None or not ph.rps:
            continue
        api_ms = 10 * use.get("API", float("nan")) / ph.rps
        db_ms = 10 * use.get("DB", float("nan")) / ph.rps
        ok = api_ms <= API_CPU_TARGET_MS and (db_ms <= DB_CPU_TARGET_MS or db_ms != db_ms)
        ratio = f"{db_ms / bare_floor:5.1f}×" if floor and bare_floor > 0 else "   - "
        print(
            f"  {step:<9} API {api_ms:5.2f} ms  DB {db_ms:5.2f} ms  {ratio}  "
            f"{'PASS' if ok else 'FAIL'}"
        )
        if not ok:
            fails.append(f"{step}: API {api_ms:.2f} ms / DB {db_ms:.2f} ms CPU per request")
    print()
    if fails:
        print("TARGETS MISSED:")
        for f in fails:
            print(f"  FAIL {f}")
    else:
        print("ALL TARGETS MET")


# ---------------------------------------------------------------- main


async def drop_database(uri: str, db_name: str) -> None:
    client: AsyncMongoClient = AsyncMongoClient(uri, serverSelectionTimeoutMS=3000)
    try:
        await client.drop_database(db_name)
    except PyMongoError as exc:
        print(f"could not drop {db_name}: {exc}")
    finally:
        await client.close()


async def run(
    profile: Profile,
    tmp: Path,
    external_uri: str | None,
    profile_db: bool = False,
    profile_api: bool = False,
) -> None:
    phase_timeout = profile.phase_timeout_s
    fake = FakeWeChat()
    mongo = EmbeddedMongo(tmp / "db", free_port())
    children: list[Child] = []
    t_start = time.monotonic()
    try:
        fake.start()
        if external_uri:
            uri, db_name = external_uri, f"bench_{uuid.uuid4().hex[:10]}"
        else:
            mongo.start()
            uri, db_name = mongo.uri, DB_NAME
        seed_service = await build_service(bench_config(fake.base, db_name), uri)
        try:
            world = await seed(seed_service, profile)
        finally:
            await seed_service.close()

        api_port, bare_port = free_port(), free_port()
        api = Child(
            "API server",
            [sys.executable, "-m", "server", "serve"],
            server_env(uri, db_name, api_port, fake.base),
            tmp / "api.log",
        )
        children.append(api)
        bare_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        bare_cmd = [sys.executable, str(ROOT / "bench" / "bare_server.py"), str(bare_port)]
        bare_proc = Child("bare server", bare_cmd, bare_env, tmp / "bare.log")
        children.append(bare_proc)
        await wait_ready(bare_proc, bare_port, "/json")
        await wait_ready(api, api_port, "/readyz")
        print(f"setup {time.monotonic() - t_start:.1f}s", flush=True)

        # round trips first, on a quiet database, one request at a time
        rts = await count_round_trips(uri, db_name, fake.base, world, profile.rt_samples)

        # the baseline, warmed up, then measured exactly like the endpoints
        c = profile.concurrency
        bare_req = [Request("GET", "/json") for _ in range(profile.requests)]
        await run_phase("warm-up", HOST, bare_port, bare_req[: max(50, c * 4)], c)
        pids = {"API": api.proc.pid, "bare": bare_proc.proc.pid}
        if mongo.process is not None:
            pids["DB"] = mongo.process.pid
        meter = CpuMeter(pids)
        cpu: dict[str, dict[str, float]] = {}
        bare, cpu["bare"] = await meter.measure(
            run_phase("bare", HOST, bare_port, bare_req, c, phase_timeout)
        )

        # log everyone in once (tokens), then warm the loop up (caches, connection pool)
        await run_phase("warm-up", HOST, api_port, login_requests(world, len(world.everyone())), c)
        warm = Loop(world, c * 2, "warm")
        for step in list(ENDPOINTS)[1:]:
            await run_phase("warm-up", HOST, api_port, warm.requests(step), c, phase_timeout)

        phases: dict[str, PhaseResult] = {}
        phases["login"], cpu["login"] = await meter.measure(
            run_phase(
                "login", HOST, api_port, login_requests(world, profile.requests), c, phase_timeout
            )
        )
        loop = Loop(world, profile.requests, "bench")
        samples: dict[str, Any] = {}
        api_samples: dict[str, Any] = {}
        for step in list(ENDPOINTS)[1:]:
            # py-spy samples a running process and at times panics doing so: that phase's
            # profile is then missing (said so), its figures stand
            recording = api_recording = None
            if profile_db and mongo.process is not None and step in TRANSITIONS:
                recording = db_profile.Recording(mongo.process.pid, tmp / f"db-{step}.raw")
            if profile_api and step in TRANSITIONS:
                api_recording = db_profile.Recording(api.proc.pid, tmp / f"api-{step}.raw")
            phases[step], cpu[step] = await meter.measure(
                run_phase(step, HOST, api_port, loop.requests(step), c, phase_timeout)
            )
            if recording is not None:
                samples[step] = db_profile.classify(recording.stop())
            if api_recording is not None:
                api_samples[step] = api_profile.classify(api_recording.stop())
            print(f"  {step:<9} {phases[step].rps:7.0f} req/s", flush=True)
        if api.proc.poll() is not None:
            print(f"API server died during the run:\n{api.tail()}")
        db_label = "external MongoDB" if external_uri else f"SecantusDB {SECANTUS}"
        floor = None
        if mongo.process is not None:
            floor = await physical_floor(uri, db_name, mongo.process.pid, profile.floor_samples)
        report(profile, bare, phases, rts, cpu, db_label, floor)
        db_profile.report(
            {
                step: (got, 10 * cpu[step].get("DB", 0.0) / (phases[step].rps or 1.0))
                for step, got in samples.items()
            }
        )
        api_profile.report(
            {
                step: (got, 10 * cpu[step].get("API", 0.0) / (phases[step].rps or 1.0))
                for step, got in api_samples.items()
            }
        )
        print(f"\ntotal {time.monotonic() - t_start:.1f}s")
    finally:
        for child in children:
            child.stop()
        if external_uri:
            await drop_database(external_uri, db_name)
        mongo.stop()
        fake.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--requests", type=int, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, help="concurrent clients")
    parser.add_argument(
        "--mongo-uri",
        help="measure against this MongoDB (a replica set: confirm uses transactions) instead "
        "of an embedded SecantusDB; a throw-away database bench_<random> is used and dropped",
    )
    parser.add_argument(
        "--profile-db",
        action="store_true",
        help="record the embedded database with py-spy during each transition and print "
        "where its CPU goes (bench/db_profile.py)",
    )
    parser.add_argument(
        "--profile-api",
        action="store_true",
        help="record the API process with py-spy during each transition and print where its "
        "CPU goes, by layer (bench/api_profile.py)",
    )
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    if args.requests or args.concurrency:
        profile = dataclasses.replace(
            profile,
            requests=args.requests or profile.requests,
            concurrency=args.concurrency or profile.concurrency,
        )
    print(
        f"Tongxin core-loop bench ({'quick' if args.quick else 'full'}): "
        f"{profile.requests} requests per endpoint, {profile.concurrency} concurrent clients",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-", ignore_cleanup_errors=True) as tmp:
        try:
            bench = run(profile, Path(tmp), args.mongo_uri, args.profile_db, args.profile_api)
            asyncio.run(asyncio.wait_for(bench, profile.deadline_s))
        except TimeoutError:
            print(f"bench cut off after {profile.deadline_s:.0f}s (deadline)")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
