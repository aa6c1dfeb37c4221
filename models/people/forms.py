"""What the sign-in and member-directory forms of the admin pages accept."""

from __future__ import annotations

from models.core.forms import FormBool
from models.core.validation import (
    OneOf,
    Str,
    StrictSchema,
    Text,
)
from models.people.users import DUTY_NAMES, PARTY_STATUSES


class LoginForm(StrictSchema):
    username = Text(64, required=True)
    password = Text(256, required=True)
    next = Text(300, load_default="/admin/")


class MemberFilter(StrictSchema):
    party_status = Str(validate=OneOf(PARTY_STATUSES))


class DutyForm(StrictSchema):
    """A member's duty (网格员) switched on or off."""

    duty = Str(required=True, validate=OneOf(list(DUTY_NAMES)))
    on = FormBool(load_default=False)


class OrgPhoneForm(StrictSchema):
    """服务电话 (empty clears it); the format is checked by models/people/service_phone.py."""

    phone = Text(40)
