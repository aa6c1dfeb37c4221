"""Hostile input against every operation of /api/openapi.json, over real HTTP, as each role.

Two parts, two tests (each with its own database and the world of tests/world.py):

1. **Generated** — for every operation and every role (anonymous, resident, member,
   secretary, committee admin) hypothesis draws EXAMPLES requests from the operation's own
   OpenAPI schemas (hypothesis-jsonschema): documented bodies and query values, the same
   made hostile (a field replaced by arbitrary JSON with operator-looking keys, an extra
   key, a body that is no object), id fields half the time filled with real ids, path ids
   from real orders/registrations in the state the operation needs as well as junk.
2. **Fixed payloads** — every payload of tests/trust/payloads.py put into every field of
   every JSON body (nested fields and list items too), as the whole body, and into every
   query parameter, sent as a role that may perform the operation, against a target in the
   right state (a fresh one after any 2xx), so that a payload that slipped through would
   really write.

Each response is checked: no 5xx; status documented and body matching the documented
schema; a 4xx wrote nothing (see tests/trust/hostile.py for the precise definition); and at
the end no stored document has a `$…` or dotted key.

DELETE /me erases the caller: every such request is sent as a throwaway user of the role,
made for that one request. POST /auth/logout revokes the caller's token: it is sent with a
fresh token each time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import tornado.simple_httpclient

from models import notifications
from models.people import registrations
from models.people.users import Actor, create_user
from server.app import Service, build_service
from tests.trust import hostile, service_targets, voice_targets
from tests.trust.activity_targets import activity_target
from tests.trust.figures import record
from tests.trust.payloads import PAYLOADS, encode_json, query_pairs, urlencode
from tests.world import HERE, drop_database

# generated requests per operation per role; TONGXIN_HOSTILE_EXAMPLES to go deeper or faster
EXAMPLES = int(os.environ.get("TONGXIN_HOSTILE_EXAMPLES", "12"))
ROLES = {
    "anonymous": None,
    "resident": "owner",
    "member": "m1",
    "secretary": "sec_a1",
    "committee admin": "admin",
}
JUNK_IDS: list[str] = [
    "0" * 24,
    "f" * 24,
    "abc",
    "$gt",
    "%24ne",
    "null",
    "1e400",
    "a.b",
    "长" * 30,
    "0" * 25,
]
# the state an operation's path id must be in for the operation to succeed
TARGET_STATE = {
    "/api/v1/orders/{id}": "submitted",
    "/api/v1/orders/{id}/timeline": "submitted",
    "/api/v1/orders/{id}/dispatch": "submitted",
    "/api/v1/orders/{id}/reject": "submitted",
    "/api/v1/orders/{id}/recommendations": "submitted",
    "/api/v1/orders/{id}/cancel": "submitted",
    "/api/v1/orders/{id}/accept": "dispatched",
    "/api/v1/orders/{id}/decline": "dispatched",
    "/api/v1/orders/{id}/start": "accepted",
    "/api/v1/orders/{id}/complete": "in_service",
    "/api/v1/orders/{id}/confirm": "completed",
    "/api/v1/orders/{id}/slip": "accepted",
    "/api/v1/orders/{id}/by-slip": "accepted",
    "/api/v1/member-registrations/{id}/approve": "pending",
    "/api/v1/member-registrations/{id}/reject": "pending",
    # transfers, 双报到, records, certificates (tests/trust/service_targets.py)
    "/api/v1/transfers/{id}/approve": "transfer pending_out",
    "/api/v1/transfers/{id}/cancel": "transfer pending_out",
    "/api/v1/transfers/{id}/accept": "transfer pending_in",
    "/api/v1/transfers/{id}/return": "transfer pending_in",
    "/api/v1/community-reports/{id}/confirm": "report pending",
    "/api/v1/community-reports/{id}/decline": "report pending",
    "/api/v1/community-reports/{id}/end": "report pending",
    "/api/v1/orgs/{id}/posts": "community A",
    "/api/v1/members/{id}/record": "member m1",
    "/api/v1/members/{id}/dossier": "member m1",
    "/api/v1/certificates/{id}/issue": "certificate requested",
    "/api/v1/certificates/{id}/revoke": "certificate issued",
    "/api/v1/certificates/{id}/pdf": "certificate issued",
    # activities (tests/trust/activity_targets.py names the states)
    "/api/v1/activities/{id}": "activity of A1",
    "/api/v1/activities/{id}/publish": "activity draft",
    "/api/v1/activities/{id}/cancel": "activity of A1",
    "/api/v1/activities/{id}/signup": "activity of A1",
    "/api/v1/activities/{id}/qr": "activity of A1",
    "/api/v1/activities/{id}/checkin": "activity in progress",
    "/api/v1/activities/{id}/checkout": "activity checked in",
    "/api/v1/activities/{id}/attendance": "activity in progress",
    "/api/v1/activities/{id}/settle": "activity ended",
    "/api/v1/rewards/{id}": "reward item",
    "/api/v1/rewards/{id}/redeem": "reward item",
    "/api/v1/redemptions/{id}/cancel": "redemption",
    # wishes and voices: targets made by tests/trust/voice_targets.py
    "/api/v1/wishes/{id}": "wish approved",
    "/api/v1/wishes/{id}/approve": "wish submitted",
    "/api/v1/wishes/{id}/reject": "wish submitted",
    "/api/v1/wishes/{id}/claim": "wish approved",
    "/api/v1/wishes/{id}/release": "wish claimed",
    "/api/v1/wishes/{id}/fulfil": "wish claimed",
    "/api/v1/wishes/{id}/confirm": "wish fulfilled",
    "/api/v1/voices/{id}": "voice received",
    "/api/v1/voices/{id}/accept": "voice received",
    "/api/v1/voices/{id}/assign": "voice received",
    "/api/v1/voices/{id}/transfer": "voice received",
    "/api/v1/voices/{id}/recommendations": "voice received",
    "/api/v1/voices/{id}/reply": "voice accepted",
    "/api/v1/voices/{id}/close": "voice replied",
    "/api/v1/voices/{id}/rate": "voice replied",
    "/api/v1/orgs/{id}/voice-qr": "org A1",
    "/api/v1/followups/{id}": "followup",
}
THROWAWAY_ORG = {"resident": None, "member": "A1", "secretary": "A1", "admin": "street"}
MAX_SAMPLES = 25
WINDOW = 200  # rejected requests between two DB snapshots
URL_LIMIT = 60_000  # bytes of URL past which the request head exceeds tornado's 64 KB


@pytest.fixture
def config(config):
    # the harness accepts many orders as m1: the per-member open-order cap is not under test
    return config.replace(
        orders={"max_open_per_member": 100_000}, wishes={"max_claims_per_member": 100_000}
    )


@pytest.fixture
def service(io_loop, config, mongo_uri):
    """The conftest service, with a command monitor on the app's own MongoDB client."""
    watch = hostile.WriteWatch()
    watch.database = config.mongo.database
    svc: Service = io_loop.run_sync(
        lambda: build_service(config, mongo_uri, event_listeners=[watch])
    )
    svc.watch = watch  # type: ignore[attr-defined]
    yield svc

    async def teardown() -> None:
        await drop_database(svc.client, config.mongo.database)
        await svc.close()

    io_loop.run_sync(teardown)


