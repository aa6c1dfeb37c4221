"""The access matrix: every operation × every kind of caller, against one readable table.

The operations come from the running app — the JSON API from /api/openapi.json, the admin
pages from the app's `/admin` rules — so a new endpoint cannot be forgotten: an operation
the table (tests/trust/access_matrix.yaml) does not cover fails the test, and so does one
the table names that no longer exists.

Each cell gets a fresh object in the state its operation needs (GETs share one per row),
is called with a valid request, and its answer is compared with the table. A refused call
must change nothing; an answer to an object outside the caller's scope must be the same as
for an id that does not exist. Figures: cells checked, unauthorised 2xx (calls that
succeeded, or showed or touched the target, where the table says they must not), and
mismatches (unexpected refusals count too).
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import tornado.web
import yaml
from bson import ObjectId

from models import notifications, orders
from models.ops import jobruns
from models.orders import slip
from models.people import auth, registrations
from models.people.users import Actor, create_user
from models.points import adjustments
from server.config import Config
from tests.live import PASSWORD, AdminClient, LiveServer, staff_world
from tests.trust import service_targets, voice_targets
from tests.trust.activity_targets import activity_target, create_body_names
from tests.trust.figures import record

SPEC: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("access_matrix.yaml").read_text(encoding="utf-8")
)
METHODS = ("get", "post", "put", "patch", "delete")
COUNTED = (
    "orders",
    "ledger_entries",
    "member_registrations",
    "point_adjustments",
    "users",
    "auth_tokens",
    "service_categories",
    "activities",
    "activity_signups",
)


def table(section: str, actors_key: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    actors = SPEC[actors_key].split()
    rows = {}
    for op, text in SPEC[section].items():
        cells = str(text).split()
        assert len(cells) == len(actors), f"{op}: {len(cells)} cells for {len(actors)} actors"
        rows[op] = dict(zip(actors, cells, strict=True))
    return actors, rows


def subst(value: Any, names: dict[str, str]) -> Any:
    """`$name` placeholders in a body, form or query → their values."""
    if isinstance(value, dict):
        return {k: subst(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [subst(v, names) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$(\w+)", lambda m: names.get(m.group(1), m.group(0)), value)
    return value


@dataclass
class Target:
    id: ObjectId
    collection: str
    owner: dict[str, Any] | None = None  # who stands in the "owner" column for this object
    names: dict[str, str] = field(default_factory=dict)
    order_id: ObjectId | None = None  # the order whose contact phone this target carries
    phone: str = ""  # that order's contact phone, unique to the target


@dataclass
class Tally:
    cells: int = 0
    unauthorised: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(["unauthorised 2xx:", *self.unauthorised, "mismatches:", *self.mismatches])


async def snapshot(db: Any, target: Target | None, user_id: ObjectId | None) -> Any:
    docs = []
    if target is not None:
        docs.append(await db[target.collection].find_one({"_id": target.id}))
    if user_id is not None:
        docs.append(await db.users.find_one({"_id": user_id}))
    counts = [await db[name].count_documents({}) for name in COUNTED]
    return docs, counts


# ================================================================== the JSON API


class ApiMatrix:
    def __init__(self, api: Any, world: Any, ctx: Any):
        self.api, self.world, self.ctx = api, world, ctx
        self.serial = itertools.count(1)
        self.tokens: dict[ObjectId, str] = {}

    async def token(self, user: dict[str, Any], fresh: bool = False) -> str:
        if fresh or user["_id"] not in self.tokens:
            token, _ = await auth.issue_token(self.ctx, user["_id"])
            if fresh:
                return token
            self.tokens[user["_id"]] = token
        return self.tokens[user["_id"]]

    async def fresh_user(self, role: str, org_id: ObjectId | None = None) -> dict[str, Any]:
        n = next(self.serial)
        extra = {"party_status": "正式党员"} if role == "member" else {}
        return await create_user(
            self.ctx,
            role=role,
            name=f"临时用户{n}",
            openid=f"trust-{uuid.uuid4().hex}",
            org_id=org_id,
            **extra,
        )

    async def order(self, state: str) -> Target:
        """A fresh order of the owner's, m1 the volunteer, with a contact phone of its own."""
        w, ctx = self.world, self.ctx
        base = {"in the hall of A1": "submitted", "closed": "completed"}.get(state, state)
        oid = await w.order_in(base)
        phone = f"1380000{next(self.serial):04d}"
        await ctx.db.orders.update_one({"_id": oid}, {"$set": {"contact_phone": phone}})
        if state == "in the hall of A1":
            due = ctx.now() + timedelta(days=1)
            await orders.dispatch_order(
                ctx, w.actor("sec_a1"), oid, {"to_hall": True, "due_at": due}
            )
        if state == "closed":
            await orders.confirm_order(ctx, w.actor("owner"), oid, {"rating": 5})
        names = {"slip": slip.signature(ctx, oid)}  # the paper slip's QR signature
        return Target(oid, "orders", order_id=oid, phone=phone, names=names)

    async def target(self, kind: str) -> Target:
        w, ctx = self.world, self.ctx
        if kind.startswith("order "):
            return await self.order(kind.removeprefix("order "))
        if kind == "registration":
            applicant = await self.fresh_user("resident")
            phone = f"1370000{next(self.serial):04d}"
            reg = await registrations.register(
                ctx,
                Actor.from_user(applicant),
                {
                    "org_id": w.orgs["A1"]["_id"],
                    "name": "申请人",
                    "party_status": "积极分子",
                    "phone": phone,
                },
            )
            return Target(reg["_id"], "member_registrations", owner=applicant, phone=phone)
        if kind == "notification":
            key = f"trust:matrix:{next(self.serial)}"
            notice = notifications.Notice(
                user_id=w.id("owner"), key=key, kind="trust", title="测试消息", body="只给林阿姨"
            )
            await notifications.notify_many(ctx, [notice])
            doc = await ctx.db.notifications.find_one({"key": key})
            return Target(doc["_id"], "notifications")
        if kind == "ledger entry":
            order = await self.order("closed")
            entry = await ctx.db.ledger_entries.find_one({"source.id": order.id, "kind": "points"})
            return Target(entry["_id"], "ledger_entries", order_id=order.id, phone=order.phone)
        if kind == "job run":
            return Target(await jobruns.start_run(ctx, "trust-matrix", "trust"), "job_runs")
        if kind in ("reward item of A1", "redemption of m1", "held award of m1"):
            return await rewards_target(ctx, w, kind)
        if kind.startswith(("wish ", "voice ")) or kind in ("org A1", "followup"):
            return await voice_targets.target(w, kind)
        if kind.startswith("activity"):
            aid, extra = await activity_target(w, kind)
            return Target(aid, "activities", names=extra)
        try:  # transfers, 双报到, records, certificates
            target_id, collection, owner = await service_targets.make(w, kind)
        except KeyError:
            raise AssertionError(f"unknown target kind {kind!r}") from None
        return Target(target_id, collection, owner=owner)

    async def cell(
        self,
        op: str,
        actor: str,
        want: str,
        call: dict[str, Any],
        spec: dict[str, Any],
        shared: Target | None,
        tally: Tally,
    ) -> None:
        w = self.world
        method, path = op.split(" ", 1)
        target = shared
        if target is None and "target" in call:
            target = await self.target(call["target"])
        user: dict[str, Any] | None = None
        if actor != "anon":
            if actor == "owner" and target is not None and target.owner is not None:
                user = target.owner
            elif call.get("clone"):
                original = w.users[actor]
                user = await self.fresh_user(original["role"], original.get("org_id"))
            else:
                user = w.users[actor]
        token = await self.token(user, fresh=bool(call.get("fresh_token"))) if user else None
        names = {
            "m1": str(w.id("m1")),
            "A1": str(w.orgs["A1"]["_id"]),
            "A2": str(w.orgs["A2"]["_id"]),
            "A": str(w.orgs["A"]["_id"]),
            "category": str(w.category["_id"]),
            "openid": (user or {}).get("openid") or "openid-newcomer",
            # one member per bound phone: each caller binds a phone of their own
            "phone": f"137{list(w.users).index(actor) if actor in w.users else 99:08d}",
            **create_body_names(w),
            **(target.names if target else {}),
        }

        async def send(object_id: ObjectId | None) -> tuple[int, str]:
            url = path.replace("{id}", str(object_id)) if object_id else path
            if call.get("query"):
                url += "?" + subst(call["query"], names)
            extra = target.names if target else {}
            body = subst(call.get("body"), {**names, **extra, "target": str(object_id)})
            if call.get("upload"):  # multipart, as wx.uploadFile sends it
                from tests.media.conftest import multipart
                from tests.media.samples import photo

                raw, ctype = multipart(photo(size=(32, 32)))
                status, _ = await self.api.call(
                    method, url, token=token, raw=raw, headers={"Content-Type": ctype}
                )
                return status, self.api.last_text
            status, _ = await self.api.call(method, url, body, token=token)
            return status, self.api.last_text

        before = await snapshot(self.ctx.db, target, user["_id"] if user else None)
        status, text = await send(target.id if target else None)
        after = await snapshot(self.ctx.db, target, user["_id"] if user else None)
        tally.cells += 1
        where = f"{op} by {actor}: {status}, want {want}"
        success = 200 <= status < 300
        shown = target is not None and str(target.id) in text
        if target is not None and target.phone and target.phone in text:
            if target.order_id is not None:
                order = await self.ctx.db.orders.find_one({"_id": target.order_id})
                allowed = may_see_phone(order, user)
            else:  # an applicant's phone is shown in full to the applicant only
                allowed = user is not None and user is target.owner
            if not allowed:
                tally.unauthorised.append(f"{where}: a phone number was shown in full")
        if want == "ok":
            documented = {int(c) for c in spec["responses"] if c.startswith("2")}
            if status not in documented:
                tally.mismatches.append(f"{where}: {text[:200]}")
            elif method == "GET" and target is not None and "{id}" not in path and not shown:
                tally.mismatches.append(f"{where}: the target is missing from the answer")
            elif method != "GET" and target is not None and before[0] == after[0]:
                tally.mismatches.append(f"{where}: answered 2xx but the target did not change")
            return
        if want == "hidden":
            if success and (shown or before != after):
                tally.unauthorised.append(f"{where}: the target was shown or changed")
            elif not success:
                tally.mismatches.append(f"{where}: {text[:200]}")
            return
        if success:
            tally.unauthorised.append(f"{where}: {text[:200]}")
            return
        if str(status) != want:
            tally.mismatches.append(f"{where}: {text[:200]}")
        if before != after:
            tally.mismatches.append(f"{where}: refused, but something changed")
        known = SPEC["api_targets"].get(call.get("target"), {}).get("known_to", [])
        if "{id}" in path and actor not in known:
            ghost, _ = await send(ObjectId())
            if ghost != status:
                tally.leaks.append(f"{where}: {status} here, {ghost} for an id that does not exist")


