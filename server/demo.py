"""Demo data for a first run: a small city, its branches, people and orders in every state.

Everything is created through the model services, so the demo ledger is a real ledger.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pymongo

from models import orders
from models.core.clock import BEIJING
from models.core.context import Context
from models.ops import recount
from models.orders import catalogue
from models.people import orgs, users
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


SEED_TIMEOUT_S = 300  # thousands of writes in one go: a one-off, not a request


async def seed_demo(ctx: Context) -> bool:
    """Creates the demo world in an empty database; returns False if data already exists.

    The whole seeding shares one deadline of its own: under each operation's request bound
    (1.5 s) a loaded machine made single writes of it time out.
    """
    with pymongo.timeout(SEED_TIMEOUT_S):
        return await _seed(ctx)


async def _seed(ctx: Context) -> bool:
    if await ctx.db.orgs.count_documents({}, limit=1):
        return False
    rng = random.Random(2026)
    city = await orgs.create_org(ctx, "同心市", "city")
    district = await orgs.create_org(ctx, "和平区", "district", city["_id"])
    street = await orgs.create_org(ctx, "幸福街道", "street", district["_id"])
    centres = [(116.397, 39.909), (116.412, 39.915)]
    branches = []
    # 社区服务电话: 打电话给社区 in the mini-program's care mode dials it
    phones = ["010-65012345", "010-65016789"]
    for ci, cname in enumerate(["阳光社区", "春风社区"]):
        community = await orgs.create_org(ctx, cname, "community", street["_id"], phone=phones[ci])
        for bname in ("第一党支部", "第二党支部"):
            branch = await orgs.create_org(
                ctx, f"{cname}{bname}", "branch", community["_id"], location=centres[ci]
            )
            branches.append((branch, centres[ci]))
    await seed_catalogue(ctx)
    street_admin = await create_user(
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
    await _demo_member_service(ctx, district, [b for b, _ in branches], members)
    await _demo_rewards(ctx, branches, secretaries, members)
    await _demo_wishes_and_voices(ctx, [b for b, _ in branches], secretaries, members, residents)
    await _demo_on_behalf(ctx, [b for b, _ in branches], secretaries, members, residents)
    await _demo_sms(ctx)
    await _demo_long_timeline(ctx, street_admin, members, residents[2])
    # the dashboard's tallies of everything above (the notifier would count it within
    # seconds; the first page opened must not wait for it)
    await recount.rebuild(ctx)
    return True


async def _demo_long_timeline(
    ctx: Context,
    admin_user: dict[str, Any],
    members: list[dict[str, Any]],
    resident: dict[str, Any],
) -> None:
    """处理记录归档: an order sent to one volunteer after another, each declining (25 events):
    the order keeps its newest ones, the rest are on /admin/orders/{id}/timeline."""
    admin = Actor.from_user(admin_user)
    owner = Actor.from_user(resident)
    cat = next(iter((await catalogue.active_categories(ctx)).values()))
    order, _ = await orders.place_order(
        ctx,
        owner,
        {
            "category_id": cat["_id"],
            "org_id": members[0]["org_id"],
            "description": "楼道灯坏了好几盏，晚上看不清台阶，希望尽快来修。",
            "address": "阳光社区8号楼2单元",
        },
    )
    for member in members:
        await orders.dispatch_order(ctx, admin, order["_id"], {"volunteer_ids": [member["_id"]]})
        reason = f"{member['name']}：这几天不在社区，无法上门"
        await orders.decline_order(ctx, Actor.from_user(member), order["_id"], reason)


async def _demo_on_behalf(
    ctx: Context,
    branches: list[dict[str, Any]],
    secretaries: list[dict[str, Any]],
    members: list[dict[str, Any]],
    residents: list[dict[str, Any]],
) -> None:
    """代下单: at the counter for 林阿姨 (her WeChat account, matched by phone); for 孙奶奶, who
    has no WeChat (a placeholder resident), on a grid worker's visit and by phone — the
    phone order served and confirmed by the secretary after calling her."""
    cats = {c["code"]: c for c in (await catalogue.active_categories(ctx)).values()}
    branch = branches[0]
    secretary = Actor.from_user(secretaries[0])
    # 李秀英 (the community's second branch) works the 阳光社区 grid
    grid = await users.set_duty(
        ctx, Actor.from_user(secretaries[1]), members[1]["_id"], users.GRID_WORKER, True
    )

    def body(code: str, text: str, address: str, name: str, phone: str, channel: str) -> dict:
        return {
            "category_id": cats[code]["_id"],
            "org_id": branch["_id"],
            "description": text,
            "address": address,
            "on_behalf_of": {"name": name, "phone": phone, "address": address, "channel": channel},
        }

    lin = residents[0]
    await orders.place_order(
        ctx,
        secretary,
        body(
            "appliance",
            "来窗口反映：热水器打不着火。",
            "阳光社区 2 号楼 3 单元 402",
            lin["name"],
            lin["phone"],
            "counter",
        ),
    )
    home = "阳光社区 7 号楼 1 单元 101"
    visit, _ = await orders.place_order(
        ctx,
        Actor.from_user(grid),
        body(
            "elderly",
            "走访发现独居老人行动不便，需要每周代买菜。",
            home,
            "孙奶奶",
            "13600000001",
            "visit",
        ),
    )
    due = ctx.now() + timedelta(days=2)
    await orders.dispatch_order(
        ctx, secretary, visit["_id"], {"volunteer_ids": [members[4]["_id"]], "due_at": due}
    )
    call, _ = await orders.place_order(
        ctx,
        secretary,
        body(
            "elderly",
            "电话来电：想请人陪同去社区医院量血压。",
            home,
            "孙奶奶",
            "13600000001",
            "phone",
        ),
    )
    volunteer = members[8]
    await orders.dispatch_order(
        ctx, secretary, call["_id"], {"volunteer_ids": [volunteer["_id"]], "due_at": due}
    )
    member = Actor.from_user(await users.get_user(ctx, volunteer["_id"]))
    await orders.accept_order(ctx, member, call["_id"])
    await orders.start_order(ctx, member, call["_id"])
    await orders.complete_order(ctx, member, call["_id"], {"note": "已陪同量血压，一切正常。"})
    await orders.confirm_order(
        ctx,
        secretary,
        call["_id"],
        {"rating": 5, "on_behalf_note": "已电话回访孙奶奶：服务到位，很满意"},
    )


class _DemoSmsGateway:
    """Answers as Tencent Cloud SMS would, sending nothing (the demo has no SMS keys)."""

    configured = True

    def __init__(self) -> None:
        self.codes = ["Ok", "Ok", "Ok", "FailedOperation.PhoneNumberInBlacklist"]

    async def send(self, phone: str, template_id: str, params: list[str], *, context: str = ""):
        from server.sms import SmsResult, classify

        code = self.codes.pop(0) if self.codes else "Ok"
        serial = f"2433:{abs(hash(context)) % 10**12:012d}" if code == "Ok" else ""
        return SmsResult(classify(code), code, "send success", serial, int(code == "Ok"))


async def _demo_sms(ctx: Context) -> None:
    """短信记录: the texts the residents of the accepted, started and completed demo orders
    would get without WeChat quota (one refused by the operator), and one bad number."""
    from models.notifications import sms
    from models.orders.notices import SMS

    texts = []
    async for order in ctx.db.orders.find(
        {"status": {"$in": ["accepted", "in_service", "completed"]}}
    ).sort("created_at", 1):
        for event in order["timeline"]:
            step = sms.STEPS.get(event["action"])
            if step is None:
                continue
            resident = await ctx.db.users.find_one({"_id": order["resident_id"]}, {"phone": 1})
            texts.append(
                sms.SmsText(
                    user_id=order["resident_id"],
                    order_id=order["_id"],
                    step=step,
                    phone=(resident or {}).get("phone") or order.get("contact_phone") or "",
                    params=await SMS[event["action"]](ctx, order, event),
                    org_path=list(order["org_path"]),
                )
            )
    if texts:
        texts[-1].phone = "1380000"  # a number the demo never had: recorded as skipped
    await sms.queue(ctx, texts)
    await sms.send_due_sms(ctx, _DemoSmsGateway())


def _demo_photo(rng: random.Random, size: tuple[int, int] = (640, 480)) -> bytes:
    """A generated 'photo' (a wall, a window, an appliance) as a JPEG with GPS in its EXIF,
    so the demo shows real uploads and that the stored copy has the EXIF stripped."""
    import io

    from PIL import ExifTags, Image, ImageDraw

    w, h = size
    wall = tuple(rng.randint(150, 230) for _ in range(3))
    img = Image.new("RGB", size, wall)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, int(h * 0.72), w, h], fill=(120, 90, 60))  # floor
    wx, wy = rng.randint(40, w // 2), rng.randint(40, h // 4)
    draw.rectangle(
        [wx, wy, wx + w // 3, wy + h // 3], fill=(170, 210, 240), outline=(250, 250, 250), width=8
    )
    ax, ay = rng.randint(w // 2, w - 220), int(h * 0.45)
    draw.rounded_rectangle(
        [ax, ay, ax + 180, ay + 240], 18, fill=(235, 235, 235), outline=(90, 90, 90), width=4
    )
    draw.ellipse([ax + 50, ay + 60, ax + 130, ay + 140], outline=(60, 60, 60), width=6)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "DemoPhone"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, exif=exif.tobytes())
    return buf.getvalue()


async def _demo_member_service(
    ctx: Context, district: dict[str, Any], branches: list[dict[str, Any]], members: list[dict]
) -> None:
    """双报到, 组织关系转接, certificates, honours and dossier thresholds for the demo."""
    from datetime import date

    from models import certificates, honours, reports, transfers

    all_orgs = await orgs.all_orgs(ctx)
    sunshine = next(o for o in all_orgs.values() if o["name"] == "阳光社区")
    admin_user = await ctx.db.users.find_one({"username": "street-admin"})
    assert admin_user is not None
    admin = Actor.from_user(admin_user)
    secretaries = {
        u["org_id"]: Actor.from_user(u)
        async for u in ctx.db.users.find({"role": "secretary", "username": {"$ne": None}})
    }
    # a work-unit branch whose member reports to 阳光社区 (双报到), confirmed
    unit = await orgs.create_org(
        ctx, "和平区税务局机关党支部", "branch", district["_id"], branch_kind="unit"
    )
    await create_user(
        ctx,
        role="secretary",
        name="税务局机关党支部书记",
        org_id=unit["_id"],
        username="unit-secretary",
        password=DEMO_PASSWORD,
        openid="demo-unit-secretary",
    )
    unit_member = await create_user(
        ctx,
        role="member",
        name="王建国",
        org_id=unit["_id"],
        openid="demo-unit-member-1",
        party_status="正式党员",
        skills=["电工", "家电维修"],
    )
    posts = [
        await reports.save_post(ctx, admin, sunshine["_id"], {"name": name, "description": desc})
        for name, desc in (
            ("楼栋长", "联系一栋楼的住户，收集需求"),
            ("环境整治", "每月一次楼道与绿地清理"),
            ("文明劝导", "高峰时段路口文明劝导"),
            ("助老", "陪伴独居老人、代购代办"),
        )
    ]
    report = await reports.create_report(
        ctx,
        Actor.from_user(unit_member),
        {"community_id": sunshine["_id"], "post_ids": [posts[0]["_id"], posts[3]["_id"]]},
    )
    await reports.confirm(ctx, admin, report["_id"])
    # the community's own secretary, and a second unit member's report waiting for them
    community_secretary = await create_user(
        ctx,
        role="secretary",
        name="阳光社区党委书记",
        org_id=sunshine["_id"],
        username="community-secretary",
        password=DEMO_PASSWORD,
        openid="demo-community-secretary",
    )
    newcomer = await create_user(
        ctx,
        role="member",
        name="陈思远",
        org_id=unit["_id"],
        openid="demo-unit-member-2",
        party_status="预备党员",
        skills=["法律"],
    )
    await create_user(  # moved in lately: has not reported yet
        ctx,
        role="member",
        name="周婉清",
        org_id=unit["_id"],
        openid="demo-unit-member-3",
        party_status="正式党员",
        skills=["教育", "助老"],
    )
    await reports.create_report(
        ctx,
        Actor.from_user(newcomer),
        {
            "community_id": sunshine["_id"],
            "post_ids": [posts[1]["_id"], posts[2]["_id"]],
            "note": "住阳光社区6号楼，周末有空",
        },
    )
    sunshine_secretary = secretaries.get(branches[0]["_id"], admin)
    await _demo_history(ctx, branches[0], sunshine_secretary, members[0])
    # the reported member serves in 阳光社区's pool: it shows in both branches' 报到反馈
    here = Actor.from_user(community_secretary)
    await _demo_history(ctx, sunshine, here, unit_member, (0,))
    # 组织关系转接: one waiting for the receiving branch, one waiting for the outgoing one
    moving = Actor.from_user(members[1])
    out = await transfers.request_transfer(
        ctx, moving, {"to_org_id": branches[3]["_id"], "reason": "搬家到春风社区"}
    )
    await transfers.approve(ctx, secretaries.get(members[1]["org_id"], admin), out["_id"])
    await transfers.request_transfer(
        ctx, Actor.from_user(members[2]), {"to_org_id": branches[0]["_id"], "reason": "工作调动"}
    )
    # certificates: one issued, one waiting
    today = ctx.now().date()
    for member, issue_it in ((members[0], True), (members[4], False)):
        cert = await certificates.request_certificate(
            ctx,
            Actor.from_user(member),
            {
                "from_": date(today.year - 1, 1, 1),
                "to": today,
                "id_type": "居民身份证",
                "id_number": "11010119900101" + f"{len(member['name']):04d}",
                "purpose": "升学材料",
            },
        )
        if issue_it:
            issuer = secretaries.get(member["org_id"], admin)
            await certificates.issue(ctx, issuer, cert["_id"], {"contact": "010-6512 3456"})
    # thresholds of one branch stricter than the defaults; an honour roll confirmed
    await ctx.db.orgs.update_one(
        {"_id": branches[0]["_id"]},
        {"$set": {"dossier_thresholds": {"积极分子": {"hours": 24, "orders": 5, "rating": 4.5}}}},
    )
    ctx.forget("orgs")
    await honours.propose_month(ctx)
    first = [m["_id"] for m in members if m["org_id"] == branches[0]["_id"]][:2]
    for roll in await ctx.db.honours.find({"org_id": branches[0]["_id"]}).to_list(None):
        chosen = [c["member_id"] for c in roll["candidates"]] or first
        await honours.confirm(ctx, admin, roll["_id"], chosen)


def _fixed(moment: datetime) -> datetime:
    return moment


async def _demo_history(
    ctx: Context,
    branch: dict[str, Any],
    secretary: Actor,
    volunteer: dict[str, Any],
    months: tuple[int, ...] = (5, 4, 3, 2, 1, 1, 1),
) -> None:
    """Orders served and rated by one volunteer `months` ago (0 = now), so the service record
    has months to show and last month's honour roll has candidates."""
    import dataclasses
    import functools

    now = ctx.now()
    cats = list((await catalogue.active_categories(ctx)).values())
    residents = await ctx.db.users.find({"role": "resident"}).sort("created_at", 1).to_list(4)
    member = Actor.from_user(volunteer)
    for i, months_back in enumerate(months):
        then = now - timedelta(days=30 * months_back - 3, hours=i) if months_back else now
        past = dataclasses.replace(ctx, clock=functools.partial(_fixed, then))
        resident = Actor.from_user(residents[i % len(residents)])
        cat = cats[i % len(cats)]
        order, _ = await orders.place_order(
            past,
            resident,
            {
                "category_id": cat["_id"],
                "org_id": branch["_id"],
                "description": f"需要{cat['name']}服务，麻烦尽快联系。",
                "address": f"阳光社区{i + 3}号楼{i % 5 + 1}单元",
                "location": {"type": "Point", "coordinates": [116.397, 39.909]},
            },
        )
        due = {"volunteer_ids": [member.id], "due_at": then + timedelta(days=2)}
        await orders.dispatch_order(past, secretary, order["_id"], due)
        await orders.accept_order(past, member, order["_id"])
        await orders.start_order(past, member, order["_id"])
        await orders.complete_order(past, member, order["_id"], {"note": "已上门处理完毕。"})
        rating = {"rating": 5 if i % 3 else 4, "comment": "师傅很耐心，谢谢！"}
        await orders.confirm_order(past, resident, order["_id"], rating)


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

    def local(days: int, hour: int) -> Any:
        """A Beijing wall-clock hour `days` from today: activities happen in the daytime."""
        day = (now + timedelta(days=days)).astimezone(BEIJING)
        return day.replace(hour=hour, minute=0, second=0, microsecond=0)

    soon = local(3, 9)
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
        local(1, 14),
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
        local(2, 9),
        3,
        points_mode="per_hour",
        points_value=2,
        publish=True,
    )
    for m in crew[:4]:
        await activities.sign_up(ctx, m, done["_id"])
    start = local(-6, 9)
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
        local(2, 15),
        2,
        publish=True,
        address="阳光社区党员活动室",
    )
    await shift(meeting, local(-10, 14))
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
    from models.media import safety
    from models.media import service as media

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
                "photos": [
                    (await media.upload(ctx, resident, _demo_photo(rng)))["_id"]
                    for _ in range(1 + n % 2)
                ],
            },
        )
        if n == 1:  # one description waits on the 内容审核 page
            held = safety.Verdict(
                fields={"description": "review"},
                texts={"description": order["description"]},
                author_id=resident.id,
            )
            await ctx.db.orders.update_one(
                {"_id": order["_id"]}, {"$set": {"moderation": held.held}}
            )
            await safety.record(
                ctx, held, owner_type="order", owner_id=order["_id"], org_path=order["org_path"]
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
        done = await media.upload(ctx, member, _demo_photo(rng))
        await orders.complete_order(
            ctx, member, order["_id"], {"note": "已上门处理完毕。", "photos": [done["_id"]]}
        )
        if stage == "completed":
            continue
        await orders.confirm_order(
            ctx,
            resident,
            order["_id"],
            {"rating": rng.choice([4, 5, 5]), "comment": "很及时，谢谢！"},
        )


async def _demo_rewards(
    ctx: Context,
    branches: list[tuple[dict[str, Any], tuple[float, float]]],
    secretaries: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> None:
    """积分商城: three items of 阳光社区 (one sold out), a merchant account, redemptions in
    each state, and one award held for review (a volunteer confirming under a relative's
    account with the same phone)."""
    from models.core import uow
    from models.points import ledger
    from models.rewards import items as reward_items
    from models.rewards import redemptions

    branch = branches[0][0]
    community_id = branch["parent_id"]
    staff = Actor.from_user(secretaries[0])
    # the community's secretary is not in the demo: the street admin manages the mall
    admin_doc = await ctx.db.users.find_one({"username": "street-admin"})
    assert admin_doc is not None
    admin = Actor.from_user(admin_doc)
    shelf = []
    for name, price, stock, limit, merchant in (
        ("洗衣液 2kg", 20, 10, None, "阳光超市"),
        ("爱心理发券", 30, 5, 1, "阳光理发店"),
        ("东北大米 5kg", 80, 0, None, "阳光超市"),
    ):
        data = {
            "org_id": community_id,
            "name": name,
            "price": price,
            "stock": stock,
            "limit_per_member": limit,
            "limit_period": "month",
            "pickup_place": "阳光社区党群服务中心一楼",
            "pickup_hours": "工作日 9:00-17:00",
            "merchant": merchant,
        }
        shelf.append(await reward_items.create_item(ctx, admin, data))
    shop = await create_user(
        ctx,
        role="merchant",
        name="阳光超市",
        org_id=community_id,
        openid="demo-merchant-1",
    )
    buyers = [m for m in members if m["org_id"] == branch["_id"]][:2]
    for buyer in buyers:
        entry = ledger.LedgerEntry(
            member_id=buyer["_id"],
            kind="points",
            delta=100,
            reason="社区环境整治志愿活动",
            source_type="activity",
            source_id=community_id,
            idempotency_key=f"demo:activity:{buyer['_id']}",
            actor_id=staff.id,
        )
        await uow.in_transaction(ctx, _appender(ctx, entry, list(buyer["org_path"])))
    first = Actor.from_user(await users.get_user(ctx, buyers[0]["_id"]))
    second = Actor.from_user(await users.get_user(ctx, buyers[1]["_id"]))
    await redemptions.redeem(ctx, first, shelf[0]["_id"], "demo-redeem-1")
    picked, _ = await redemptions.redeem(ctx, second, shelf[1]["_id"], "demo-redeem-2")
    await redemptions.pickup(ctx, Actor.from_user(shop), picked["code"])
    cancelled, _ = await redemptions.redeem(ctx, second, shelf[0]["_id"], "demo-redeem-3")
    await redemptions.cancel(ctx, second, cancelled["_id"])
    # the volunteer once ordered a service from home; a neighbour's account orders from the
    # same address and confirms the volunteer's work: held for review (shared address)
    volunteer = buyers[0]
    cats = (await catalogue.active_categories(ctx)).values()
    elderly = next(c for c in cats if c["code"] == "elderly")
    home = "阳光社区 5 号楼 1 单元 301"
    body = {
        "category_id": elderly["_id"],
        "org_id": branch["_id"],
        "description": "家里老人需要陪同去医院复查。",
        "address": home,
        "photos": [],
    }
    await orders.place_order(
        ctx, Actor.from_user(await users.get_user(ctx, volunteer["_id"])), body
    )
    relative = await create_user(
        ctx,
        role="resident",
        name="王建国家属",
        openid="demo-resident-relative",
        phone="13900009999",
    )
    order, _ = await orders.place_order(ctx, Actor.from_user(relative), body)
    due = {"volunteer_ids": [volunteer["_id"]], "due_at": ctx.now() + timedelta(days=2)}
    await orders.dispatch_order(ctx, staff, order["_id"], due)
    member = Actor.from_user(await users.get_user(ctx, volunteer["_id"]))
    await orders.accept_order(ctx, member, order["_id"])
    await orders.start_order(ctx, member, order["_id"])
    await orders.complete_order(ctx, member, order["_id"], {"note": "已陪同就医。"})
    await orders.confirm_order(ctx, Actor.from_user(relative), order["_id"], {"rating": 5})


def _appender(ctx: Context, entry: Any, org_path: list[Any]) -> Any:
    from models.points import ledger

    async def work(session: Any) -> Any:
        return await ledger.append(ctx, session, [entry], org_path=org_path)

    return work


async def _demo_wishes_and_voices(
    ctx: Context,
    branches: list[dict[str, Any]],
    secretaries: list[dict[str, Any]],
    members: list[dict[str, Any]],
    residents: list[dict[str, Any]],
) -> None:
    """微心愿 in every state on the wall, and 民意 in every state for the board and 民情分析."""
    from models import voices, wishes
    from models.media import service as media

    rng = random.Random(15)

    async def photo(who: Actor, n: int) -> list[Any]:
        """One demo photo for the first wish and voice (uploaded as the app does), else none."""
        return [(await media.upload(ctx, who, _demo_photo(rng)))["_id"]] if n == 0 else []

    wish_texts = [
        ("学习用品", "给孙子一个新书包", "孙子今年上一年级，想要一个新书包", 120.0),
        ("助老助残", "借用一台轮椅", "老伴腿脚不便，想借一台轮椅去医院复查", 300.0),
        ("陪伴关爱", "有人读报给我听", "眼睛不好，希望每周有人来读读报纸", 0.0),
        ("生活物资", "一台电风扇", "家里电风扇坏了，夏天太热", 150.0),
        ("学习用品", "课外读物", "孩子喜欢看书，想要几本科普读物", 80.0),
    ]
    for n, (cat, title, text, value) in enumerate(wish_texts):
        bi = n % len(branches)
        resident = Actor.from_user(residents[n % len(residents)])
        secretary = Actor.from_user(secretaries[bi])
        member = Actor.from_user(next(m for m in members if m["org_id"] == branches[bi]["_id"]))
        data = {"org_id": branches[bi]["_id"], "category": cat, "title": title}
        wish = await wishes.post_wish(
            ctx,
            resident,
            {**data, "description": text, "value": value, "address": "3号楼"}
            | {"photos": await photo(resident, n)},
        )
        if n == 4:
            continue  # waiting for review
        await wishes.approve_wish(ctx, secretary, wish["_id"])
        if n >= 2:
            continue  # on the wall
        await wishes.claim_wish(ctx, member, wish["_id"])
        done = {"note": "已送到家中", "photos": await photo(member, n)}
        await wishes.fulfil_wish(ctx, member, wish["_id"], done)
        if n == 0:
            await wishes.confirm_wish(ctx, resident, wish["_id"], {"thanks": "谢谢党员同志！"})
    voice_texts = [
        ("complaint", "环境卫生", "垃圾分类点太臭了，夏天蚊子很多，希望增加清运次数"),
        ("suggestion", "教育文化", "建议在广场增加健身器材和阅读角"),
        ("request", "物业管理", "电梯经常故障，老人上下楼很困难"),
        ("praise", "社区服务", "感谢网格员帮忙修好了路灯"),
        ("request", "交通出行", "停车位太少，晚上车辆乱停占用消防通道"),
        ("complaint", "环境卫生", "楼道堆满杂物，垃圾清运不及时"),
    ]
    for n, (kind, cat, text) in enumerate(voice_texts):
        bi = n % len(branches)
        resident = Actor.from_user(residents[n % len(residents)])
        secretary = Actor.from_user(secretaries[bi])
        body = {"kind": kind, "category": cat, "text": text, "org_id": branches[bi]["_id"]}
        body |= {"anonymous": n % 2 == 0, "photos": await photo(resident, n)}
        voice = await voices.submit_voice(ctx, resident, body)
        if n == 5:
            continue  # waiting to be accepted
        handler_doc = next(m for m in members if m["org_id"] == branches[bi]["_id"])
        await voices.assign_voice(ctx, secretary, voice["_id"], {"handler_id": handler_doc["_id"]})
        if n == 4:
            continue  # being handled
        handler = Actor.from_user(handler_doc)
        reply = {"text": "已联系相关部门处理，感谢您的反映。", "public": n % 2 == 1}
        await voices.reply_voice(ctx, handler, voice["_id"], reply)
        if n == 3:
            continue  # waiting for the rating
        rating = ["满意", "基本满意", "不满意"][n % 3]
        await voices.rate_voice(ctx, resident, voice["_id"], {"rating": rating})
    # a complaint about a served order, ruled 不属实 by the branch's secretary (党员之星 counts
    # only complaints ruled 属实)
    served = await ctx.db.orders.find_one(
        {"resident_id": residents[0]["_id"], "status": "closed", "assignee_id": {"$ne": None}}
    )
    in_charge = served and next(  # a branch secretary under the order's community
        (s for s in secretaries if served["org_id"] in s.get("org_path", [])), None
    )
    if served and in_charge:
        resident, secretary = Actor.from_user(residents[0]), Actor.from_user(in_charge)
        body = {
            "kind": "complaint",
            "category": "社区服务",
            "text": "上门时间比约定晚了半小时，希望以后提前打电话说一声",
            "org_id": in_charge["org_id"],
            "order_id": served["_id"],
        }
        voice = await voices.submit_voice(ctx, resident, body)
        await voices.accept_voice(ctx, secretary, voice["_id"])
        reply = {"text": "已向队员了解：当天前一单超时，已提醒今后提前电话告知。", "public": False}
        await voices.reply_voice(ctx, secretary, voice["_id"], reply)
        await voices.close_voice(ctx, secretary, voice["_id"], "已核实", upheld=False)
