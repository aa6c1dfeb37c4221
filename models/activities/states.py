"""Activity states, kinds, attendance marks and their Chinese names: defined once."""

from __future__ import annotations

DRAFT = "draft"
PUBLISHED = "published"
IN_PROGRESS = "in_progress"
ENDED = "ended"
SETTLED = "settled"
CANCELLED = "cancelled"

STATUSES = (DRAFT, PUBLISHED, IN_PROGRESS, ENDED, SETTLED, CANCELLED)
VISIBLE_STATUSES = (PUBLISHED, IN_PROGRESS, ENDED, SETTLED, CANCELLED)
LIVE = (PUBLISHED, IN_PROGRESS)  # sign-ups may still change

STATUS_NAMES = {
    DRAFT: "草稿",
    PUBLISHED: "报名中",
    IN_PROGRESS: "进行中",
    ENDED: "已结束",
    SETTLED: "已结算",
    CANCELLED: "已取消",
}

# 志愿服务活动 awards hours (and points by rule); 三会一课 and 主题党日 record attendance.
VOLUNTEER = "volunteer"
KIND_NAMES = {
    VOLUNTEER: "志愿服务活动",
    "party_day": "主题党日",
    "branch_assembly": "支部党员大会",
    "committee_meeting": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
}
KINDS = tuple(KIND_NAMES)
ORG_LIFE = ("party_day", "branch_assembly", "committee_meeting", "group_meeting", "party_lecture")
THREE_MEETINGS = ("branch_assembly", "committee_meeting", "group_meeting", "party_lecture")

POINTS_MODES = {"none": "不计积分", "per_hour": "按服务时长", "fixed": "固定积分"}

# sign-up states
PENDING = "pending"  # held, place or waiting-list spot not yet decided (a moment)
CONFIRMED = "confirmed"
WAITING = "waiting"
WITHDRAWN = "withdrawn"
SIGNUP_NAMES = {PENDING: "处理中", CONFIRMED: "已报名", WAITING: "候补中", WITHDRAWN: "已取消"}
HOLDING = (PENDING, CONFIRMED, WAITING)

# attendance marks of 组织生活
PRESENT = "出席"
LEAVE = "请假"
ABSENT = "缺席"
ATTENDANCE_MARKS = (PRESENT, LEAVE, ABSENT)

ACTION_NAMES = {
    "create": "创建活动",
    "edit": "修改活动",
    "publish": "发布活动",
    "start": "活动开始",
    "end": "活动结束",
    "settle": "结算积分与时长",
    "cancel": "取消活动",
    "minutes": "记录会议纪要",
}

EXCLUDE_TIMELINE = {"timeline": 0}