async def rewards_target(ctx: Any, w: Any, kind: str) -> Target:
    """An item of A1 (m1, m2 and sec_a1 given points to spend on it), a redemption of m1's
    (its code in $code), or an award of m1's held for review."""
    from models.orders.closing import award_entries
    from models.rewards import farming, items, redemptions
    from tests.rewards.helpers import give_points

    if kind == "held award of m1":
        order_id = await w.order_in("completed")
        order = await ctx.db.orders.find_one({"_id": order_id})

        async def work(session: Any) -> Any:
            reasons = [{"rule": "self_confirm", "text": farming.RULE_TEXT["self_confirm"]}]
            entries = award_entries(order, w.actor("owner"))
            path = list(w.users["m1"]["org_path"])
            return await farming.hold(ctx, session, order, entries, org_path=path, reasons=reasons)

        from models.core import uow

        held = await uow.in_transaction(ctx, work)
        return Target(held["_id"], "held_awards")
    data = {"org_id": w.orgs["A1"]["_id"], "name": "爱心洗衣液", "price": 10, "stock": 5}
    item = await items.create_item(ctx, w.actor("sec_a1"), data)
    for key in ("m1", "m2", "sec_a1"):
        await give_points(ctx, w.users[key], 100)
    if kind == "reward item of A1":
        return Target(item["_id"], "reward_items")
    member = Actor.from_user(await ctx.db.users.find_one({"_id": w.id("m1")}))
    doc, _ = await redemptions.redeem(ctx, member, item["_id"], None)
    return Target(doc["_id"], "redemptions", names={"code": doc["code"]})


