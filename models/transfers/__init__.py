"""组织关系转接: moving a member's organisational relation between branches (one state machine).

pending_out ─approve(介绍信)→ pending_in ─accept→ accepted
     │                          ├─return(reason)→ returned
     └─cancel                   ├─cancel
                                └─(deadline, job)→ expired

A transfer out of the platform (no receiving node) ends at approval: the letter number is
issued and the member is marked 转出. On acceptance the member's org and org path change in
one transaction with the transfer; the auth lookup reads the user document per request, so
the member's token and both secretaries' scopes follow at once. Past ledger entries keep
the org path they were earned under.
"""

from models.transfers.machine import (
    accept,
    approve,
    cancel,
    open_work,
    request_transfer,
    return_transfer,
    run_deadlines,
)
from models.transfers.states import (
    ACCEPTED,
    ACTION_NAMES,
    BLOCKING_ORDER_STATES,
    CANCELLED,
    EXPIRED,
    OPEN,
    PENDING_IN,
    PENDING_OUT,
    RETURNED,
    STATUS_NAMES,
    STATUSES,
)
from models.transfers.visibility import (
    can_view,
    get_visible,
    list_transfers,
    member_history,
    transfer_json,
)

__all__ = [
    "ACCEPTED",
    "ACTION_NAMES",
    "BLOCKING_ORDER_STATES",
    "CANCELLED",
    "EXPIRED",
    "OPEN",
    "PENDING_IN",
    "PENDING_OUT",
    "RETURNED",
    "STATUSES",
    "STATUS_NAMES",
    "accept",
    "approve",
    "can_view",
    "cancel",
    "get_visible",
    "list_transfers",
    "member_history",
    "open_work",
    "request_transfer",
    "return_transfer",
    "run_deadlines",
    "transfer_json",
]
