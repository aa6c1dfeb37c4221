"""The attendance export (签到表) of one activity as an Excel workbook, audited."""

from __future__ import annotations

from typing import Any

from models.activities.checkin import attendance
from models.activities.states import KIND_NAMES, SIGNUP_NAMES
from models.core import excel
from models.core.clock import local_time
from models.core.context import Context
from models.ops import audit
from models.people.users import Actor

HEADERS = [
    "姓名",
    "报名状态",
    "出勤",
    "签到时间",
    "签到方式",
    "签到距离(米)",
    "签退时间",
    "签退方式",
    "签退距离(米)",
    "未签退",
    "时长(小时)",
    "请假事由",
    "积分",
    "计入时长",
]
METHODS = {"qr": "扫码", "manual": "补签", "auto": "活动结束自动签退"}


def _row(r: dict[str, Any]) -> list[Any]:
    return [
        r.get("member_name", ""),
        SIGNUP_NAMES.get(r["status"], r["status"]),
        r.get("attendance") or ("出席" if r.get("checkin_at") else ""),
        local_time(r.get("checkin_at")),
        METHODS.get(r.get("checkin_method") or "", ""),
        r.get("checkin_distance_m"),
        local_time(r.get("checkout_at")),
        METHODS.get(r.get("checkout_method") or "", ""),
        r.get("checkout_distance_m"),
        "是" if r.get("forgot_checkout") else "",
        r.get("hours"),
        r.get("leave_reason", ""),
        r.get("points_awarded"),
        r.get("hours_awarded"),
    ]


async def export_attendance(
    ctx: Context, actor: Actor, activity: dict[str, Any]
) -> tuple[bytes, str]:
    rows = await attendance(ctx, actor, activity["_id"])
    content = excel.workbook_bytes("签到表", HEADERS, [_row(r) for r in rows])
    await audit.record(
        ctx,
        actor,
        "activity.export",
        org_path=activity["org_path"],
        target_type="activity",
        target_id=activity["_id"],
        target_label=activity["title"],
        reason=f"{len(rows)} 条",
    )
    day = local_time(activity["start_at"])[:10]
    name = f"签到表-{KIND_NAMES[activity['kind']]}-{activity['title']}-{day}.xlsx"
    return content, name
