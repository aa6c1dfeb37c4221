"""Validation shared by every write path: strict schemas with Chinese messages.

Every body passes `load()`: `$`-keys and dotted keys are refused anywhere, unknown fields
are refused, and each bad field is named with a Chinese message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowError

from server.errors import NotFound, ValidationFailed

CURSOR_PATTERN = r"^([0-9]\.[0-9]{1,14}\.[0-9a-f]{24})?$"  # paging.encode's; empty: page 1
OBJECT_ID_PATTERN = r"^[0-9a-f]{24}$"
OBJECT_ID = re.compile(OBJECT_ID_PATTERN)

MAX_DEPTH = 8

_REQUIRED = {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"}


class Str(fields.String):
    default_error_messages = {
        **_REQUIRED,
        "invalid": "应为字符串",
        "invalid_utf8": "不是有效的文本",
    }


class Int(fields.Integer):
    default_error_messages = {**_REQUIRED, "invalid": "应为整数", "too_large": "数值过大"}

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)


class Float(fields.Float):
    default_error_messages = {
        **_REQUIRED,
        "invalid": "应为数字",
        "too_large": "数值过大",
        "special": "不能是 NaN 或无穷大",
    }

    def __init__(self, **kwargs: Any):
        super().__init__(allow_nan=False, **kwargs)


class Points(Int):
    """Whole points: 1.5 and 1e-9 are refused (the ledger holds integers)."""

    default_error_messages = {**Int.default_error_messages, "invalid": "积分应为整数"}


class Hours(Float):
    """Service hours with at most one digit after the point (stored as whole tenths).

    A value within 1e-10 of a tenth (0.30000000000000004, JSON's 0.1 × 3) is that tenth."""

    default_error_messages = {**Float.default_error_messages, "tenths": "时长最多保留一位小数"}

    def __init__(self, **kwargs: Any):
        metadata = {
            "multipleOf": 0.1,
            "description": "小时，最多一位小数",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        number = super()._deserialize(value, attr, data, **kwargs)
        scaled = number * 10
        if not math.isfinite(scaled) or abs(scaled) > 1e15:
            raise self.make_error("too_large")
        if abs(scaled - round(scaled)) > 1e-9:
            raise self.make_error("tenths")
        return round(scaled) / 10


class Bool(fields.Boolean):
    """JSON true/false (and "true"/"false" in a query string); not 0, 1 or "on" as the
    OpenAPI type boolean says (admin forms' checkboxes use core.forms.FormBool)."""

    default_error_messages = {**_REQUIRED, "invalid": "应为 true 或 false"}
    truthy = {True, "true"}
    falsy = {False, "false"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class List(fields.List):
    default_error_messages = {**_REQUIRED, "invalid": "应为列表"}


class Nested(fields.Nested):
    default_error_messages = {**_REQUIRED, "type": "应为对象"}


class Length(validate.Length):
    message_min = "长度不能少于 {min}"
    message_max = "长度不能超过 {max}"
    message_all = "长度应在 {min} 到 {max} 之间"
    message_equal = "长度应为 {equal}"


class Range(validate.Range):
    message_min = "不能{min_op} {{min}}"
    message_max = "不能{max_op} {{max}}"
    message_all = "应在 {{min}} 到 {{max}} 之间"
    message_gte = "小于"
    message_gt = "小于或等于"
    message_lte = "大于"
    message_lt = "大于或等于"


class OneOf(validate.OneOf):
    default_message = "取值必须是以下之一：{choices}"


class StrictSchema(Schema):
    """Unknown fields raise, in Chinese."""

    error_messages = {"unknown": "不允许的字段", "type": "格式错误，应为对象"}

    class Meta:
        unknown = RAISE


class ObjectIdField(Str):
    """24 lowercase hex digits (as the server writes ids), declared as a pattern."""

    default_error_messages = {"invalid_id": "编号格式不正确"}

    def __init__(self, **kwargs: Any):
        metadata = {"pattern": OBJECT_ID_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not OBJECT_ID.fullmatch(text):
            raise self.make_error("invalid_id")
        try:
            return ObjectId(text)
        except (InvalidId, TypeError):
            raise self.make_error("invalid_id") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)


class AwareDateTime(fields.AwareDateTime):
    """ISO 8601 with a timezone; a naive value is read as Beijing time (+08:00)."""

    default_error_messages = {
        **_REQUIRED,
        "invalid": "应为 ISO 8601 时间，例如 2026-01-01T09:00:00+08:00",
        "invalid_awareness": "时间需带时区",
        "format": "时间格式无效",
    }

    def __init__(self, **kwargs: Any):
        from datetime import timedelta, timezone

        super().__init__(default_timezone=timezone(timedelta(hours=8)), **kwargs)


def Text(max_len: int, *, required: bool = False, min_len: int = 0, **kwargs: Any) -> Str:
    """A string with a length limit (a Chinese character counts as one)."""
    return Str(
        required=required,
        validate=Length(min=min_len or (1 if required else 0), max=max_len),
        **kwargs,
    )


class GeoPointSchema(StrictSchema):
    type = Str(required=True, validate=OneOf(["Point"]))
    coordinates = List(Float(), required=True, validate=Length(equal=2))

    @validates_schema
    def check_range(self, point: Mapping[str, Any], **kwargs: Any) -> None:
        lng, lat = point["coordinates"]
        if not -180 <= lng <= 180:
            raise MarshmallowError("经度应在 -180 到 180 之间", "coordinates")
        if not -90 <= lat <= 90:
            raise MarshmallowError("纬度应在 -90 到 90 之间", "coordinates")


class PageQuery(StrictSchema):
    # checked here, so a list that answers without reading its cursor refuses a bad one too
    cursor = Str(
        validate=validate.Regexp(CURSOR_PATTERN, error="翻页游标无效，请从第一页重新加载"),
        metadata={
            "description": "上一页返回的 next_cursor，原样传回；不传为第一页",
            "pattern": CURSOR_PATTERN,
        },
    )
    limit = Int(load_default=20, validate=Range(min=1, max=100))


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages → {"location.coordinates": "…"} with one message each."""
    out: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "body"
            out.update(_flatten(value, name))
    elif isinstance(messages, list):
        if messages and all(isinstance(m, str) for m in messages):
            out[prefix or "body"] = "；".join(messages)
        else:
            for item in messages:
                out.update(_flatten(item, prefix))
    else:
        out[prefix or "body"] = str(messages)
    return out


def check_keys(value: Any, path: str = "", depth: int = 0) -> None:
    """Refuse operator-looking keys (`$gt`, `a.b`) anywhere in a JSON body."""
    if depth > MAX_DEPTH:
        raise ValidationFailed(fields={path or "body": "嵌套层级过深"})
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not _encodable(key):
                # a lone surrogate: neither BSON nor our UTF-8 answer can carry it, name included
                raise ValidationFailed(
                    "提交的内容含有不允许的字段名",
                    fields={name.encode("utf-8", "backslashreplace").decode(): "不是有效的文本"},
                )
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                raise ValidationFailed(
                    "提交的内容含有不允许的字段名", fields={name: "字段名不能以 $ 开头或包含 ."}
                )
            check_keys(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_keys(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str) and "\x00" in value:
        raise ValidationFailed(fields={path or "body": "不能包含空字符"})
    elif isinstance(value, str) and not _encodable(value):
        raise ValidationFailed(fields={path or "body": "不是有效的文本"})


def _encodable(text: str) -> bool:
    """False for text with a lone surrogate (JSON's "\\ud800"): it cannot be stored or sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """Validate `data` against `schema` or raise ValidationFailed naming every bad field."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("请求体应为 JSON 对象", fields={"body": "应为 JSON 对象"})
    check_keys(data)
    try:
        result = schema.load(data)
    except MarshmallowError as exc:
        raise ValidationFailed(fields=_flatten(exc.messages)) from None
    return dict(result)


def parse_id(value: str, what: str = "记录") -> ObjectId:
    """A path id that is not an ObjectId cannot exist: 404, like any other unknown id."""
    if not isinstance(value, str) or not OBJECT_ID.fullmatch(value):
        raise NotFound(f"找不到该{what}")
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(f"找不到该{what}") from None


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    """One page of a keyset-paged list (models/core/paging.py)."""
    return {"items": items, "next_cursor": next_cursor}
