"""Background jobs of the sales slice, run inside the server process.

Quotes past their validity are also expired on every read, but a quote nobody opens must
still turn `expired` (reports and the change feed would otherwise show it as open), so the
server runs `expire_quotes` once at startup and then every `interval_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from server.db.engine import Database
from server.features.sales.quote_service import expire_quotes

__all__ = ["QuoteExpiryJob"]

log = logging.getLogger("fieldsales.jobs")


class QuoteExpiryJob:
    """An asyncio task started with the app and cancelled when it shuts down."""

    def __init__(self, db: Database, interval_seconds: int) -> None:
        self.db = db
        self.interval_seconds = interval_seconds
        self.task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def run_once(self) -> int:
        expired = await expire_quotes(self.db)
        if expired:
            log.info("expired %d quote(s) past their validity", expired)
        return expired

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("quote expiry failed; retrying at the next interval")
            await asyncio.sleep(self.interval_seconds)

    async def start(self) -> None:
        if self.interval_seconds <= 0 or self.running:
            return
        self.task = asyncio.create_task(self._loop(), name="quote-expiry")

    async def stop(self) -> None:
        if self.task is None:
            return
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.task = None
