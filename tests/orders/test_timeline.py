"""The order timeline stays bounded: the newest `orders.timeline_embedded` events on the
order, the older ones archived in the same transaction — the whole history, in order, once."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import pytest
from bson import ObjectId

from models import orders
from models.ops.checks import run_checks
from models.orders import notices, timeline
from models.people import privacy
from models.people.users import create_user
from tests.live import signed_in

CAP = 4


@pytest.fixture
def config(config):  # a small cap: the archive is reached in a few transitions
    return config.replace(orders={"timeline_embedded": CAP, "escalate_after_declines": 100})


async def volunteers(api: Any, ctx: Any, world: Any, n: int) -> list[tuple[str, str]]:
    """n members of A1 (id, token): each may decline an order once."""
    out = []
    for _ in range(n):
        openid = f"tl-{ObjectId()}"
        user = await create_user(
            ctx, role="member", name="队员", org_id=world.orgs["A1"]["_id"], openid=openid
        )
        out.append((str(user["_id"]), await api.login(openid)))
    return out


async def history(ctx: Any, oid: ObjectId) -> list[dict[str, Any]]:
    """Archive + embedded, straight from the collections, with each event's seq."""
    order = await ctx.db.orders.find_one({"_id": oid})
    archived = await ctx.db.order_events.find({"order_id": oid}).sort("seq", 1).to_list(None)
    first = order.get("timeline_archived", 0)
    assert [e["seq"] for e in archived] == list(range(first)), "archive: seq 0 … n−1, no gap"
    assert len(order["timeline"]) <= CAP
    return [*archived, *order["timeline"]]


@pytest.mark.gen_test(timeout=120)
async def test_long_history_is_capped_and_archived_whole(api, world, ctx):
    oid = await world.order_in("submitted")
    sec = await api.login("openid-sec_a1")
    m1 = await api.login("openid-m1")
    member = str(world.id("m1"))
    for i, (vid, token) in enumerate(await volunteers(api, ctx, world, 6)):
        status, body = await api.post(
            f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [vid]}, token=sec
        )
        assert status == 200, body
        status, body = await api.post(
            f"/api/v1/orders/{oid}/decline", {"reason": f"第{i}次：时间冲突"}, token=token
        )
        assert status == 200, body
    for action in ("dispatch", "accept", "start", "complete"):
        body = {"volunteer_ids": [member]} if action == "dispatch" else {}
        if action == "complete":
            body = {"note": "已修好"}
        status, answer = await api.post(
            f"/api/v1/orders/{oid}/{action}", body, token=sec if action == "dispatch" else m1
        )
        assert status == 200, answer
    owner = await api.login("openid-owner")
    status, answer = await api.post(f"/api/v1/orders/{oid}/confirm", {"rating": 5}, token=owner)
    assert status == 200, answer

    events = await history(ctx, oid)
    actions = [e["action"] for e in events]
    assert actions == (
        ["submit"]
        + ["dispatch", "decline"] * 6
        + ["dispatch", "accept", "start", "complete", "confirm"]
    )
    notes = [e["note"] for e in events if e["action"] == "decline"]
    assert notes == [f"第{i}次：时间冲突；无可接单队员，待重新派单" for i in range(6)]
    times = [e["at"] for e in events]
    assert times == sorted(times)
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["timeline_archived"] == len(events) - len(order["timeline"]) > 0
    assert order["version"] == len(events) - 1  # event i made version i

    # the order view: the recent events and the counts
    status, view = await api.get(f"/api/v1/orders/{oid}", token=owner)
    assert status == 200
    recent = len(order["timeline"])
    assert [e["action"] for e in view["timeline"]] == actions[-recent:]
    assert (view["timeline_total"], view["timeline_archived"]) == (
        len(events),
        len(events) - recent,
    )

    # the history endpoint pages the whole of it, newest first, each event once
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(20):
        status, page = await api.get(
            f"/api/v1/orders/{oid}/timeline?limit=5" + (f"&cursor={cursor}" if cursor else ""),
            token=sec,
        )
        assert status == 200, page
        assert page["timeline_total"] == len(events)
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["seq"] for e in seen] == list(range(len(events) - 1, -1, -1))
    assert [e["action"] for e in reversed(seen)] == actions
    assert (await run_checks_named(ctx, "order_timelines")) == []


async def run_checks_named(ctx: Any, name: str) -> list[dict[str, Any]]:
    return next(o.problems for o in await run_checks(ctx) if o.check.name == name)


def plain(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("_id", "order_id", "seq")} for e in events]


