"""Demo data for a first run: a small city, its branches, people and orders in every state.

Everything is created through the model services, so the demo ledger is a real ledger.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from models import orders
from models.core.context import Context
from models.orders import catalogue
from models.people import orgs
from models.people.users import Actor, create_user

DEMO_PASSWORD = "tongxin-demo-2026"

CATEGORIES = [
    ("appliance", "家电维修", ["家电维修", "电工"], 10, 2.0, 48, "空调、洗衣机、热水器等上门维修"),
    ("legal", "法律咨询", ["法律"], 8, 1.0, 72, "婚姻家庭、劳动纠纷、合同等咨询"),
    ("clinic", "义诊", ["医疗", "护理"], 12, 3.0, 72, "测血压血糖、健康咨询"),
    ("elderly", "助老", ["助老", "陪护"], 6, 2.0, 24, "代买代办、陪同就医、上门探望"),
    ("counsel", "心理疏导", ["心理咨询"], 10, 1.5, 72, "情绪疏导、家庭关系调解"),
    ("tutor", "课业辅导", ["教育"], 6, 2.0, 72, "中小学生课业辅导"),
]

MEMBERS = [
    ("王建国", "正式党员", ["家电维修", "电工"]),
    ("李秀英", "正式党员", ["助老", "陪护"]),
    ("张伟", "预备党员", ["法律"]),
    ("刘芳", "正式党员", ["医疗", "护理"]),
    ("陈明", "发展对象", ["教育"]),
    ("杨丽", "积极分子", ["心理咨询", "助老"]),
    ("赵强", "正式党员", ["家电维修"]),
    ("黄敏", "入党申请人", ["教育", "助老"]),
    ("周杰", "正式党员", ["法律", "心理咨询"]),
    ("吴婷", "预备党员", ["医疗"]),
    ("徐磊", "正式党员", ["电工", "家电维修"]),
    ("孙燕", "积极分子", ["陪护", "护理"]),
]


def _point(base: tuple[float, float], rng: random.Random) -> dict[str, Any]:
    return {
        "type": "Point",
        "coordinates": [
            round(base[0] + rng.uniform(-0.01, 0.01), 6),
            round(base[1] + rng.uniform(-0.01, 0.01), 6),
        ],
    }


async def seed_catalogue(ctx: Context) -> None:
    """The demo service catalogue (家电维修, 法律咨询, 义诊, 助老, 心理疏导, 课业辅导)."""
    for code, name, skills, points, hours, sla, desc in CATEGORIES:
        await catalogue.create_category(
            ctx,
            code=code,
            name=name,
            skills=skills,
            base_points=points,
            service_hours=hours,
            sla_hours=sla,
            description=desc,
        )


async def seed_demo(ctx: Context) -> bool:
    """Creates the demo world in an empty database; returns False if data already exists."""
    if await ctx.db.orgs.count_documents({}, limit=1):
        return False
    rng = random.Random(2026)
    city = await orgs.create_org(ctx, "同心市", "city")
    district = await orgs.create_org(ctx, "和平区", "district", city["_id"])
    street = await orgs.create_org(ctx, "幸福街道", "street", district["_id"])
    centres = [(116.397, 39.909), (116.412, 39.915)]
    branches = []
    for ci, cname in enumerate(["阳光社区", "春风社区"]):
        community = await orgs.create_org(ctx, cname, "community", street["_id"])
        for bname in ("第一党支部", "第二党支部"):
            branch = await orgs.create_org(
                ctx, f"{cname}{bname}", "branch", community["_id"], location=centres[ci]
            )
            branches.append((branch, centres[ci]))
    await seed_catalogue(ctx)
    await create_user(
        ctx,
        role="admin",
        name="街道党工委管理员",
        org_id=street["_id"],
        username="street-admin",
        password=DEMO_PASSWORD,
        openid="demo-street-admin",
    )
    secretaries = []
    for i, (branch, _) in enumerate(branches, start=1):
        secretaries.append(
            await create_user(
                ctx,
                role="secretary",
                name=f"{branch['name']}书记",
                org_id=branch["_id"],
                username=f"secretary{i}",
                password=DEMO_PASSWORD,
                openid=f"demo-secretary-{i}",
            )
        )
    members = []
    for i, (name, status, skills) in enumerate(MEMBERS):
        branch, centre = branches[i % len(branches)]
        members.append(
            await create_user(
                ctx,
                role="member",
                name=name,
                org_id=branch["_id"],
                openid=f"demo-member-{i + 1}",
                party_status=status,
                skills=skills,
                home_location=_point(centre, rng),
                phone=f"1380000{i + 1:04d}",
            )
        )
    residents = [
        await create_user(
            ctx,
            role="resident",
            name=name,
            openid=f"demo-resident-{i + 1}",
            phone=f"1390000{i + 1:04d}",
        )
        for i, name in enumerate(["林阿姨", "郑大爷", "何女士", "马先生"])
    ]
    await _demo_orders(ctx, rng, branches, secretaries, members, residents)
    await _demo_activities(ctx, branches, secretaries, members)
    return True


async def _demo_activities(
    ctx: Context,
    branches: list[tuple[dict[str, Any], tuple[float, float]]],
    secretaries: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> None:
    """A few activities of the first branch in every state, with sign-ups and attendance:
    one open for sign-up (nearly full, a waiting list), one under way (checked in), one
    ended and settled, a 支部党员大会 with 出席/请假/缺席 and minutes, a draft."""
    from datetime import timedelta

    from models import activities
    from models.people.users import Actor

    branch, centre = branches[0]
    sec = Actor.from_user(secretaries[0])
    crew = [Actor.from_user(m) for m in members if m["org_id"] == branch["_id"]]
    now = ctx.now()
    site = {"type": "Point", "coordinates": list(centre)}

    async def make(title: str, kind: str, start: Any, hours: float, **extra: Any) -> Any:
        return await activities.create_activity(
            ctx,
            sec,
            {
                "org_id": branch["_id"],
                "kind": kind,
                "title": title,
                "description": extra.pop("description", ""),
                "address": extra.pop("address", "阳光社区党群服务中心"),
                "location": site,
                "radius_m": 300,
                "start_at": start,
                "end_at": start + timedelta(hours=hours),
                **extra,
            },
        )

    async def fetch(activity_id: Any) -> dict[str, Any]:
        doc = await ctx.db.activities.find_one({"_id": activity_id})
        assert doc is not None
        return doc

    async def shift(act: Any, start: Any) -> None:
        span = act["end_at"] - act["start_at"]
        times = {"start_at": start, "end_at": start + span}
        await ctx.db.activities.update_one(
            {"_id": act["_id"]}, {"$set": {**times, "signup_closes_at": start}}
        )
        await ctx.db.activity_signups.update_many({"activity_id": act["_id"]}, {"$set": times})

    soon = now + timedelta(days=3)
    open_one = await make(
        "社区环境清洁日",
        "volunteer",
        soon.replace(minute=0, second=0, microsecond=0),
        3,
        capacity=max(2, len(crew) - 1),
        points_mode="per_hour",
        points_value=2,
        publish=True,
        description="清理楼道杂物和绿化带垃圾，请穿运动鞋，手套和垃圾袋由社区提供。",
    )
    for m in crew:
        await activities.sign_up(ctx, m, open_one["_id"])
    live = await make(
        "重阳节探访独居老人",
        "volunteer",
        now + timedelta(days=1),
        2,
        points_mode="fixed",
        points_value=5,
        publish=True,
        open_to_residents=True,
    )
    for m in crew[:3]:
        await activities.sign_up(ctx, m, live["_id"])
    await shift(live, now - timedelta(minutes=40))
    await activities.start_activity(ctx, await fetch(live["_id"]))
    for m in crew[:2]:
        await activities.correct(
            ctx,
            sec,
            live["_id"],
            {
                "member_id": m.id,
                "action": "checkin",
                "at": now - timedelta(minutes=35),
                "reason": "演示数据：现场补签",
            },
        )
    done = await make(
        "义诊进社区",
        "volunteer",
        now + timedelta(days=2),
        3,
        points_mode="per_hour",
        points_value=2,
        publish=True,
    )
    for m in crew[:4]:
        await activities.sign_up(ctx, m, done["_id"])
    start = now - timedelta(days=6)
    await shift(done, start)
    for i, m in enumerate(crew[:3]):
        await activities.correct(
            ctx,
            sec,
            done["_id"],
            {
                "member_id": m.id,
                "action": "checkin",
                "at": start + timedelta(minutes=10 * i),
                "reason": "演示数据",
            },
        )
        if i < 2:
            await activities.correct(
                ctx,
                sec,
                done["_id"],
                {
                    "member_id": m.id,
                    "action": "checkout",
                    "at": start + timedelta(hours=2, minutes=40),
                    "reason": "演示数据",
                },
            )
    await activities.end_activity(ctx, await fetch(done["_id"]))
    await activities.settle(ctx, sec, done["_id"])
    meeting = await make(
        "第四季度支部党员大会",
        "branch_assembly",
        now + timedelta(days=2),
        2,
        publish=True,
        address="阳光社区党员活动室",
    )
    await shift(meeting, now - timedelta(days=10))
    for m, mark in zip(crew, ["出席", "出席", "请假", "缺席"], strict=False):
        await activities.correct(
            ctx,
            sec,
            meeting["_id"],
            {
                "member_id": m.id,
                "action": "mark",
                "attendance": mark,
                "reason": "因公出差" if mark == "请假" else "会议签到",
            },
        )
    await activities.edit_activity(
        ctx, sec, meeting["_id"], {"minutes": "传达学习上级会议精神；讨论确定两名发展对象。"}
    )
    await activities.end_activity(ctx, await fetch(meeting["_id"]))
    await activities.settle(ctx, sec, meeting["_id"])
    await make("主题党日：参观红色教育基地", "party_day", now + timedelta(days=10), 4)


async def _demo_orders(
    ctx: Context,
    rng: random.Random,
    branches: list[tuple[dict[str, Any], tuple[float, float]]],
    secretaries: list[dict[str, Any]],
    members: list[dict[str, Any]],
    residents: list[dict[str, Any]],
) -> None:
    cats = list((await catalogue.active_categories(ctx)).values())
    stages = [
        "submitted",
        "submitted",
        "dispatched",
        "accepted",
        "in_service",
        "completed",
        "closed",
        "closed",
        "closed",
        "cancelled",
    ]
    for n, stage in enumerate(stages):
        bi = n % len(branches)
        branch, centre = branches[bi]
        resident = Actor.from_user(residents[n % len(residents)])
        secretary = Actor.from_user(secretaries[bi])
        cat = cats[n % len(cats)]
        order, _ = await orders.place_order(
            ctx,
            resident,
            {
                "category_id": cat["_id"],
                "org_id": branch["_id"],
                "description": f"需要{cat['name']}服务，麻烦尽快联系。",
                "address": f"{branch['name'][:4]}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元",
                "location": _point(centre, rng),
                "photos": [],
            },
        )
        if stage in ("submitted", "cancelled"):
            if stage == "cancelled":
                await orders.cancel_order(ctx, resident, order["_id"], "已自行解决")
            continue
        volunteer = next(m for m in members if m["org_id"] == branch["_id"])
        await orders.dispatch_order(
            ctx,
            secretary,
            order["_id"],
            {"volunteer_ids": [volunteer["_id"]], "due_at": ctx.now() + timedelta(days=2)},
        )
        if stage == "dispatched":
            continue
        member = Actor.from_user(volunteer)
        await orders.accept_order(ctx, member, order["_id"])
        if stage == "accepted":
            continue
        await orders.start_order(ctx, member, order["_id"])
        if stage == "in_service":
            continue
        await orders.complete_order(ctx, member, order["_id"], {"note": "已上门处理完毕。"})
        if stage == "completed":
            continue
        await orders.confirm_order(
            ctx,
            resident,
            order["_id"],
            {"rating": rng.choice([4, 5, 5]), "comment": "很及时，谢谢！"},
        )
