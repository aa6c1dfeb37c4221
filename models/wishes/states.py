"""Wish states, their Chinese names, the categories and the timeline's action names."""

from __future__ import annotations

SUBMITTED = "submitted"
APPROVED = "approved"
CLAIMED = "claimed"
FULFILLED = "fulfilled"
CONFIRMED = "confirmed"
REJECTED = "rejected"

STATUSES = (SUBMITTED, APPROVED, CLAIMED, FULFILLED, CONFIRMED, REJECTED)
# the claimant sees the resident's contact only while the wish is theirs and open
CONTACT_VISIBLE = (CLAIMED, FULFILLED)

STATUS_NAMES = {
    SUBMITTED: "待审核",
    APPROVED: "待认领",
    CLAIMED: "已认领",
    FULFILLED: "待确认",
    CONFIRMED: "已圆梦",
    REJECTED: "未通过",
}

CATEGORIES = ("学习用品", "生活物资", "助老助残", "陪伴关爱", "医疗健康", "其他")

ACTION_NAMES = {
    "submit": "发布心愿",
    "approve": "审核通过",
    "reject": "审核未通过",
    "claim": "党员认领",
    "release": "放弃认领",
    "auto_release": "超时未实现，自动释放",
    "fulfil": "心愿已实现",
    "confirm": "群众确认并致谢",
    "auto_confirm": "超时自动确认",
}
