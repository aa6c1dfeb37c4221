"""Validation rules without I/O: operator keys anywhere, every bad field named."""

from __future__ import annotations

import pytest

from models.core.validation import check_keys, load
from models.orders.schemas import ConfirmRequest, PlaceOrderRequest
from server.errors import ValidationFailed


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