@pytest.mark.gen_test(timeout=120)
async def test_racing_actors_archive_once(api, world, ctx):
    """Past the cap, every transition is raced by two actors (two secretaries dispatching,
    a volunteer's double tap declining): one wins each time, the other gets 409, and the
    history grows by exactly that one event — the archived ones unchanged and once."""
    oid = await world.order_in("submitted")
    sec_a1 = await api.login("openid-sec_a1")
    sec_a = await api.login("openid-sec_a")
    before = plain(await history(ctx, oid))
    for i, (vid, token) in enumerate(await volunteers(api, ctx, world, 5)):
        for path, body, tokens in (
            ("dispatch", {"volunteer_ids": [vid]}, (sec_a1, sec_a)),
            ("decline", {"reason": f"冲突{i}"}, (token, token)),
        ):
            results = await asyncio.gather(
                *(api.post(f"/api/v1/orders/{oid}/{path}", body, token=t) for t in tokens)
            )
            assert sorted(s for s, _ in results) == [200, 409], (i, results)
            after = plain(await history(ctx, oid))
            assert after[: len(before)] == before, "archived events kept as they were"
            assert len(after) == len(before) + 1
            before = after
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["version"] == len(before) - 1 == 10
    assert order["timeline_archived"] == len(before) - len(order["timeline"])
    assert await ctx.db.order_events.count_documents({"order_id": oid}) == len(before) - len(
        order["timeline"]
    )
    assert (await run_checks_named(ctx, "order_timelines")) == []


async def bounce(
    api: Any, oid: ObjectId, sec: str, crew: list[tuple[str, str]], first: str, ctx: Any = None
) -> None:
    """Dispatch to each volunteer in turn, who declines: two events a volunteer (with `ctx`,
    the notifier runs in between, as it does every few seconds: the volunteer is told)."""
    for i, (vid, token) in enumerate(crew):
        status, body = await api.post(
            f"/api/v1/orders/{oid}/dispatch", {"volunteer_ids": [vid]}, token=sec
        )
        assert status == 200, body
        if ctx is not None:
            await notices.run_notifier(ctx)
        reason = first if i == 0 else f"第{i}次：时间冲突"
        status, body = await api.post(
            f"/api/v1/orders/{oid}/decline", {"reason": reason}, token=token
        )
        assert status == 200, body


@pytest.mark.gen_test(timeout=120)
async def test_history_masked_exported_and_erased_like_the_order(api, world, ctx):
    oid = await world.order_in("submitted")
    sec = await api.login("openid-sec_a1")
    owner = await api.login("openid-owner")
    crew = await volunteers(api, ctx, world, 4)
    await bounce(api, oid, sec, crew, "REVIEW 第0次：临时有事", ctx)  # held for review
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["timeline_archived"] == 6  # the held decline (seq 2) is archived

    # masking as in the order view: the resident sees held decline notes held, staff the text
    status, mine = await api.get(f"/api/v1/orders/{oid}/timeline?limit=100", token=owner)
    assert status == 200 and mine["next_cursor"] is None
    assert {e["note"] for e in mine["items"] if e["action"] == "decline"} == {"（内容审核中）"}
    status, staff = await api.get(f"/api/v1/orders/{oid}/timeline?limit=100", token=sec)
    assert [e["note"].split("；")[0] for e in staff["items"] if e["seq"] == 2] == [
        "REVIEW 第0次：临时有事"
    ]
    # out of scope: 404, as for the order; a cursor of another order is refused
    other = await api.login("openid-other")
    status, body = await api.get(f"/api/v1/orders/{oid}/timeline", token=other)
    assert status == 404 and body["error"]["code"] == "order_not_found"
    status, body = await api.get(
        f"/api/v1/orders/{oid}/timeline?cursor=0.3.{ObjectId()}", token=owner
    )
    assert status == 400 and "cursor" in body["error"]["fields"]

    # my data: the whole history of the orders I placed, the archived events first
    status, export = await api.get("/api/v1/me/export", token=owner)
    assert status == 200
    placed = next(o for o in export["orders_placed"] if o["_id"] == str(oid))
    assert [e["action"] for e in placed["timeline"]] == ["submit"] + ["dispatch", "decline"] * 4

    # erasure: the volunteer's archived decline loses their name and note, like embedded ones
    status, _ = await api.call("DELETE", "/api/v1/me", token=crew[0][1])
    assert status == 200
    gone = await ctx.db.order_events.find_one({"order_id": oid, "seq": 2})
    assert (gone["actor_name"], gone["note"]) == (privacy.ERASED_NAME, privacy.ERASED_TEXT)
    kept = await ctx.db.order_events.find_one({"order_id": oid, "seq": 4})
    assert kept["note"].startswith("第1次")
    status, _ = await api.call("DELETE", "/api/v1/me", token=owner)
    assert status == 200
    first = await ctx.db.order_events.find_one({"order_id": oid, "seq": 0})
    assert first["actor_name"] == privacy.ERASED_NAME
    assert (await run_checks_named(ctx, "order_timelines")) == []