class Harness:
    def __init__(self, api, world, ctx, watch):
        self.api = api
        self.world = world
        self.ctx = ctx
        self.watch = watch
        self.tokens: dict[str, str | None] = {}
        self.counter = itertools.count()
        self.activity_pool: dict[str, list[str]] = {}
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.per_op: Counter[str] = Counter()
        self.failures: dict[str, list[str]] = {"5xx": [], "mismatch": [], "slipped": []}
        self.counts = Counter()
        # window of requests since the last DB snapshot, for the ground-truth write check
        self.baseline: dict[str, str] | None = None
        self.window_4xx = 0
        self.window_2xx_writes: set[str] = set()
        self.window_labels: list[str] = []
        self.snapshot_checked = 0

    # ------------------------------------------------------------ people and targets

    async def login_all(self):
        for role, user in ROLES.items():
            self.tokens[role] = await self.api.login(f"openid-{user}") if user else None

    async def throwaway(self, role: str) -> str:
        """A new user of `role` who exists for one request."""
        n = next(self.counter)
        kind = "admin" if role == "committee admin" else role
        org = THROWAWAY_ORG[kind]
        await create_user(
            self.ctx,
            role=kind,
            name=f"一次性{n}",
            openid=f"throwaway-{n}",
            org_id=self.world.orgs[org]["_id"] if org else None,
        )
        return await self.api.login(f"throwaway-{n}")

    def writes_tokens(self, op: hostile.Operation) -> bool:
        return op.key in ("DELETE /api/v1/me", "POST /api/v1/auth/logout")

    async def token_for(self, op: hostile.Operation, role: str) -> str | None:
        """The token to send (a throwaway user's, or a fresh one, where the request spends it)."""
        if self.tokens.get(role) is None:
            return None
        if op.key == "DELETE /api/v1/me":
            return await self.throwaway(role)
        if op.key == "POST /api/v1/auth/logout":
            return await self.api.login(f"openid-{ROLES[role]}")
        return self.tokens[role]

    async def target(self, op: hostile.Operation) -> str:
        """A fresh id in the state `op` needs."""
        state = TARGET_STATE[op.path]
        if state.startswith("activity"):  # three per state, shared by the roles (they cost)
            pool = self.activity_pool.setdefault(state, [])
            if len(pool) < 3:
                pool.append(str((await activity_target(self.world, state))[0]))
            return pool[next(self.counter) % len(pool)]
        if state.startswith(("wish ", "voice ")) or state in ("org A1", "followup"):
            pool = self.activity_pool.setdefault(state, [])  # three per state, shared
            if len(pool) < 3:
                pool.append(str((await voice_targets.target(self.world, state)).id))
            return pool[next(self.counter) % len(pool)]
        if state == "pending":
            n = next(self.counter)
            user = await create_user(
                self.ctx, role="resident", name=f"申请人{n}", openid=f"applicant-{n}"
            )
            reg = await registrations.register(
                self.ctx,
                Actor.from_user(user),
                {
                    "org_id": self.world.orgs["A1"]["_id"],
                    "name": f"申请人{n}",
                    "party_status": "积极分子",
                },
            )
            return str(reg["_id"])
        if state in ("reward item", "redemption"):
            return await self.rewards_target(state)
        if " " in state:
            target_id, _, _ = await service_targets.make(self.world, state)
            return str(target_id)
        return str(await self.world.order_in(state))

    async def rewards_target(self, state: str) -> str:
        """An item of A1 that m1 and sec_a1 have points for, or a redemption of m1's."""
        from models.rewards import items, redemptions
        from tests.rewards.helpers import give_points

        w = self.world
        data = {"org_id": w.orgs["A1"]["_id"], "name": "爱心洗衣液", "price": 1, "stock": 1000}
        item = await items.create_item(self.ctx, w.actor("sec_a1"), data)
        for key in ("m1", "sec_a1"):
            await give_points(self.ctx, w.users[key], 1000)
        if state == "reward item":
            return str(item["_id"])
        m1 = Actor.from_user(await self.ctx.db.users.find_one({"_id": w.id("m1")}))
        doc, _ = await redemptions.redeem(self.ctx, m1, item["_id"], None)
        return str(doc["_id"])

    # ------------------------------------------------------------ one request

    async def send(
        self,
        op: hostile.Operation,
        role: str,
        token: str | None,
        *,
        path_id: str | None = None,
        query: Sequence[tuple[str, str]] = (),
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        label: str = "",
    ) -> int:
        path = op.path
        if op.has_id:
            path = path.replace("{id}", quote(path_id or "", safe=""))
        url = self.api.base_url + path + ("?" + urlencode(list(query)) if query else "")
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = encode_json(body["json"])
            hdrs["Content-Type"] = "application/json"
        elif op.method == "post":
            data = b""
        self.watch.arm()
        try:
            if len(url) > URL_LIMIT:
                # tornado's HTTP server closes the connection on a request head over 64 KB
                # before any handler runs; the request is counted, and must write nothing
                self.statuses[0] += 1
                self.sent += 1
                self.per_op[op.key] += 1
                self.counts["dropped: request head over 64 KB"] += 1
                with contextlib.suppress(tornado.simple_httpclient.HTTPStreamClosedError):
                    await self.api.client.fetch(
                        url, method=op.method.upper(), body=data, headers=hdrs, raise_error=False
                    )
                written = [c for c in self.watch.written if c not in hostile.EXCLUDED]
                if written:
                    self._fail("slipped", f"{op.key} dropped request wrote {written}")
                return 0
            resp = await self.api.client.fetch(
                url,
                method=op.method.upper(),
                body=data,
                headers=hdrs,
                raise_error=False,
                request_timeout=30,
                allow_nonstandard_methods=True,
            )
        finally:
            written = [c for c in self.watch.disarm() if c not in hostile.EXCLUDED]
        if resp.code == 599:
            raise resp.error or RuntimeError("request failed")
        self.sent += 1
        self.per_op[op.key] += 1
        self.statuses[resp.code] += 1
        text = resp.body.decode("utf-8", "replace") if resp.body else ""
        what = f"{op.key} as {role} [{label}] id={path_id!r} query={list(query)!r} "
        what += f"body={json.dumps(body['json'], ensure_ascii=False)[:300] if body else None}"
        if resp.code >= 500:
            self._fail("5xx", f"{what} → {resp.code} {text[:200]}")
        problem = op.check_response(resp.code, resp.headers.get("Content-Type", ""), text)
        if problem:
            self._fail("mismatch", f"{what} → {resp.code}: {problem}")
        if 400 <= resp.code < 500:
            self.window_4xx += 1
            self.window_labels.append(what)
            if written:
                self._fail("slipped", f"{what} → {resp.code} but wrote {sorted(set(written))}")
        else:
            self.window_2xx_writes.update(written)
        if self.window_4xx >= WINDOW:
            await self.check_window()
        return resp.code

    def _fail(self, kind: str, text: str) -> None:
        self.counts[kind] += 1
        if len(self.failures[kind]) < MAX_SAMPLES:
            self.failures[kind].append(text)

    @contextlib.asynccontextmanager
    async def harness_writes(self):
        """The harness itself writes (targets, throwaway users, logins): close the window
        before, start a new one after, so only requests are judged."""
        await self.check_window()
        yield
        self.baseline = await hostile.snapshot(self.ctx.db)

    async def check_window(self) -> None:
        """Ground truth: the collections that changed since the last snapshot must all have
        been written by 2xx requests of the window (4xx requests write nothing)."""
        now = await hostile.snapshot(self.ctx.db)
        if self.baseline is not None and self.window_4xx:
            changed = {
                n for n in set(now) | set(self.baseline) if now.get(n) != self.baseline.get(n)
            }
            unexplained = changed - self.window_2xx_writes
            if unexplained:
                self._fail(
                    "slipped",
                    f"{sorted(unexplained)} changed across a window of {self.window_4xx} "
                    f"rejected requests that no 2xx request wrote; first: {self.window_labels[:3]}",
                )
            elif not self.window_2xx_writes:
                self.snapshot_checked += self.window_4xx
        self.baseline = now
        self.window_4xx = 0
        self.window_2xx_writes = set()
        self.window_labels = []

    # ------------------------------------------------------------ part 1: generated

    async def id_pools(self) -> dict[str, list[str]]:
        db = self.ctx.db
        org_ids = [str(o["_id"]) async for o in db.orgs.find({}, {"_id": 1})]
        category_ids = [str(c["_id"]) async for c in db.service_categories.find({}, {"_id": 1})]
        member_ids = [str(self.world.id(m)) for m in ("m1", "m2", "m3", "m_a2", "m_b1")]
        inbox = [str(n["_id"]) async for n in db.notifications.find({}, {"_id": 1}).limit(20)]
        return {
            "org_id": org_ids,
            "hall_org_id": org_ids,
            "parent": org_ids,
            "category_id": category_ids,
            "volunteer_ids": member_ids,
            "ids": inbox or member_ids,
        }

    async def generated(self, ops: list[hostile.Operation]) -> None:
        targets: dict[tuple[str, str], list[str]] = {}
        tokens: dict[tuple[str, str], list[str | None]] = {}
        async with self.harness_writes():  # everything the requests will need, made up front
            # something in every inbox, so notification ids are real too
            notices = [
                notifications.Notice(
                    user_id=self.world.id(u),
                    key=f"hostile:{u}",
                    kind="system",
                    title="测试消息",
                    body="你好",
                )
                for u in ROLES.values()
                if u
            ]
            await notifications.notify_many(self.ctx, notices)
            ids = await self.id_pools()
            shared = [str(await self.world.order_in(s)) for s in ("submitted", "completed")]
            for op in ops:
                for role in ROLES:
                    if op.has_id:
                        targets[op.key, role] = [await self.target(op) for _ in range(3)]
                    if self.writes_tokens(op):
                        tokens[op.key, role] = [
                            await self.token_for(op, role) for _ in range(EXAMPLES)
                        ]
        for n, op in enumerate(ops):
            for r, role in enumerate(ROLES):
                path_ids = JUNK_IDS + shared + targets.get((op.key, role), [])
                examples = hostile.draw(
                    hostile.example_strategy(op, ids, path_ids), EXAMPLES, 6000 + n * 10 + r
                )
                spend = tokens.get((op.key, role), [self.tokens[role]] * EXAMPLES)
                for ex, token in zip(examples, spend, strict=True):
                    await self.send(
                        op,
                        role,
                        token,
                        path_id=ex["id"],
                        query=ex["query"],
                        body=ex["body"],
                        headers=ex["headers"],
                        label="generated",
                    )

    # ------------------------------------------------------------ part 2: fixed payloads

    def base_body(self, op: hostile.Operation) -> dict[str, Any]:
        w = self.world
        a1 = str(w.orgs["A1"]["_id"])
        due = (self.ctx.now() + timedelta(days=2)).isoformat()
        bases = {
            "/api/v1/auth/wechat-login": {"code": "ok:hostile-login"},
            "/api/v1/me/phone": {"code": "phone:13800001111"},
            "/api/v1/member-registrations": {
                "org_id": a1,
                "name": "张三",
                "party_status": "积极分子",
                "skills": ["助老"],
                "phone": "13800001111",
                "home_location": HERE,
            },
            "/api/v1/orders": {
                **w.order_body(),
                "wanted_at": "2030-01-01T09:00:00+08:00",
                "contact_name": "林阿姨",
                "photos": [],
            },
            "/api/v1/orders/{id}/dispatch": {
                "volunteer_ids": [str(w.id("m1"))],
                "to_hall": False,
                "hall_org_id": a1,
                "due_at": due,
                "note": "尽快",
            },
            "/api/v1/orders/{id}/complete": {"note": "修好了", "photos": []},
            "/api/v1/orders/{id}/confirm": {"rating": 5, "comment": "好"},
            "/api/v1/notifications/read": {"all": True},
            "/api/v1/activities": {
                "org_id": a1,
                "kind": "volunteer",
                "title": "社区清洁日",
                "start_at": due,
                "end_at": (self.ctx.now() + timedelta(days=2, hours=2)).isoformat(),
                "location": HERE,
                "capacity": 10,
                "photos": ["6650f0f0f0f0f0f0f0f0f0f0"],
            },
            "/api/v1/activities/{id}": {"description": "请带好手套", "minutes": "纪要"},
            "/api/v1/activities/{id}/checkin": {"token": "txa1.x", "location": HERE},
            "/api/v1/activities/{id}/checkout": {"token": "txa1.x", "location": HERE},
            "/api/v1/activities/{id}/attendance": {
                "member_id": str(w.id("m1")),
                "action": "checkin",
                "reason": "忘带手机",
            },
            "/api/v1/wishes": {
                "org_id": a1,
                "category": "学习用品",
                "title": "新书包",
                "description": "孩子上学需要一个书包",
                "value": 100,
                "photos": [str(w.id("owner"))],
                "contact_name": "林阿姨",
                "contact_phone": "13800001111",
                "address": "3 号楼",
            },
            "/api/v1/wishes/{id}/fulfil": {"note": "已送到", "photos": []},
            "/api/v1/wishes/{id}/confirm": {"thanks": "谢谢"},
            "/api/v1/voices": {
                "kind": "request",
                "category": "环境卫生",
                "text": "楼道灯坏了",
                "org_id": a1,
                "anonymous": True,
                "location": HERE,
                "photos": [],
            },
            "/api/v1/voices/{id}/assign": {"handler_id": str(w.id("m1")), "note": "请处理"},
            "/api/v1/voices/{id}/reply": {"text": "已修好", "public": True},
            "/api/v1/voices/{id}/rate": {"rating": "满意", "comment": "好"},
            "/api/v1/followups/{id}": {"solved": True, "note": ""},
            "/api/v1/subscriptions": {"template_ids": ["tmpl-order"]},
        }
        if op.path in bases:
            return bases[op.path]
        props = (op.body or {}).get("properties", {})
        return {"reason": "不需要了"} if "reason" in props else {}

    @staticmethod
    def field_paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
        """Every field of a body schema: nested object fields and list items included."""
        out = []
        for name, sub in schema.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            out.append(path)
            if sub.get("type") == "object" or "properties" in sub:
                out.extend(Harness.field_paths(sub, path))
            if sub.get("type") == "array":
                out.append(path + "[0]")
        return out

    @staticmethod
    def place(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
        body = json.loads(json.dumps(base))
        node = body
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node.get(part), dict) else node
            if not isinstance(node, dict):
                break
        last = parts[-1]
        if last.endswith("[0]"):
            key = last[:-3]
            items = node.get(key)
            items = list(items) if isinstance(items, list) and items else [None]
            items[0] = value
            node[key] = items
        else:
            node[last] = value
        return body

    @staticmethod
    def acting_role(op: hostile.Operation) -> str:
        """A role that may perform `op`, so that the payload meets the validation and a
        payload that slipped through would really act."""
        if not op.auth:
            return "anonymous"
        if "member" in op.roles:
            return "member"
        return "secretary" if op.roles else "resident"

    async def payloads(self, ops: list[hostile.Operation]) -> None:
        plans = []
        for op in ops:
            role = self.acting_role(op)
            placements: list[tuple[str, dict[str, Any] | None, list[tuple[str, str]]]] = []
            if op.body is not None:
                base = self.base_body(op)
                for path in self.field_paths(op.body):
                    for label, value in PAYLOADS:
                        placements.append(
                            (f"{path}={label}", {"json": self.place(base, path, value)}, [])
                        )
                for label, value in PAYLOADS:
                    placements.append((f"body={label}", {"json": value}, []))
            for param in op.query:
                for label, value in PAYLOADS:
                    pairs = query_pairs(param.name, value)
                    placements.append((f"?{param.name}={label}", None, pairs))
            if op.body is None and not op.query:
                # nothing documented to put it in: an undocumented parameter and a stray body
                for label, value in PAYLOADS:
                    placements.append((f"?x={label}", None, query_pairs("x", value)))
                    placements.append((f"stray body={label}", {"json": value}, []))
            plans.append((op, role, placements))
        pools: dict[str, list[str]] = {}
        spend: dict[str, list[str | None]] = {}
        async with self.harness_writes():  # targets and spendable tokens, made up front
            for op, role, placements in plans:
                if op.has_id:
                    pools[op.key] = [await self.target(op) for _ in range(4)]
                if self.writes_tokens(op):
                    spend[op.key] = [await self.token_for(op, role) for _ in placements]
        for op, role, placements in plans:
            pool = pools.get(op.key, [])
            target = pool.pop() if pool else None
            tokens = spend.get(op.key, [self.tokens[role]] * len(placements))
            for (label, body, query), token in zip(placements, tokens, strict=True):
                status = await self.send(
                    op,
                    role,
                    token,
                    path_id=target,
                    query=query,
                    body=body,
                    label=f"payload {label}",
                )
                self.counts["payload requests"] += 1
                if status < 300 and op.has_id and op.method == "post":
                    # the target moved on: aim at a fresh one in the right state
                    if not pool:
                        async with self.harness_writes():
                            pool.extend([await self.target(op) for _ in range(10)])
                    target = pool.pop()