async def on_behalf_completed(w: Any, phone: str) -> ObjectId:
    """An order sec_a1 placed for a resident without WeChat, completed by m1."""
    ctx = w.ctx
    body = {k: v for k, v in w.order_body().items() if k != "contact_phone"}
    body.update(category_id=w.category["_id"], org_id=w.orgs["A1"]["_id"])
    body["on_behalf_of"] = {"name": "王奶奶", "phone": phone, "channel": "phone"}
    order, _ = await orders.place_order(ctx, w.actor("sec_a1"), body)
    oid = order["_id"]
    due = ctx.now() + timedelta(days=1)
    await orders.dispatch_order(
        ctx, w.actor("sec_a1"), oid, {"volunteer_ids": [w.id("m1")], "due_at": due}
    )
    m1 = Actor.from_user(await ctx.db.users.find_one({"_id": w.id("m1")}))
    await orders.accept_order(ctx, m1, oid)
    await orders.start_order(ctx, m1, oid)
    await orders.complete_order(ctx, m1, oid, {"note": "已修好"})
    return oid


def may_see_phone(order: dict[str, Any], user: dict[str, Any] | None) -> bool:
    """The contact phone is masked to everyone but the resident and the
    assigned volunteer between accept and close."""
    if user is None:
        return False
    if order["resident_id"] == user["_id"]:
        return True
    return order.get("assignee_id") == user["_id"] and order["status"] in (orders.OPEN_FOR_ASSIGNEE)


