"""What each admin form accepts: strict, Chinese messages, nothing unknown."""

from __future__ import annotations

from marshmallow import fields
from marshmallow.validate import Regexp

from models.base import (
    _REQUIRED,
    AwareDateTime,
    Bool,
    Float,
    List,
    ObjectIdField,
    OneOf,
    Range,
    Str,
    StrictSchema,
    Text,
)
from models.base import Length as Len
from models.users import PARTY_STATUSES


class FormInt(fields.Integer):
    """An integer typed into a form (arrives as text)."""

    default_error_messages = {**_REQUIRED, "invalid": "应为整数", "too_large": "数值过大"}


class LoginForm(StrictSchema):
    username = Text(64, required=True)
    password = Text(256, required=True)
    next = Text(300, load_default="/admin/")


class DispatchForm(StrictSchema):
    volunteer_ids = List(ObjectIdField(required=True), load_default=list, validate=Len(max=10))
    to_hall = Bool(load_default=False)
    due_at = AwareDateTime()
    note = Text(200, load_default="")


class ReasonForm(StrictSchema):
    reason = Text(200, required=True)


class NoteForm(StrictSchema):
    note = Text(200, load_default="")


class EmptyForm(StrictSchema):
    pass


class AdjustForm(StrictSchema):
    kind = Str(load_default="points", validate=OneOf(["points", "hours"]))
    delta = Float(required=True, validate=Range(min=-100_000, max=100_000))
    reason = Text(200, required=True)


class ReverseForm(StrictSchema):
    entry_id = ObjectIdField(required=True)
    reason = Text(200, required=True)


class CategoryForm(StrictSchema):
    name = Text(40, required=True)
    description = Text(200, load_default="")
    skills = Text(200, load_default="")
    base_points = FormInt(required=True, validate=Range(min=0, max=1000))
    service_hours = Float(required=True, validate=Range(min=0, max=100))
    sla_hours = FormInt(required=True, validate=Range(min=1, max=24 * 30))
    active = Bool(load_default=False)


class NewCategoryForm(CategoryForm):
    code = Str(
        required=True,
        validate=Regexp(
            r"^[a-z][a-z0-9_-]{1,31}$", error="编码应为 2 到 32 位小写字母、数字、- 或 _"
        ),
    )


class MemberFilter(StrictSchema):
    party_status = Str(validate=OneOf(PARTY_STATUSES))