async def _attack(api, world, ctx, service, part: str) -> None:
    """One part of the attack (generated requests, or the fixed payloads) on its own
    database, with its figures: two tests, so that the suite's workers run them side by side."""
    started = time.monotonic()
    status, spec = await api.get("/api/openapi.json")
    assert status == 200
    ops = hostile.operations(spec)
    assert len(ops) >= 35, [op.key for op in ops]
    h = Harness(api, world, ctx, service.watch)
    async with h.harness_writes():
        await h.login_all()

    if part == "generated":
        await h.generated(ops)
    else:
        await h.payloads(ops)
    await h.check_window()

    stored = await hostile.stored_operator_keys(ctx.db)
    for item in stored[:MAX_SAMPLES]:
        h._fail("slipped", f"stored operator/dotted key: {item}")
    h.counts["slipped"] += max(0, len(stored) - MAX_SAMPLES)

    per_op = min(h.per_op[op.key] for op in ops)
    if part == "generated":
        sizes = {
            "examples per operation": EXAMPLES * len(ROLES),
            "examples per operation and role": EXAMPLES,
        }
    else:
        sizes = {"fixed payloads": len(PAYLOADS)}
    record(
        "hostile input: generated" if part == "generated" else "hostile input: payloads",
        operations=len(ops),
        roles=len(ROLES),
        **sizes,
        requests_sent=h.sent,
        fewest_requests_for_one_operation=per_op,
        **{
            "2xx": sum(v for k, v in h.statuses.items() if 200 <= k < 300),
            "4xx": sum(v for k, v in h.statuses.items() if 400 <= k < 500),
            "5xx": h.counts["5xx"],
        },
        schema_mismatches=h.counts["mismatch"],
        writes_slipped_through=h.counts["slipped"],
        **{"4xx checked by DB snapshot": h.snapshot_checked},
        dropped_at_http_layer=h.counts["dropped: request head over 64 KB"],
        seconds=round(time.monotonic() - started, 1),
    )
    report = []
    for kind, samples in h.failures.items():
        if samples:
            report.append(f"--- {kind} ({h.counts[kind]}):")
            report.extend(samples)
    assert not report, "\n".join(report)
    assert per_op >= (EXAMPLES if part == "generated" else len(PAYLOADS))


