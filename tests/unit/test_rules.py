"""Rules that need neither HTTP nor a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from models.base import check_keys, load
from models.ledger import period_start
from models.orders import allowed_actions, distance_km, score_member
from models.schemas import ConfirmRequest, PlaceOrderRequest
from models.users import Actor
from server.config import ConfigError, load_config
from server.errors import ValidationFailed
from server.logging import mask_phone, mask_text


def test_env_overrides_every_key_with_its_type():
    config = load_config(
        environ={
            "TONGXIN_HTTP_PORT": "9001",
            "TONGXIN_MONGO_URI": "mongodb://db:27017/?replicaSet=rs0",
            "TONGXIN_HTTP_XHEADERS": "true",
        }
    )
    assert config.http.port == 9001
    assert config.mongo.uri == "mongodb://db:27017/?replicaSet=rs0"
    assert config.http.xheaders is True
    with pytest.raises(ConfigError, match="TONGXIN_HTTP_PORT"):
        load_config(environ={"TONGXIN_HTTP_PORT": "eighty"})


def test_masking():
    assert mask_phone("13812345678") == "138****5678"
    line = mask_text('phone=13812345678 id 110101199003071234 "session_key": "abc" ok')
    assert "13812345678" not in line and "138****5678" in line
    assert "110101199003071234" not in line and "110101********1234" in line
    assert "abc" not in line
    # hex ids that merely contain digits are left alone
    assert mask_text("a13812345678b") == "a13812345678b"


@pytest.mark.parametrize(
    "body",
    [{"a": {"$gt": ""}}, {"a.b": 1}, {"list": [{"$where": "1"}]}, {"x": "a\x00"}],
)
def test_operator_keys_rejected_anywhere(body):
    with pytest.raises(ValidationFailed):
        check_keys(body)


def test_every_bad_field_is_named_in_chinese():
    with pytest.raises(ValidationFailed) as info:
        load(PlaceOrderRequest(), {"category_id": "x", "description": "", "evil": 1})
    fields = info.value.fields
    assert set(fields) == {"category_id", "org_id", "description", "address", "evil"}
    assert fields["evil"] == "不允许的字段" and fields["org_id"] == "必填"
    with pytest.raises(ValidationFailed) as info:
        load(ConfirmRequest(), {"rating": 9})
    assert info.value.fields == {"rating": "应在 1 到 5 之间"}


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


def test_period_start_is_beijing_month():
    # 2026-10-31 17:00 UTC is already 1 November in Beijing
    now = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    start = period_start(now, "month")
    assert start is not None and (start.month, start.day, start.hour) == (11, 1, 0)
    assert period_start(now, "all") is None
