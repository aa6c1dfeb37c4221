"""微心愿: residents' small wishes; review, claim, fulfilment and award (one state machine)."""

from models.wishes.closing import auto_confirm, award_entries, confirm_wish
from models.wishes.machine import (
    approve_wish,
    auto_release,
    claim_wish,
    fulfil_wish,
    post_wish,
    reject_wish,
    release_wish,
)
from models.wishes.sla import run_wishes
from models.wishes.states import CATEGORIES, STATUS_NAMES, STATUSES
from models.wishes.visibility import get_visible, list_wishes, wish_json

__all__ = [
    "CATEGORIES",
    "STATUSES",
    "STATUS_NAMES",
    "approve_wish",
    "auto_confirm",
    "auto_release",
    "award_entries",
    "claim_wish",
    "confirm_wish",
    "fulfil_wish",
    "get_visible",
    "list_wishes",
    "post_wish",
    "reject_wish",
    "release_wish",
    "run_wishes",
    "wish_json",
]
