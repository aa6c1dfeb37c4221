"""志愿服务活动与组织生活: activities, sign-ups with a waiting list, QR + location check-in,
hours, settlement through the ledger, 三会一课 attendance and quarterly counts.

The package's public face: callers use `activities.<service>`; each lives in one module
here (states, visibility, machine, signup, qr, checkin, hours, settlement, orglife,
schedule, notices).
"""

from models.activities.checkin import (
    attendance,
    close_forgotten_checkouts,
    correct,
    current_qr,
    scan,
)
from models.activities.machine import (
    cancel_activity,
    create_activity,
    edit_activity,
    end_activity,
    publish_activity,
    start_activity,
)
from models.activities.orglife import quarterly
from models.activities.qr import issue as issue_qr
from models.activities.qr import png_data_uri as qr_image
from models.activities.schedule import run_activities
from models.activities.settlement import settle
from models.activities.signup import (
    cancel_signup,
    counter_drift,
    fill_from_waitlist,
    my_signup,
    repair_counters,
    sign_up,
)
from models.activities.states import KIND_NAMES, STATUS_NAMES
from models.activities.visibility import (
    activity_json,
    get_organised,
    get_visible,
    list_activities,
    my_activities,
    signup_json,
)

__all__ = [
    "KIND_NAMES",
    "STATUS_NAMES",
    "activity_json",
    "attendance",
    "cancel_activity",
    "cancel_signup",
    "close_forgotten_checkouts",
    "correct",
    "counter_drift",
    "create_activity",
    "current_qr",
    "edit_activity",
    "end_activity",
    "fill_from_waitlist",
    "get_organised",
    "get_visible",
    "issue_qr",
    "list_activities",
    "my_activities",
    "my_signup",
    "publish_activity",
    "qr_image",
    "quarterly",
    "repair_counters",
    "run_activities",
    "scan",
    "settle",
    "sign_up",
    "signup_json",
    "start_activity",
]
