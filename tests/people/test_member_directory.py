"""The admin member list: keyset pages by join time, search by a name character or phone
digits through indexed search keys, and the per-node member counter (共 N 名) kept by every
write that changes membership, with its consistency check and repair."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from models.core import excel
from models.ops import checks
from models.people import directory, membership, privacy, registrations, roster
from models.people.users import create_user
from server.errors import Conflict
from tests.live import signed_in


async def add_member(ctx: Any, world: Any, name: str, org: str = "A1", **extra: Any) -> dict:
    return await create_user(
        ctx,
        role="member",
        name=name,
        org_id=world.orgs[org]["_id"],
        openid=f"openid-{name}-{extra.get('phone', '')}",
        **extra,
    )


async def all_pages(ctx: Any, node: Any, limit: int, **filters: Any) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        page = await directory.member_page(ctx, node, cursor=cursor, limit=limit, **filters)
        pages.append(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 50, "the pages never end"


async def counts(ctx: Any, world: Any, *nodes: str) -> list[int]:
    return [await membership.total(ctx, world.orgs[n]["_id"]) for n in nodes]


@pytest.mark.gen_test(timeout=60)
async def test_pages_have_no_gaps_or_duplicates_with_equal_join_times(world, ctx, clock):
    a1 = world.orgs["A1"]["_id"]
    made = []
    for i in range(7):  # seven members joined in the same millisecond
        made.append(await add_member(ctx, world, f"同时{i}"))
    clock.move(hours=2)
    for i in range(4):
        clock.move(minutes=1)
        made.append(await add_member(ctx, world, f"后来{i}"))
    pages = await all_pages(ctx, a1, 3)
    ids = [r["_id"] for page in pages for r in page]
    everyone = {u["_id"] for u in made} | {world.id(k) for k in ("m1", "m2", "m3")}
    assert len(ids) == len(set(ids)), "a member was shown twice"
    assert set(ids) == everyone, "a member was skipped"
    assert all(len(p) == 3 for p in pages[:-1])
    keys = [(r["joined_at"], r["_id"]) for page in pages for r in page]
    assert keys == sorted(keys, reverse=True), "not newest-joined first"
    assert [r["name"] for r in pages[0]] == ["后来3", "后来2", "后来1"]
    # another branch's members never appear
    assert world.id("m_a2") not in ids and world.id("m_b1") not in ids
    # 上一页 from the last page walks back through the same pages
    last = await directory.member_page(ctx, a1, cursor=None, limit=3)
    forward = [last.rows]
    while last.next_cursor is not None:
        last = await directory.member_page(ctx, a1, cursor=last.next_cursor, limit=3)
        forward.append(last.rows)
    backward = [last.rows]
    page = last
    while page.before is not None:
        page = await directory.member_page(ctx, a1, before=page.before, limit=3)
        backward.append(page.rows)
    assert [[r["_id"] for r in p] for p in backward[::-1]] == [
        [r["_id"] for r in p] for p in forward
    ]


@pytest.mark.gen_test(timeout=60)
async def test_search_by_a_name_character_or_phone_digits(world, ctx, clock):
    a1, street = world.orgs["A1"]["_id"], world.orgs["street"]["_id"]
    wang = await add_member(ctx, world, "王小明", phone="13800001234")
    li = await add_member(ctx, world, "李 王芳", phone="13900005678", party_status="积极分子")
    await add_member(ctx, world, "张三", phone="13700009012")
    other = await add_member(ctx, world, "王大力", "B1", phone="13600001234")

    async def found(node: Any, **f: Any) -> set:
        return {r["_id"] for page in await all_pages(ctx, node, 2, **f) for r in page}

    assert await found(a1, q="王") == {wang["_id"], li["_id"]}
    assert await found(street, q="王") == {wang["_id"], li["_id"], other["_id"]}
    assert await found(a1, q="小明") == {wang["_id"]}
    assert await found(a1, q="王芳") == {li["_id"]}  # the space in the name is ignored
    assert await found(a1, q="王小明") == {wang["_id"]}
    assert await found(a1, q="明王") == set()
    assert await found(a1, q="1234") == {wang["_id"]}
    assert await found(street, q="1234") == {wang["_id"], other["_id"]}
    assert await found(a1, q="0000567") == {li["_id"]}  # any 4+ digits of the number
    assert await found(a1, q="13800001234") == {wang["_id"]}
    assert await found(a1, q="王", party_status="积极分子") == {li["_id"]}
    assert await found(a1, q="队员", skill="电工") == {world.id("m3")}
    assert await found(a1, party_status="积极分子") == {li["_id"]}


@pytest.mark.gen_test(timeout=60)
async def test_the_search_reads_an_index_range(world, ctx):
    await add_member(ctx, world, "王小明", phone="13800001234")
    for base in (
        {"org_path": world.orgs["A1"]["_id"], "role": "member", "deleted_at": None},
        {"search_keys": "王", "role": "member", "deleted_at": None},
    ):
        now = ctx.now()
        query = {**base, "joined_at": {"$gte": now - timedelta(days=1), "$lt": now}}
        plan = await ctx.db.users.find(query).explain()
        assert "COLLSCAN" not in str(plan), plan


def roster_file(rows: list[tuple[str, str, str]]) -> bytes:
    lines = [[name, phone, branch, "正式党员", "助老"] for name, phone, branch in rows]
    return excel.workbook_bytes("队员名册", [h for h, _, _ in roster.COLUMNS], lines)


@pytest.mark.gen_test(timeout=90)
async def test_the_counter_follows_approve_import_transfer_and_erase(world, ctx, clock):
    from models import transfers

    assert await counts(ctx, world, "A1", "A", "street", "B1") == [3, 4, 5, 1]
    sec_a1 = world.actor("sec_a1")
    # a resident applies and is approved: +1 on A1 and above
    reg = await registrations.register(
        ctx,
        world.actor("other"),
        {"org_id": world.orgs["A1"]["_id"], "name": "郑大爷", "party_status": "正式党员"},
    )
    await registrations.approve(ctx, sec_a1, reg["_id"])
    assert await counts(ctx, world, "A1", "A", "street") == [4, 5, 6]
    # a member moving to another branch by registration: counted once, in the new place
    m1 = world.actor("m1")
    reg = await registrations.register(
        ctx, m1, {"org_id": world.orgs["A2"]["_id"], "name": "队员1", "party_status": "正式党员"}
    )
    await registrations.approve(ctx, world.actor("sec_a"), reg["_id"])
    assert await counts(ctx, world, "A1", "A2", "A", "street") == [3, 2, 5, 6]
    # a roster import of two members
    result = await roster.import_roster(
        ctx,
        sec_a1,
        roster_file(
            [
                ("导入甲", "13500000001", "阳光社区第一党支部"),
                ("导入乙", "13500000002", "阳光社区第一党支部"),
            ]
        ),
        "名册.xlsx",
    )
    assert not result.get("errors"), result
    assert await counts(ctx, world, "A1", "A", "street") == [5, 7, 8]
    # a transfer from A1 to B1
    admin = world.actor("admin")
    t = await transfers.request_transfer(
        ctx, admin, {"member_id": world.id("m2"), "to_org_id": world.orgs["B1"]["_id"]}
    )
    await transfers.approve(ctx, admin, t["_id"])
    await transfers.accept(ctx, admin, t["_id"])
    assert await counts(ctx, world, "A1", "A", "B1", "street") == [4, 6, 2, 8]
    # a member erases their account
    await world.refresh("m3")
    await privacy.erase_me(ctx, world.actor("m3"))
    assert await counts(ctx, world, "A1", "A", "street") == [3, 5, 7]
    # and every counter agrees with a recount
    assert await membership.count_drift(ctx) == []
    names = {r["name"] for p in await all_pages(ctx, world.orgs["A1"]["_id"], 50) for r in p}
    assert names == {"郑大爷", "导入甲", "导入乙"}


@pytest.mark.gen_test(timeout=90)
async def test_racing_membership_writes_keep_the_counter_exact(world, ctx):
    sec_a1 = world.actor("sec_a1")
    reg = await registrations.register(
        ctx,
        world.actor("other"),
        {"org_id": world.orgs["A1"]["_id"], "name": "郑大爷", "party_status": "正式党员"},
    )
    results = await asyncio.gather(
        registrations.approve(ctx, sec_a1, reg["_id"]),
        registrations.approve(ctx, world.actor("sec_a"), reg["_id"]),
        roster.import_roster(
            ctx, sec_a1, roster_file([("并发甲", "13500000011", "阳光社区第一党支部")]), "a.xlsx"
        ),
        roster.import_roster(
            ctx, sec_a1, roster_file([("并发甲", "13500000011", "阳光社区第一党支部")]), "b.xlsx"
        ),
        return_exceptions=True,
    )
    approvals = [r for r in results[:2] if not isinstance(r, BaseException)]
    assert len(approvals) == 1, results
    assert all(isinstance(r, Conflict) for r in results[:2] if isinstance(r, BaseException))
    imports = [r for r in results[2:] if isinstance(r, dict) and not r.get("errors")]
    assert len(imports) == 1, results  # one phone, one member
    assert await counts(ctx, world, "A1", "A", "street") == [5, 6, 7]
    assert await membership.count_drift(ctx) == []


@pytest.mark.gen_test(timeout=60)
async def test_the_check_finds_and_repairs_counter_drift(world, ctx):
    a1 = world.orgs["A1"]["_id"]
    # a member written straight into the collection (as an old release or a hand fix would)
    await ctx.db.users.update_one({"_id": world.id("m1")}, {"$set": {"deleted_at": ctx.now()}})
    b1 = world.orgs["B1"]["_id"]
    await ctx.db.member_counts.update_one({"_id": b1}, {"$inc": {"members": 5}})
    outcomes = {o.check.name: o for o in await checks.run_checks(ctx, repair=True)}
    problems = outcomes["member_counts"].problems
    drifted = {p["node"]: (p["cached"], p["found"]) for p in problems}
    assert drifted[a1] == (3, 2) and drifted[b1] == (6, 1)
    assert outcomes["member_counts"].repaired == len(problems)
    assert await membership.count_drift(ctx) == []
    assert await counts(ctx, world, "A1", "B1", "street") == [2, 1, 4]


@pytest.mark.gen_test(timeout=60)
async def test_the_migration_fills_keys_join_times_and_counters(world, ctx):
    await ctx.db.users.update_many({}, {"$unset": {"search_keys": "", "joined_at": ""}})
    await ctx.db.member_counts.delete_many({})
    done = await membership.fill_directory(ctx)
    assert done["keys"] == len(world.users) and done["joined"] == 5 and done["nodes"] > 0
    assert await counts(ctx, world, "A1", "street") == [3, 5]
    page = await directory.member_page(ctx, world.orgs["A1"]["_id"], q="队员2")
    assert [r["_id"] for r in page.rows] == [world.id("m2")]


def test_the_member_pages_in_the_admin(live, staff):
    ctx = live.ctx
    for i in range(52):
        live.run(add_member(ctx, staff, f"批量{i:02d}", phone=f"1350000{i:04d}"))
    a = signed_in(live, "sec-a1")
    first = a.get("/admin/members").text
    assert "共 55 名队员" in first and "回到第一页" not in first
    assert first.count("/admin/members/") >= 50 and "批量51" in first and "队员1" not in first
    start = first.index('href="?cursor=') + len('href="?')
    link = first[start : first.index('"', start)].replace("&amp;", "&")
    second = a.get(f"/admin/members?{link}").text
    assert "回到第一页" in second and "上一页" in second and "下一页" not in second
    assert "队员1" in second and "批量51" not in second and "共 55 名队员" in second
    start = second.index('href="?before=') + len('href="?')
    link = second[start : second.index('"', start)].replace("&amp;", "&")
    back = a.get(f"/admin/members?{link}").text
    assert "批量51" in back and "队员1" not in back and "上一页" not in back
    # a search narrow enough for one page says how many; a wide one says "more than a page"
    assert "符合条件的共 1 名队员" in a.get("/admin/members?q=批量07").text
    wide = a.get("/admin/members?q=批量").text
    assert "多于 50 名" in wide and "下一页" in wide
    assert "批量03" in a.get("/admin/members?q=0003").text
    bad = a.get("/admin/members?cursor=nonsense")
    assert bad.status_code == 400


@pytest.mark.slow  # seeds the whole demo
@pytest.mark.gen_test(timeout=120)
async def test_the_demo_lists_its_members_with_exact_counters(ctx):
    from server.demo import seed_demo

    assert await seed_demo(ctx)
    assert await membership.count_drift(ctx) == []
    street = await ctx.db.orgs.find_one({"type": "street"})
    members = await ctx.db.users.count_documents(
        {"role": "member", "deleted_at": None, "org_path": street["_id"]}
    )
    assert members > 0 and await membership.total(ctx, street["_id"]) == members
    page = await directory.member_page(ctx, street["_id"], limit=100)
    assert len(page.rows) == members
    somebody = page.rows[0]["name"]
    found = await directory.member_page(ctx, street["_id"], q=somebody[-1])
    assert somebody in {r["name"] for r in found.rows}
