"""No query the code makes is a collection scan (explain on the real database).

A workload drives every API operation, every admin page and every job once; every query it
sends is recorded and explained. On SecantusDB and, when TONGXIN_TEST_MONGO_URI is set, on
a real mongod. `python -m server check` is left out on purpose: it recounts every balance
and counter from the book of record, so it reads the ledger and the members whole.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from bson import ObjectId

from jobs.tasks import JOBS
from models.orders import slip
from tests.live import LiveServer, signed_in, staff_world
from tests.plans import Recorder, collection_scans

# read whole on purpose: small, bounded by the product, cached per process
WHOLE = {
    "orgs": "the organisation tree, read whole and cached (models/people/orgs.py)",
    "service_categories": "the service catalogue, read whole and cached",
    "open_tallies": "one document per organisation node; housekeeping prunes their due hours",
}


@pytest.fixture
def config(config: Any) -> Any:  # a short embedded timeline: the workload reaches the archive
    return config.replace(orders={"timeline_embedded": 3})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def live(config: Any, mongo_uri: str, recorder: Recorder) -> Any:
    server = LiveServer(config, mongo_uri, event_listeners=[recorder])
    yield server
    server.stop()


class Api:
    def __init__(self, base: str) -> None:
        self.base = base + "/api/v1"
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.http.request(method, self.base + path, json=body, headers=headers, timeout=30)
        assert resp.status_code < 500, (path, resp.text[:300])
        return resp.json() if resp.content else None

    def login(self, key: str) -> str:
        return str(self.call("POST", "/auth/wechat-login", {"code": f"ok:openid-{key}"})["token"])


def drive_everything(live: LiveServer, world: Any) -> None:
    """Every API operation, admin page, job and check, once or twice, with real data."""
    api = Api(live.base)
    # SMS templates set: the resident (no subscribe quota) is texted at accept/start/complete
    sms_templates = {f"template_{s}": "200000" for s in ("accepted", "started", "completed")}
    live.ctx.config = live.ctx.config.replace(sms=sms_templates)
    t = {k: api.login(k) for k in ("owner", "m1", "m2", "m3", "sec_a1", "admin")}
    body = world.order_body()
    ids = []
    for _ in range(4):
        ids.append(api.call("POST", "/orders", body, t["owner"])["id"])
    api.call("POST", "/orders", body, t["owner"]) and None
    a, b, c, d = ids
    m1, m2 = str(world.id("m1")), str(world.id("m2"))
    api.call("POST", f"/orders/{a}/dispatch", {"volunteer_ids": [m1]}, t["sec_a1"])
    api.call("POST", f"/orders/{b}/dispatch", {"to_hall": True}, t["sec_a1"])
    api.call("POST", f"/orders/{c}/dispatch", {"volunteer_ids": [m1, m2]}, t["sec_a1"])
    api.call("GET", "/task-hall", token=t["m1"])
    api.call("GET", "/task-hall?limit=1", token=t["m3"])
    for step, who, payload in (
        ("accept", "m1", None),
        ("start", "m1", None),
        ("complete", "m1", {"note": "修好了"}),
        ("confirm", "owner", {"rating": 5, "comment": "好"}),
    ):
        api.call("POST", f"/orders/{a}/{step}", payload, t[who])
    api.call("POST", f"/orders/{b}/accept", None, t["m3"])
    api.call("POST", f"/orders/{b}/decline", {"reason": "临时有事"}, t["m3"])
    api.call("POST", f"/orders/{c}/decline", {"reason": "不在家"}, t["m1"])
    api.call("POST", f"/orders/{c}/cancel", {"reason": "不需要了"}, t["owner"])
    api.call("POST", f"/orders/{d}/reject", {"reason": "重复"}, t["sec_a1"])
    # 代下单 for a new phone, confirmed by staff after a call, then taken over on binding
    behalf = {k: v for k, v in body.items() if k != "contact_phone"}
    behalf["on_behalf_of"] = {"name": "王奶奶", "phone": "13600009999", "channel": "phone"}
    e = api.call("POST", "/orders", behalf, t["sec_a1"])["id"]
    api.call("POST", f"/orders/{e}/dispatch", {"volunteer_ids": [m2]}, t["sec_a1"])
    for step, payload in (("accept", None), ("start", None), ("complete", {"note": "好了"})):
        api.call("POST", f"/orders/{e}/{step}", payload, t["m2"])
    note = {"rating": 5, "on_behalf_note": "电话回访满意"}
    api.call("POST", f"/orders/{e}/confirm", note, t["sec_a1"])
    api.call("POST", "/me/phone", {"code": "phone:13600009999"}, api.login("wang"))
    sig = slip.signature(live.ctx, ObjectId(b))
    api.call("GET", f"/orders/{b}/by-slip?token={sig}", token=t["m1"])
    pdf = api.http.get(
        f"{api.base}/orders/{b}/slip", headers={"Authorization": f"Bearer {t['sec_a1']}"}
    )
    assert pdf.status_code < 500
    for who in ("owner", "m1", "sec_a1", "admin"):
        for path in (
            "/orders",
            "/orders?limit=2",
            "/orders?status=closed",
            "/orders?scope=org&status=submitted",
            "/orders?scope=mine",
            "/me",
            "/me/points",
            "/me/ledger",
            "/me/ledger?kind=points",
            f"/leaderboard?org_id={world.orgs['street']['_id']}",
            f"/leaderboard?org_id={world.orgs['A1']['_id']}&period=month",
            "/notifications",
            "/notifications?unread=true",
            "/notifications/unread-count",
            "/member-registrations",
            "/orgs",
            "/service-categories",
            "/job-runs",
            "/me/export",
            f"/orders/{a}",
            f"/orders/{a}/timeline?limit=2",
            f"/orders/{b}/recommendations",
        ):
            page = api.call("GET", path, token=t[who])
            cursor = (page or {}).get("next_cursor") if isinstance(page, dict) else None
            if cursor:
                api.call("GET", f"{path}{'&' if '?' in path else '?'}cursor={cursor}", token=t[who])
    api.call("POST", "/notifications/read", {"all": True}, t["owner"])
    ctx = live.ctx
    for job in JOBS:
        live.run(job.fn(ctx, live.service.wechat))
    for username in ("sec-a1", "street-admin"):
        admin = signed_in(live, username)
        member = world.id("m1")
        for path in (
            "/admin/",
            "/admin/?days=90",
            "/admin/dispatch",
            "/admin/dispatch?status=closed",
            f"/admin/orders/{a}",
            f"/admin/orders/{a}/timeline",
            f"/admin/orders/{b}/recommend",
            "/admin/catalogue",
            "/admin/registrations",
            "/admin/members",
            "/admin/members?q=队员",
            "/admin/members?q=1381",
            "/admin/members?q=队&party_status=正式党员&skill=电工",
            "/admin/members?party_status=正式党员",
            f"/admin/members?cursor=0.{2**41}.{member}",
            f"/admin/members?before=0.1000000000000.{member}&q=队员",
            f"/admin/members/{member}",
            "/admin/members/export",
            "/admin/points",
            "/admin/points/export",
            "/admin/audit",
            "/admin/orders/new",
            "/admin/orders/earlier-contact?phone=13912340000",
            f"/admin/orders/{b}/slip",
            "/admin/sms",
        ):
            resp = admin.get(path)
            assert resp.status_code < 500, (path, resp.text[:300])


@pytest.mark.slow  # drives every operation, page and job
def test_no_query_the_code_makes_is_a_collection_scan(live, recorder):
    world = live.run(staff_world(live.ctx))
    recorder.commands.clear()
    drive_everything(live, world)
    queries, scans = live.run(collection_scans(live.ctx.db, recorder.commands, WHOLE))
    assert len(queries) > 40, [str(q) for q in queries]  # the workload reached the code
    assert any(q.collection == "order_events" for q in queries)  # and the archived timeline
    assert not scans, "collection scans:\n" + "\n".join(str(q) for q in scans)


def test_the_check_fails_on_an_unindexed_query(live, recorder):
    """The detector itself: a query on a field no index starts with is reported."""
    ctx = live.ctx

    async def unindexed() -> None:
        await ctx.db.orders.find_one({"description": "没有索引的字段"})
        await ctx.db.orders.find_one({"_id": "indexed"})
        await ctx.db.orders.update_one({"address": "也没有索引"}, {"$set": {"x": 1}})

    recorder.commands.clear()
    live.run(unindexed())
    queries, scans = live.run(collection_scans(ctx.db, recorder.commands, WHOLE))
    assert len(queries) == 3
    assert sorted(q.filter.get("description") or q.filter.get("address") for q in scans) == [
        "也没有索引",
        "没有索引的字段",
    ]
