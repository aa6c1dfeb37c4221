"""服务工单: the order state machine, its visibility, recommendation, SLAs, catalogue and notices.

The package's public face: callers use `orders.<service>`; each lives in one module here
(states, visibility, placing, machine, closing, recommend).
"""

from models.core.geo import distance_km
from models.orders.closing import auto_close_order, award_entries, close_and_award, confirm_order
from models.orders.machine import (
    accept_order,
    cancel_order,
    complete_order,
    decline_order,
    dispatch_order,
    escalate_order,
    reject_order,
    start_order,
)
from models.orders.placing import place_order
from models.orders.recommend import recommend_volunteers, score_member
from models.orders.states import (
    ACCEPTED,
    ACTION_NAMES,
    CANCELLED,
    CLOSED,
    COMPLETED,
    DISPATCHED,
    EXCLUDE_TIMELINE,
    IN_SERVICE,
    OPEN_FOR_ASSIGNEE,
    REJECTED,
    STATUS_NAMES,
    STATUSES,
    SUBMITTED,
)
from models.orders.visibility import (
    allowed_actions,
    awaiting_dispatch,
    can_view,
    get_visible,
    list_orders,
    order_json,
    task_hall,
)
from models.people.users import SYSTEM

__all__ = [
    "ACCEPTED",
    "ACTION_NAMES",
    "CANCELLED",
    "CLOSED",
    "COMPLETED",
    "DISPATCHED",
    "EXCLUDE_TIMELINE",
    "IN_SERVICE",
    "OPEN_FOR_ASSIGNEE",
    "REJECTED",
    "STATUSES",
    "STATUS_NAMES",
    "SUBMITTED",
    "SYSTEM",
    "accept_order",
    "allowed_actions",
    "auto_close_order",
    "awaiting_dispatch",
    "award_entries",
    "can_view",
    "cancel_order",
    "close_and_award",
    "complete_order",
    "confirm_order",
    "decline_order",
    "dispatch_order",
    "distance_km",
    "escalate_order",
    "get_visible",
    "list_orders",
    "order_json",
    "place_order",
    "recommend_volunteers",
    "reject_order",
    "score_member",
    "start_order",
    "task_hall",
]
