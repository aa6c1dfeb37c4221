"""What every service function is given: the database, the settings and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from server.config import Config


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    db: AsyncDatabase
    config: Config
    clock: Callable[[], datetime] = _utcnow
    cache: dict[str, Any] = field(default_factory=dict)
    failpoints: set[str] = field(default_factory=set)

    def now(self) -> datetime:
        return self.clock()

    async def ping(self) -> None:
        """Raise if the database does not answer (readiness)."""
        await self.db.command("ping")

    def failpoint(self, name: str) -> None:
        """Tests arm a name to simulate a crash there; production never arms any."""
        if name in self.failpoints:
            raise FailpointTriggered(name)


class FailpointTriggered(RuntimeError):
    """Raised at an armed failpoint: stands in for a crash at that exact line."""