@pytest.mark.gen_test(timeout=120)
async def test_notifier_tells_events_archived_before_it_ran(api, world, ctx):
    """The notifier fell behind by more than the cap: the archived events are told too
    (notice key and audit key keep the event's place in the history)."""
    oid = await world.order_in("submitted")
    await ctx.db.orders.update_one({"_id": oid}, {"$set": {"notified_version": 0}})
    sec = await api.login("openid-sec_a1")
    crew = await volunteers(api, ctx, world, 3)
    await bounce(api, oid, sec, crew, "第0次：时间冲突")
    order = await ctx.db.orders.find_one({"_id": oid})
    assert order["timeline_archived"] == 3 and order.get("notified_version") == 0
    await notices.run_notifier(ctx)
    staff = world.id("sec_a1")
    for i in range(3):  # events 1, 2 (archived) … 6: dispatch (audited), decline (staff told)
        assert await ctx.db.audit_log.find_one({"key": f"order:{oid}:{1 + 2 * i}"})
        assert await ctx.db.notifications.find_one({"key": f"order:{oid}:e{2 + 2 * i}:{staff}"})
    await notices.run_notifier(ctx)  # nothing twice
    assert await ctx.db.notifications.count_documents({"order_id": oid}) == 3
    assert (await ctx.db.orders.find_one({"_id": oid}))["notified_version"] == 6


@pytest.mark.gen_test(timeout=60)
async def test_sla_escalation_reads_the_timeline_it_caps(world, ctx):
    """A transition given an order read without its timeline (the SLA job's light read)
    still archives what falls off, at the version it read."""
    oid = await world.order_in("submitted")
    sec = world.actor("sec_a1")
    for name in ("m1", "m2", "m3"):  # 7 events: 3 archived, 4 on the order (the cap)
        await orders.dispatch_order(ctx, sec, oid, {"volunteer_ids": [world.id(name)]})
        await orders.decline_order(ctx, world.actor(name), oid, "时间冲突")
    light = await ctx.db.orders.find_one({"_id": oid}, {"timeline": 0})
    assert light["status"] == "submitted" and "timeline" not in light
    assert light["timeline_archived"] == 3
    escalated = await orders.escalate_order(ctx, light, "超时未派单")
    assert escalated is not None and escalated["timeline_archived"] == 6
    assert len(escalated["timeline"]) == 2
    events = await history(ctx, oid)
    assert [e["action"] for e in events] == [
        "submit",
        *["dispatch", "decline"] * 3,
        "escalate",
    ]


@pytest.mark.slow  # seeds the whole demo
@pytest.mark.gen_test(timeout=180)
async def test_demo_has_an_order_with_archived_events(ctx):
    from server.demo import seed_demo

    ctx.wechat = None
    assert await seed_demo(ctx)
    long = await ctx.db.orders.find_one({"address": "阳光社区8号楼2单元"})
    assert long is not None and long["timeline_archived"] > 0
    assert timeline.total(long) == 25
    assert [e["action"] for e in await timeline.full_history(ctx, long)] == ["submit"] + [
        "dispatch",
        "decline",
    ] * 12
    assert (await run_checks_named(ctx, "order_timelines")) == []


def test_admin_order_page_links_the_archived_events(live, staff):
    """/admin/orders/{id}: the recent events, then 查看更早的记录 → the archive, paged."""
    ctx = live.ctx

    async def long_order() -> ObjectId:
        oid = await staff.order_in("submitted")
        sec = staff.actor("sec_a1")
        for name in ("m1", "m2", "m3"):
            await orders.dispatch_order(ctx, sec, oid, {"volunteer_ids": [staff.id(name)]})
            await orders.decline_order(ctx, staff.actor(name), oid, f"{name} 不在家")
        return oid

    oid = live.run(long_order())
    admin = signed_in(live, "sec-a1")
    page = admin.get(f"/admin/orders/{oid}")
    assert page.status_code == 200
    assert "查看更早的记录（3 条）" in page.text and "共 7 条" in page.text
    link = re.search(r'href="(/admin/orders/[0-9a-f]+/timeline\?cursor=[^"]+)"', page.text)
    assert link is not None
    earlier = admin.get(html.unescape(link.group(1)))
    assert earlier.status_code == 200
    seqs = [int(s) for s in re.findall(r'data-seq="(\d+)"', earlier.text)]
    assert seqs == [2, 1, 0] and "m1 不在家" in earlier.text
    assert "回到最新的记录" in earlier.text  # a later page leads back to the newest
    whole = admin.get(f"/admin/orders/{oid}/timeline")
    assert [int(s) for s in re.findall(r'data-seq="(\d+)"', whole.text)] == list(range(6, -1, -1))
    assert "回到最新的记录" not in whole.text  # the newest page does not link to itself
    outsider = signed_in(live, "sec-b1")
    assert outsider.get(f"/admin/orders/{oid}/timeline").status_code == 404
