"""The outbox worker: an asyncio task of every server process that delivers due messages.

Each round claims a batch (a lease, see outbox_store), delivers each message outside any
transaction, and records the outcome while the claim holds. Delivery is at least once: a
process that dies after sending but before recording sends again once the lease expires,
with the same `webhook-id`, so receivers can drop the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import socket
import uuid
from datetime import timedelta
from typing import Any

import httpx

from server.config import Settings
from server.db.engine import Database
from server.db.models import EmailMessage, OutboxMessage, WebhookAttempt, WebhookEndpoint
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.delivery import gives_up, retry_delay
from server.features.notifications.emails import RenderedEmail, send_smtp
from server.features.notifications.fan_out import fan_out, kept_email
from server.features.notifications.outbox_store import claim_due, claimed
from server.features.notifications.webhook_sender import SendResult, send_webhook

__all__ = ["OutboxWorker"]

log = logging.getLogger("fieldsales.outbox")

# Events fan out in one transaction per round; webhook and e-mail sends go out side by side,
# a bounded number at a time.
_BATCH = 100
_PARALLEL_SENDS = 20


class OutboxWorker:
    """Started with the app and cancelled when it shuts down; `run_once` is one round."""

    def __init__(self, db: Database, settings: Settings, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Redirects are not followed: a redirect could lead past the address check.
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False
            )
        return self._client

    async def run_once(self) -> int:
        """Claim what is due and deliver it; the number of messages handled."""
        lease = timedelta(seconds=self.settings.outbox_claim_seconds)
        smtp = bool(self.settings.smtp_url)
        async with self.db.write() as uow:
            batch = await claim_due(uow, self.worker_id, utcnow(), lease, _BATCH)
            # What needs no network is done in the claiming transaction itself: fanning
            # events out, and keeping e-mails when no SMTP server is set. One transaction
            # for the batch keeps the worker ahead of a busy order desk.
            # Read before any savepoint rolls back (which may expire the loaded rows).
            payloads = {m.id: m.payload for m in batch}
            claims = [(m.id, m.destination, m.event_type) for m in batch]
            events = [m for m in batch if m.destination is None]
            await self._fan_out(uow, events, smtp=smtp)
            for message_id, destination, _ in claims:
                if destination == "email" and not smtp:
                    await self._store_email(uow, await self._row(uow, message_id), sent=False)
            sends = [(i, d, t) for i, d, t in claims if d is not None and (d != "email" or smtp)]
        limit = asyncio.Semaphore(_PARALLEL_SENDS)

        async def send(message_id: str, destination: str, event_type: str) -> None:
            async with limit:
                await self._send(message_id, destination, event_type, payloads[message_id])

        await asyncio.gather(*(send(i, d, t) for i, d, t in sends))
        return len(batch)

    async def _fan_out(self, uow: WriteUnit, events: list[OutboxMessage], *, smtp: bool) -> None:
        """The batch's events at once; should that fail, each on its own, so that one event
        that cannot be fanned out (left claimed, tried again when its lease ends) holds up
        none of the others."""
        if not events:
            return
        ids = [event.id for event in events]
        try:
            async with uow.savepoint():
                await fan_out(uow, events, smtp=smtp)
            return
        except Exception:
            log.exception("fanning out a batch of %d outbox events failed", len(ids))
        for event_id in ids:
            try:
                async with uow.savepoint():
                    await fan_out(uow, [await self._row(uow, event_id)], smtp=smtp)
            except Exception:
                log.exception("fanning out outbox event %s failed", event_id)

    @staticmethod
    async def _row(uow: WriteUnit, message_id: str) -> OutboxMessage:
        row = await uow.session.get(OutboxMessage, message_id)
        assert row is not None  # claimed in this transaction
        return row

    async def _send(
        self, message_id: str, destination: str, event_type: str, payload: dict[str, Any]
    ) -> None:
        try:
            if destination == "email":
                await self._email(message_id, payload)
            elif destination.startswith("webhook:"):
                endpoint_id = destination.removeprefix("webhook:")
                await self._webhook(message_id, endpoint_id, event_type, payload)
        except Exception:
            log.exception("delivering outbox message %s failed", message_id)

    async def _email(self, message_id: str, email: dict[str, Any]) -> None:
        error: str | None = None
        try:
            await send_smtp(self.settings, email, message_id)
        except Exception as exc:  # any refusal or network error: retried later
            error = f"{type(exc).__name__}: {exc}"[:500]
        async with self.db.write() as uow:
            row = await claimed(uow, message_id, self.worker_id)
            if row is None:
                return
            if error is not None:
                self._retry_or_fail(row, error)
                return
            await self._store_email(uow, row, sent=True)

    async def _store_email(self, uow: WriteUnit, row: OutboxMessage, *, sent: bool) -> None:
        """The e-mail as the admin page lists it, and its message delivered."""
        if await uow.session.get(EmailMessage, row.id) is None:
            email = RenderedEmail(
                to=str(row.payload["to"]),
                subject=str(row.payload["subject"]),
                text=str(row.payload["text"]),
                html=str(row.payload["html"]),
            )
            uow.session.add(
                kept_email(row.id, row.event_type, email, created_at=row.created_at, sent=sent)
            )
        self._delivered(row)

    async def _webhook(
        self, message_id: str, endpoint_id: str, event_type: str, payload: dict[str, Any]
    ) -> None:
        async with self.db.read() as unit:
            endpoint = await unit.session.get(WebhookEndpoint, endpoint_id)
            target = (
                None
                if endpoint is None or not endpoint.enabled
                else (endpoint.url, endpoint.secret, endpoint.allow_private)
            )
        result: SendResult | None = None
        if target is not None:
            url, secret, allow_private = target
            body = json.dumps(
                {"type": event_type, "timestamp": utcnow().isoformat(), "data": payload},
                separators=(",", ":"),
            ).encode()
            result = await send_webhook(
                url,
                secret=secret,
                message_id=message_id,
                body=body,
                allow_private=allow_private or self.settings.webhooks_allow_private,
                client=self._http(),
            )
        async with self.db.write() as uow:
            row = await claimed(uow, message_id, self.worker_id)
            if row is None:
                return
            if result is None:
                row.status, row.last_error = "failed", "the endpoint is paused or was removed"
                row.claimed_by = row.claimed_until = None
                return
            uow.session.add(
                WebhookAttempt(
                    id=new_id(),
                    message_id=message_id,
                    endpoint_id=endpoint_id,
                    at=utcnow(),
                    status_code=result.status_code,
                    duration_ms=result.duration_ms,
                    error=result.error,
                )
            )
            endpoint = await uow.session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
            if result.ok:
                self._delivered(row)
                if endpoint is not None:
                    endpoint.consecutive_failures = 0
                return
            self._retry_or_fail(row, result.error or "failed")
            if endpoint is not None:
                endpoint.consecutive_failures += 1
                if (
                    endpoint.enabled
                    and endpoint.consecutive_failures >= self.settings.webhook_pause_after_failures
                ):
                    endpoint.enabled = False
                    endpoint.paused_reason = (
                        f"Paused after {endpoint.consecutive_failures} failed deliveries in a"
                        f" row; the last: {result.error}"
                    )
                    log.warning("webhook endpoint %s paused: %s", endpoint.id, result.error)

    def _delivered(self, row: OutboxMessage) -> None:
        row.status, row.delivered_at, row.last_error = "delivered", utcnow(), None
        row.attempts += 1
        row.claimed_by = row.claimed_until = None

    def _retry_or_fail(self, row: OutboxMessage, error: str) -> None:
        now = utcnow()
        row.attempts += 1
        row.last_error = error
        row.claimed_by = row.claimed_until = None
        window = timedelta(hours=self.settings.delivery_retry_hours)
        if gives_up(row.created_at, now, window):
            row.status = "failed"
        else:
            row.available_at = now + retry_delay(row.attempts, random.random())

    async def _loop(self) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("the outbox round failed; trying again at the next interval")
                handled = 0
            if handled < _BATCH:
                await asyncio.sleep(self.settings.outbox_poll_seconds)

    async def start(self) -> None:
        if self.settings.outbox_poll_seconds <= 0 or self.running:
            return
        self.task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
