"""民意: suggestions, requests, complaints and praise; handling, ratings, follow-ups, analysis."""

from models.voices.followups import answer_followup, followup_json, get_followup, run_followups
from models.voices.jobs import run_voice_sla, run_voices
from models.voices.machine import (
    accept_voice,
    assign_voice,
    auto_close,
    close_voice,
    escalate_voice,
    rate_voice,
    reopen_after_followup,
    reply_voice,
    transfer_voice,
)
from models.voices.recommend import profile, recommend_handlers
from models.voices.states import CATEGORIES, KINDS, RATINGS, STATUS_NAMES, STATUSES
from models.voices.submitting import submit_voice
from models.voices.visibility import get_visible, list_voices, voice_json

__all__ = [
    "CATEGORIES",
    "KINDS",
    "RATINGS",
    "STATUSES",
    "STATUS_NAMES",
    "accept_voice",
    "answer_followup",
    "assign_voice",
    "auto_close",
    "close_voice",
    "escalate_voice",
    "followup_json",
    "get_followup",
    "get_visible",
    "list_voices",
    "profile",
    "rate_voice",
    "recommend_handlers",
    "reopen_after_followup",
    "reply_voice",
    "run_followups",
    "run_voice_sla",
    "run_voices",
    "submit_voice",
    "transfer_voice",
    "voice_json",
]
