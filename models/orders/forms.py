"""What the dispatch, phone-order and catalogue forms of the admin pages accept."""

from __future__ import annotations

from marshmallow.validate import Regexp

from models.core.forms import FormBool, FormInt
from models.core.schemas import Phone
from models.core.validation import (
    AwareDateTime,
    Hours,
    List,
    ObjectIdField,
    OneOf,
    Range,
    Str,
    StrictSchema,
    Text,
)
from models.core.validation import Length as Len


class DispatchForm(StrictSchema):
    volunteer_ids = List(ObjectIdField(required=True), load_default=list, validate=Len(max=10))
    to_hall = FormBool(load_default=False)
    due_at = AwareDateTime()
    note = Text(200, load_default="")


class CategoryForm(StrictSchema):
    name = Text(40, required=True)
    description = Text(200, load_default="")
    skills = Text(200, load_default="")
    base_points = FormInt(required=True, validate=Range(min=0, max=1000))
    service_hours = Hours(required=True, validate=Range(min=0, max=100))
    sla_hours = FormInt(required=True, validate=Range(min=1, max=24 * 30))
    active = FormBool(load_default=False)


class NewCategoryForm(CategoryForm):
    code = Str(
        required=True,
        validate=Regexp(
            r"^[a-z][a-z0-9_-]{1,31}$", error="编码应为 2 到 32 位小写字母、数字、- 或 _"
        ),
    )


class PhoneOrderForm(StrictSchema):
    """电话点单: an order placed on a resident's behalf from the dispatch board."""

    org_id = ObjectIdField(required=True)
    name = Text(40, required=True)
    phone = Phone(required=True)
    address = Text(200, required=True)
    category_id = ObjectIdField(required=True)
    description = Text(1000, required=True)
    channel = Str(required=True, validate=OneOf(["phone", "visit", "counter"]))


class PhoneLookupForm(StrictSchema):
    phone = Phone(required=True)


class ConfirmOnBehalfForm(StrictSchema):
    """代确认 on the admin order page: the rating given on the phone and the call noted."""

    rating = FormInt(required=True, validate=Range(min=1, max=5))
    on_behalf_note = Text(200, load_default="")
    comment = Text(500, load_default="")