def roomy(ctx: Any) -> None:
    """One volunteer takes many orders in one test: lift the open-order limit."""
    ctx.config = ctx.config.replace(
        orders={"max_open_per_member": 1000}, wishes={"max_claims_per_member": 1000}
    )


@pytest.mark.gen_test(timeout=300)
async def test_api_access_matrix(api, world, ctx):
    roomy(ctx)
    # sec_a (community A, the parent of A1) joins the staff who may dispatch to m1
    status, document = await api.get("/api/openapi.json")
    assert status == 200
    live = {
        f"{method.upper()} {path}": op
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    }
    actors, rows = table("api", "api_actors")
    calls = SPEC["api_calls"]
    uncovered = sorted(set(live) - set(rows))
    stale = sorted((set(rows) | set(calls)) - set(live))
    matrix = ApiMatrix(api, world, ctx)
    tally = Tally()
    for op, expected in rows.items():
        if op not in live:
            continue
        call = calls.get(op) or {}
        shared = None
        if op.startswith("GET ") and "target" in call:
            shared = await matrix.target(call["target"])
        for actor in actors:
            await matrix.cell(op, actor, expected[actor], call, live[op], shared, tally)
    record(
        "access matrix",
        operations=len(live),
        actors=len(actors),
        cells=tally.cells,
        unauthorised_2xx=len(tally.unauthorised),
        existence_leaks=len(tally.leaks),
        mismatches=len(tally.mismatches) + len(uncovered) + len(stale),
    )
    assert not uncovered, f"operations missing from access_matrix.yaml: {uncovered}"
    assert not stale, f"access_matrix.yaml names operations the API no longer has: {stale}"
    assert not tally.unauthorised, tally.report()
    assert not tally.leaks, "\n".join(tally.leaks)
    assert not tally.mismatches, tally.report()
    assert tally.cells == len(live) * len(actors)


# ================================================================== the admin pages


