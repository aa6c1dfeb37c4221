"""Voice (民意) states, kinds, categories, ratings and the timeline's action names."""

from __future__ import annotations

RECEIVED = "received"
ACCEPTED = "accepted"
REPLIED = "replied"
CLOSED = "closed"
STATUSES = (RECEIVED, ACCEPTED, REPLIED, CLOSED)
STATUS_NAMES = {RECEIVED: "待受理", ACCEPTED: "办理中", REPLIED: "已答复", CLOSED: "已办结"}

KINDS = {"suggestion": "建议", "request": "诉求", "complaint": "投诉", "praise": "表扬"}
CATEGORIES = (
    "环境卫生",
    "物业管理",
    "治安安全",
    "交通出行",
    "医疗养老",
    "教育文化",
    "社区服务",
    "其他",
)
SATISFIED = "满意"
FAIRLY = "基本满意"
UNSATISFIED = "不满意"
RATINGS = (SATISFIED, FAIRLY, UNSATISFIED)

ACTION_NAMES = {
    "submit": "提交民意",
    "accept": "受理",
    "assign": "指派办理人",
    "reply": "答复",
    "transfer": "上报上级组织",
    "escalate": "超时上报上级组织",
    "close": "办结",
    "auto_close": "超时自动办结",
    "rate": "群众评价",
    "reopen": "不满意，重新办理",
    "followup_reopen": "回访未解决，重新办理",
}
