"""What the member-service admin pages share: one way to run an action and go back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from handlers.admin.base import AdminHandler
from server.errors import AppError


async def act(
    handler: AdminHandler, back: str, work: Callable[[], Awaitable[Any]], done: str
) -> None:
    """Run an action: back to the page with a message, or with the error (403/404 raised)."""
    try:
        await work()
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        detail = "；".join(str(v) for v in exc.fields.values()) if exc.fields else exc.message
        handler.flash(detail, error=True)
    else:
        handler.flash(done)
    handler.redirect(back)