def templates(pattern: str) -> list[str]:
    """A route regex → the paths it stands for: `(?P<id>…)` → `{id}`, `(?P<a>x|y)` → x and y."""
    pattern = pattern.removesuffix("$")
    out = [""]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out = [o + pattern[i + 1] for o in out]
            i += 2
            continue
        if char != "(":
            out = [o + char for o in out]
            i += 1
            continue
        depth, j, in_class = 0, i, False
        while j < len(pattern):
            c = pattern[j]
            if c == "\\":
                j += 2
                continue
            if in_class:
                in_class = c != "]"
            elif c == "[":
                in_class = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        group = re.fullmatch(r"\(\?P<(\w+)>(.*)\)", pattern[i : j + 1], re.S)
        if group and re.fullmatch(r"\w+(\|\w+)*", group.group(2)):
            choices = group.group(2).split("|")
        else:
            choices = ["{" + (group.group(1) if group else "path") + "}"]
        out = [o + c for o in out for c in choices]
        i = j + 1
    return out


def admin_operations(app: tornado.web.Application) -> set[str]:
    ops = set()
    for rule in app.wildcard_router.rules:
        regex = getattr(rule.matcher, "regex", None)
        handler = rule.target
        if regex is None or not regex.pattern.startswith("/admin"):
            continue
        for method in METHODS:
            fn = getattr(handler, method, None)
            if fn is None or fn is getattr(tornado.web.RequestHandler, method):
                continue
            ops.update(f"{method.upper()} {t}" for t in templates(regex.pattern))
    return ops