@pytest.mark.gen_test(timeout=900)
async def test_generated_hostile_requests_every_operation_every_role(api, world, ctx, service):
    await _attack(api, world, ctx, service, "generated")


@pytest.mark.gen_test(timeout=900)
async def test_fixed_payloads_in_every_field_of_every_operation(api, world, ctx, service):
    await _attack(api, world, ctx, service, "fixed payloads")


@pytest.mark.gen_test(timeout=60)
async def test_hostile_detectors_are_not_blind(api, world, ctx, service):
    """The three detectors catch what they are for: an undocumented status or body, a write
    during a request, a changed collection, a stored operator key."""
    status, spec = await api.get("/api/openapi.json")
    assert status == 200
    ops = {op.key: op for op in hostile.operations(spec)}
    order = ops["GET /api/v1/orders/{id}"]
    assert order.check_response(422, "application/json", "{}") == "status 422 not documented"
    assert "not JSON" in (order.check_response(200, "text/html", "<p>") or "")
    assert order.check_response(200, "application/json", '{"id": 1, "status": "x"}')
    assert order.check_response(200, "application/json", '{"id": "1", "status": "x", "y": 1}')
    assert order.check_response(404, "application/json", '{"error": {"code": "x"}}')
    good = '{"id": "1", "status": "x", "location": null, "created_at": "2026-01-01T00:00:00Z"}'
    assert order.check_response(200, "application/json", good) is None

    watch = service.watch
    watch.arm()
    await ctx.db.users.update_one({"_id": world.id("owner")}, {"$set": {"name": "改"}})
    await ctx.db.users.update_one({"_id": "nobody"}, {"$set": {"name": "改"}})
    await ctx.db.audit_log.insert_one({"what": "test"})
    assert sorted(watch.disarm()) == ["audit_log", "users"]

    before = await hostile.snapshot(ctx.db)
    await ctx.db.orgs.update_one({"_id": world.orgs["A1"]["_id"]}, {"$set": {"name": "改"}})
    after = await hostile.snapshot(ctx.db)
    assert {n for n in after if after[n] != before.get(n)} == {"orgs"}

    await ctx.db.audit_log.insert_one({"detail": {"where": {"$gt": ""}}})
    assert any(k.endswith("detail.where.$gt") for k in await hostile.stored_operator_keys(ctx.db))
