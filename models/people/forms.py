"""What the sign-in and member-directory forms of the admin pages accept."""

from __future__ import annotations

from models.core.validation import (
    OneOf,
    Str,
    StrictSchema,
    Text,
)
from models.people.users import PARTY_STATUSES


class LoginForm(StrictSchema):
    username = Text(64, required=True)
    password = Text(256, required=True)
    next = Text(300, load_default="/admin/")


class MemberFilter(StrictSchema):
    party_status = Str(validate=OneOf(PARTY_STATUSES))
