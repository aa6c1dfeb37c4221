"""Wire schemas every domain shares: empty and reason bodies, errors, phone and photos."""

from __future__ import annotations

from marshmallow import Schema, fields

from models.core.validation import Length as Len
from models.core.validation import (
    List,
    ObjectIdField,
    PageQuery,
    Str,
    StrictSchema,
    Text,
)

PHONE = r"^\+?[0-9][0-9\- ]{4,19}$"


def Phone(**kwargs):
    from marshmallow.validate import Regexp

    return Str(validate=Regexp(PHONE, error="电话号码格式不正确"), **kwargs)


def Photos():
    """Ids of images the caller uploaded (POST /media), never URLs or local paths."""
    return List(
        ObjectIdField(required=True),
        load_default=list,
        validate=Len(max=9),
        metadata={"description": "已上传图片的 id（POST /api/v1/media 的返回）"},
    )


class EmptyRequest(StrictSchema):
    pass


class ReasonRequest(StrictSchema):
    reason = Text(200, required=True)


class OptionalReasonRequest(StrictSchema):
    reason = Text(200, load_default="")


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


class ErrorResponse(Schema):
    error = fields.Nested(ErrorBody, required=True)


class OkResponse(Schema):
    ok = fields.Boolean(required=True)


class HealthOut(Schema):
    status = fields.String()


PAGE_QUERY = PageQuery