def roster_file(phone: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "所属支部", "政治面貌", "技能"])
    ws.append(["导入队员", phone, "阳光社区第一党支部", "正式党员", "助老"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def live(config: Config, mongo_uri: str) -> Iterator[LiveServer]:
    server = LiveServer(config, mongo_uri)
    yield server
    server.stop()


USERNAMES = {
    "resident": ("owner", "owner-1"),
    "member": ("m1", "member-1"),
    "sec_a1": ("sec_a1", "sec-a1"),
    "sec_b1": ("sec_b1", "sec-b1"),
    "sec_a": ("sec_a", "sec-a"),
    "admin": ("admin", "street-admin"),
}


class AdminMatrix:
    def __init__(self, live: LiveServer):
        self.live = live
        self.ctx = live.ctx
        self.w = live.run(staff_world(live.ctx))
        self.serial = itertools.count(1)
        self.forged: dict[str, str] = {}
        from argon2 import PasswordHasher

        hashed = PasswordHasher().hash(PASSWORD)
        for key, username in USERNAMES.values():
            live.run(
                self.ctx.db.users.update_one(
                    {"_id": self.w.id(key)},
                    {"$set": {"username": username, "password_hash": hashed}},
                )
            )
        for actor in ("resident", "member"):
            user_id = self.w.id(USERNAMES[actor][0])
            api_token, _ = live.run(auth.issue_token(self.ctx, user_id))
            # an admin-kind session for a non-staff user: as if one had been obtained
            session, _ = live.run(auth.issue_token(self.ctx, user_id, kind="admin"))
            self.forged[actor] = tornado.web.create_signed_value(
                str(live.config.auth.cookie_secret), "tx_admin", session
            ).decode()
            self.forged[actor + ":api"] = api_token
        self.clients = {actor: self.client(actor) for actor in ("anon", *USERNAMES)}
        self.clients["no_xsrf"] = self.clients["admin"]

    def client(self, actor: str) -> AdminClient:
        c = AdminClient(self.live.base)
        if actor in ("anon", "resident", "member"):
            self.prepare(c, actor)
            c.get("/admin/login")  # the xsrf token every POST needs
            return c
        resp = c.sign_in(USERNAMES[actor][1])
        assert resp.status_code == 302 and resp.headers["Location"] == "/admin/", resp.text[:300]
        assert c.get("/admin/members/import").status_code == 200  # page with an xsrf token
        return c

    def prepare(self, c: AdminClient, actor: str) -> None:
        if actor in ("resident", "member"):
            c.http.headers["Authorization"] = "Bearer " + self.forged[actor + ":api"]
            c.http.cookies.set("tx_admin", self.forged[actor], path="/admin")

    def target(self, kind: str) -> Target:
        w, ctx, run = self.w, self.ctx, self.live.run
        phone = f"1360000{next(self.serial):04d}"
        if kind == "order completed on behalf":  # 代下单 by sec_a1, served by m1
            oid = run(on_behalf_completed(w, phone))
            return Target(oid, "orders", phone=phone)
        if kind in ("order submitted", "order accepted"):
            oid = run(w.order_in(kind.removeprefix("order ")))
            run(ctx.db.orders.update_one({"_id": oid}, {"$set": {"contact_phone": phone}}))
            return Target(oid, "orders", phone=phone)
        if kind == "registration":
            applicant = run(
                create_user(ctx, role="resident", name="申请人", openid=f"trust-{uuid.uuid4().hex}")
            )
            reg = run(
                registrations.register(
                    ctx,
                    Actor.from_user(applicant),
                    {
                        "org_id": w.orgs["A1"]["_id"],
                        "name": "申请人",
                        "party_status": "积极分子",
                        "phone": phone,
                    },
                )
            )
            return Target(reg["_id"], "member_registrations", phone=phone)
        if kind == "member m1":
            return Target(w.id("m1"), "users")
        if kind == "entry of m1":
            adj = run(
                adjustments.request_adjustment(
                    ctx, w.actor("admin2"), w.id("m1"), kind="points", delta=1, reason="奖励"
                )
            )
            return Target(w.id("m1"), "users", names={"entry": str(adj["entry_id"])})
        if kind == "pending adjustment of m1":
            adj = run(
                adjustments.request_adjustment(
                    ctx, w.actor("admin2"), w.id("m1"), kind="points", delta=500, reason="表彰"
                )
            )
            return Target(adj["_id"], "point_adjustments")
        if kind == "category":
            return Target(w.category["_id"], "service_categories")
        if kind in ("reward item of A1", "redemption of m1", "held award of m1"):
            return run(rewards_target(ctx, w, kind))
        if kind.startswith(("wish ", "voice ")):
            return run(voice_targets.target(w, kind))
        if kind.startswith("activity"):
            aid, extra = run(activity_target(w, kind))
            return Target(aid, "activities", names=extra)
        if kind == "flag in A1":
            from models.media import safety

            oid = run(w.order_in("submitted"))
            verdict = safety.Verdict(fields={"description": "review"}, texts={"description": "?"})
            run(
                safety.record(
                    ctx, verdict, owner_type="order", owner_id=oid, org_path=w.orgs["A1"]["path"]
                )
            )
            flag = run(ctx.db.content_flags.find_one({"owner_id": oid}))
            return Target(flag["_id"], "content_flags")
        try:  # transfers, 双报到, records, certificates, honours
            target_id, collection, _ = run(service_targets.make(w, kind))
        except KeyError:
            raise AssertionError(f"unknown target kind {kind!r}") from None
        return Target(target_id, collection)

    def send(
        self, actor: str, method: str, url: str, call: dict[str, Any], names: dict[str, str]
    ) -> Any:
        c = self.clients[actor]
        if call.get("fresh_session") and actor != "no_xsrf":
            c = self.client(actor)
        self.prepare(c, actor)
        xsrf = actor != "no_xsrf"
        if method == "GET":
            headers = {"Accept": "application/json"} if call.get("json") else {}
            return c.get(url, headers=headers)
        if "json" in call:
            return c.post(
                url,
                json=subst(call["json"], names),
                xsrf=xsrf,
                headers={"Accept": "application/json"},
            )
        if "file" in call:
            phone = f"139{next(self.serial):08d}"
            xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return c.http.post(
                self.live.base + url,
                files={"file": ("队员名册.xlsx", roster_file(phone), xlsx)},
                data={"_xsrf": c.xsrf} if xsrf else {},
                allow_redirects=False,
                timeout=20,
            )
        return c.post(url, subst(call.get("form") or {}, names), xsrf=xsrf)

    def cell(
        self,
        op: str,
        actor: str,
        want: str,
        call: dict[str, Any],
        shared: Target | None,
        tally: Tally,
    ) -> None:
        method, raw = op.split(" ", 1)
        path, _, query = raw.partition("?")
        target = shared
        if target is None and "target" in call:
            target = self.target(call["target"])
        who = "admin" if actor == "no_xsrf" else actor
        key, username = USERNAMES.get(who, ("", "nobody-" + uuid.uuid4().hex[:8]))
        names = {
            "m1": str(self.w.id("m1")),
            "A1": str(self.w.orgs["A1"]["_id"]),
            "unique": str(next(self.serial)),
            "category": str(self.w.category["_id"]),
            "username": username,
            "password": PASSWORD if key else "wrong-password",
            **create_body_names(self.w),
            **(target.names if target else {}),
        }

        def url_for(object_id: ObjectId | None) -> str:
            url = path.replace("{path}", str(call.get("path", "")))
            if object_id is not None:
                url = url.replace("{id}", str(object_id))
            return url + ("?" + subst(query, names) if query else "")

        def outcome(resp: Any) -> str:
            location = resp.headers.get("Location", "")
            if resp.status_code == 302 and location.startswith("/admin/login"):
                return "login"
            if 200 <= resp.status_code < 300 or (
                resp.status_code == 302 and "err=" not in location
            ):
                return "ok"
            return str(resp.status_code)

        db = self.ctx.db
        before = self.live.run(snapshot(db, target, None))
        resp = self.send(actor, method, url_for(target.id if target else None), call, names)
        after = self.live.run(snapshot(db, target, None))
        got = outcome(resp)
        tally.cells += 1
        where = f"{op} by {actor}: {resp.status_code} {resp.headers.get('Location', '')}"
        where += f" ({got}), want {want}"
        if target is not None and target.phone and target.phone in resp.text:
            # staff see a resident's contact phone and an applicant's phone masked
            tally.unauthorised.append(f"{where}: a phone number was shown in full")
        if want == "ok":
            if got != "ok":
                tally.mismatches.append(f"{where}: {resp.text[:200]}")
            elif method == "POST" and target is not None and before[0] == after[0]:
                tally.mismatches.append(f"{where}: answered ok but the target did not change")
            return
        if got == "ok":
            tally.unauthorised.append(f"{where}: {resp.text[:200]}")
            return
        if got != want:
            tally.mismatches.append(f"{where}: {resp.text[:200]}")
        if before != after:
            tally.mismatches.append(f"{where}: refused, but something changed")
        known = SPEC["admin_targets"].get(call.get("target"), {}).get("known_to", [])
        if "{id}" in path and who not in known:
            ghost = outcome(self.send(actor, method, url_for(ObjectId()), call, names))
            if ghost != got:
                tally.leaks.append(f"{where}: {got} here, {ghost} for an id that does not exist")


def test_admin_access_matrix(live):
    matrix = AdminMatrix(live)
    live_ops = admin_operations(live.service.app)
    actors, rows = table("admin", "admin_actors")
    calls = SPEC["admin_calls"]
    named = {op.split("?")[0] for op in rows}
    uncovered = sorted(live_ops - named)
    stale = sorted((named | {c.split("?")[0] for c in calls}) - live_ops)
    tally = Tally()
    for op, expected in rows.items():
        if op.split("?")[0] not in live_ops:
            continue
        call = calls.get(op) or {}
        shared = None
        if op.startswith("GET ") and "target" in call:
            shared = matrix.target(call["target"])
        for actor in actors:
            if expected[actor] != "-":
                matrix.cell(op, actor, expected[actor], call, shared, tally)
    record(
        "access matrix: admin pages",
        operations=len(live_ops),
        actors=len(actors),
        cells=tally.cells,
        unauthorised_2xx=len(tally.unauthorised),
        existence_leaks=len(tally.leaks),
        mismatches=len(tally.mismatches) + len(uncovered) + len(stale),
    )
    assert not uncovered, f"admin operations missing from access_matrix.yaml: {uncovered}"
    assert not stale, f"access_matrix.yaml names admin operations that no longer exist: {stale}"
    assert not tally.unauthorised, tally.report()
    assert not tally.leaks, "\n".join(tally.leaks)
    assert not tally.mismatches, tally.report()
