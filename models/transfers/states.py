"""组织关系转接 states and names: the statuses, the open ones, the actions' names."""

PENDING_OUT = "pending_out"
PENDING_IN = "pending_in"
ACCEPTED = "accepted"
RETURNED = "returned"
CANCELLED = "cancelled"
EXPIRED = "expired"
STATUSES = (PENDING_OUT, PENDING_IN, ACCEPTED, RETURNED, CANCELLED, EXPIRED)
OPEN = (PENDING_OUT, PENDING_IN)
STATUS_NAMES = {
    PENDING_OUT: "待转出审批",
    PENDING_IN: "待接收",
    ACCEPTED: "已完成",
    RETURNED: "已退回",
    CANCELLED: "已撤销",
    EXPIRED: "已过期",
}
ACTION_NAMES = {
    "request": "提出申请",
    "approve": "转出审批（开具介绍信）",
    "accept": "接收",
    "return": "退回",
    "cancel": "撤销",
    "expire": "逾期未接收",
    "transfer_out": "转出本平台",
}
# order states in which the member still has to act: they block a transfer
BLOCKING_ORDER_STATES = ("accepted", "in_service")
