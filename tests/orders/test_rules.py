"""Order rules without I/O: recommendation scores, distances, allowed actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from models.orders.recommend import distance_km, score_member
from models.orders.visibility import allowed_actions
from models.people.users import Actor


def _order(**extra):
    return {
        "_id": ObjectId(),
        "status": "submitted",
        "resident_id": ObjectId(),
        "org_path": [],
        "skills": ["家电维修", "电工"],
        "location": {"type": "Point", "coordinates": [116.40, 39.90]},
        **extra,
    }


def test_recommendation_prefers_skill_then_distance_and_explains():
    now = datetime.now(UTC)
    order = _order()
    near_skilled = {"skills": ["家电维修"], "home_location": {"coordinates": [116.401, 39.90]}}
    far_skilled = {"skills": ["家电维修"], "home_location": {"coordinates": [116.60, 39.90]}}
    near_unskilled = {"skills": ["助老"], "home_location": {"coordinates": [116.401, 39.90]}}
    busy = {**near_skilled, "open_orders": 3}
    scores = {
        name: score_member(order, m, now, 3)
        for name, m in [
            ("near", near_skilled),
            ("far", far_skilled),
            ("unskilled", near_unskilled),
            ("busy", busy),
        ]
    }
    assert scores["near"][0] > scores["far"][0] > scores["unskilled"][0] - 0.2
    assert scores["near"][0] > scores["busy"][0]
    assert scores["near"][1][0] == "技能匹配：家电维修"
    assert "距离约 0.1 公里" in scores["near"][1]
    recent = {**near_skilled, "last_served_at": now - timedelta(days=1)}
    assert score_member(order, near_skilled, now, 3)[0] > score_member(order, recent, now, 3)[0]


def test_distance():
    assert distance_km([116.40, 39.90], [116.40, 39.90]) == 0
    assert 8.4 < distance_km([116.40, 39.90], [116.50, 39.90]) < 8.6


def test_allowed_actions_follow_role_and_state():
    org = ObjectId()
    resident = Actor(id=ObjectId(), role="resident")
    secretary = Actor(id=ObjectId(), role="secretary", org_id=org, org_path=(org,))
    member = Actor(id=ObjectId(), role="member", org_id=org, org_path=(org,))
    order = _order(resident_id=resident.id, org_path=[org])
    assert allowed_actions(order, resident) == ["cancel"]
    assert allowed_actions(order, secretary) == ["dispatch", "reject", "cancel"]
    assert allowed_actions(order, member) == []
    order.update(status="dispatched", eligible=[org], candidates=[])
    assert allowed_actions(order, member) == ["accept"]
    order.update(status="accepted", assignee_id=member.id)
    assert allowed_actions(order, member) == ["start", "decline"]
    order.update(status="completed")
    assert allowed_actions(order, resident) == ["confirm"]
    assert allowed_actions(order, member) == []
