"""Order states, their Chinese names and the timeline's action names: defined once."""

from __future__ import annotations

SUBMITTED = "submitted"


DISPATCHED = "dispatched"


ACCEPTED = "accepted"


IN_SERVICE = "in_service"


COMPLETED = "completed"


CLOSED = "closed"


CANCELLED = "cancelled"


REJECTED = "rejected"


STATUSES = (SUBMITTED, DISPATCHED, ACCEPTED, IN_SERVICE, COMPLETED, CLOSED, CANCELLED, REJECTED)


OPEN_FOR_ASSIGNEE = (ACCEPTED, IN_SERVICE, COMPLETED)


STATUS_NAMES = {
    SUBMITTED: "待派单",
    DISPATCHED: "待接单",
    ACCEPTED: "已接单",
    IN_SERVICE: "服务中",
    COMPLETED: "待确认",
    CLOSED: "已完成",
    CANCELLED: "已取消",
    REJECTED: "已驳回",
}


ACTION_NAMES = {
    "submit": "群众点单",
    "dispatch": "组织派单",
    "accept": "队员接单",
    "decline": "退回工单",
    "escalate": "上报上级组织",
    "start": "开始服务",
    "complete": "服务完成",
    "confirm": "群众确认",
    "auto_confirm": "超时自动确认",
    "cancel": "取消工单",
    "reject": "驳回工单",
}


EXCLUDE_TIMELINE = {"timeline": 0}
