"""The outbox worker: an asyncio task of every server process that delivers due messages.

Each round claims a batch (a lease, see outbox_store), delivers each message outside any
transaction, and records the outcome while the claim holds. Delivery is at least once: a
process that dies after sending but before recording sends again once the lease expires,
with the same `webhook-id`, so receivers can drop the repeat.

Under load (a full batch, so another round follows at once) a round's outcomes are
recorded in the next round's claiming transaction instead of one of their own: the
worker then takes the one SQLite writer once a round, not twice, away from the order desk.
When the batch was not full, or the worker stops, they are recorded straight away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import bindparam, null, select, update

from server.config import Settings
from server.db.engine import Database
from server.db.models import EmailMessage, OutboxMessage, WebhookAttempt, WebhookEndpoint
from server.db.models.base import table_of
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.delivery import gives_up, retry_delay
from server.features.notifications.emails import RenderedEmail, send_smtp
from server.features.notifications.fan_out import Delivery, fan_out, kept_email
from server.features.notifications.outbox_store import claim_due, claimed_many, purge_delivered
from server.features.notifications.webhook_connections import WebhookConnections
from server.features.notifications.webhook_sender import Routes, SendResult, send_webhook

__all__ = ["OutboxWorker", "Outcome"]

log = logging.getLogger("fieldsales.outbox")

# Events fan out in one transaction per round; webhook and e-mail sends go out side by side,
# a bounded number at a time.
_BATCH = 100
_PARALLEL_SENDS = 20
# Old delivered messages are deleted this often, this many per write transaction, so the
# order desk's writes go in between the batches.
_PURGE_EVERY_SECONDS = 600.0
_PURGE_BATCH = 500

_OUTBOX = table_of(OutboxMessage)
# A delivered webhook, while this worker's claim on it holds, with the attempt that
# delivered it.
_MARK_DELIVERED = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("m_id"),
        _OUTBOX.c.claimed_by == bindparam("m_worker"),
        _OUTBOX.c.status == "pending",
    )
    .values(
        status="delivered",
        delivered_at=bindparam("m_now"),
        delivered_status=bindparam("m_status"),
        delivered_ms=bindparam("m_ms"),
        last_error=null(),
        attempts=_OUTBOX.c.attempts + 1,
        claimed_by=null(),
        claimed_until=null(),
    )
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one delivery went: an e-mail's error (None: sent), a webhook's answer, or its
    endpoint gone (paused or removed since the message was queued)."""

    message_id: str
    destination: str
    error: str | None = None
    result: SendResult | None = None
    endpoint_gone: bool = False


def _webhook_delivered(outcome: Outcome) -> bool:
    return (
        outcome.destination != "email"
        and not outcome.endpoint_gone
        and outcome.result is not None
        and outcome.result.ok
    )


class OutboxWorker:
    """Started with the app and cancelled when it shuts down; `run_once` is one round."""

    def __init__(self, db: Database, settings: Settings, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.task: asyncio.Task[None] | None = None
        self._connections: WebhookConnections | None = None
        # Outcomes of the last full round, recorded with the next round's claim.
        self._carried: list[Outcome] = []

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def _http(self) -> WebhookConnections:
        # Redirects are never followed: a redirect could lead past the address check.
        if self._connections is None:
            self._connections = WebhookConnections(
                connect_timeout=5.0, timeout=10.0, idle_per_target=_PARALLEL_SENDS
            )
        return self._connections

    async def run_once(self) -> int:
        """Claim what is due and deliver it; the number of messages handled."""
        lease = timedelta(seconds=self.settings.outbox_claim_seconds)
        smtp = bool(self.settings.smtp_url)
        carried, self._carried = self._carried, []
        async with self.db.write() as uow:
            await self._record_in(uow, carried)
            now = utcnow()
            batch = await claim_due(uow, self.worker_id, now, lease, _BATCH)
            # What needs no network is done in the claiming transaction itself: fanning
            # events out, and keeping e-mails when no SMTP server is set. One transaction
            # for the batch keeps the worker ahead of a busy order desk.
            # Read before any savepoint rolls back (which may expire the loaded rows).
            payloads = {m.id: m.payload for m in batch}
            claims = [(m.id, m.destination, m.event_type) for m in batch]
            events = [m for m in batch if m.destination is None]
            # The deliveries fanned out are claimed as they are written, and sent now.
            born = await self._fan_out(uow, events, smtp=smtp, claim=(self.worker_id, now + lease))
            payloads.update((d.message_id, d.payload) for d in born)
            claims.extend((d.message_id, d.destination, d.event_type) for d in born)
            # The endpoints the fan-out read are those the new deliveries go to.
            targets = {
                d.destination.removeprefix("webhook:"): d.target
                for d in born
                if d.target is not None
            }
            for message_id, destination, _ in claims:
                if destination == "email" and not smtp:
                    await self._store_email(uow, await self._row(uow, message_id), sent=False)
            sends = [(i, d, t) for i, d, t in claims if d is not None and (d != "email" or smtp)]
        if sends:
            # Only messages claimed again (retries, replays) need their endpoint read.
            targets.update(
                await self._targets(
                    [d for _, d, _ in sends if d.removeprefix("webhook:") not in targets]
                )
            )
            routes = Routes()
            queue = iter(sends)

            async def sender() -> list[Outcome]:
                # Up to _PARALLEL_SENDS of these take the round's messages in turn from
                # the one queue: a coroutine a connection, not a task a message.
                done = []
                for message_id, destination, event_type in queue:
                    outcome = await self._send(
                        message_id,
                        destination,
                        event_type,
                        payloads[message_id],
                        targets,
                        routes,
                    )
                    if outcome is not None:
                        done.append(outcome)
                return done

            senders = min(_PARALLEL_SENDS, len(sends))
            outcomes = [
                o
                for part in await asyncio.gather(*(sender() for _ in range(senders)))
                for o in part
            ]
            if len(batch) == _BATCH:
                self._carried = outcomes  # the next round starts at once and records them
            else:
                # One write transaction records the whole round: the order desk shares the
                # one SQLite writer with it.
                await self._record(outcomes)
        return len(batch)

    async def _fan_out(
        self,
        uow: WriteUnit,
        events: list[OutboxMessage],
        *,
        smtp: bool,
        claim: tuple[str, datetime],
    ) -> list[Delivery]:
        """The batch's events at once; should that fail, each on its own, so that one event
        that cannot be fanned out (left claimed, tried again when its lease ends) holds up
        none of the others. The deliveries written, as each savepoint is released."""
        if not events:
            return []
        ids = [event.id for event in events]
        try:
            async with uow.savepoint():
                return await fan_out(uow, events, smtp=smtp, settings=self.settings, claim=claim)
        except Exception:
            log.exception("fanning out a batch of %d outbox events failed", len(ids))
        born: list[Delivery] = []
        for event_id in ids:
            try:
                async with uow.savepoint():
                    written = await fan_out(
                        uow,
                        [await self._row(uow, event_id)],
                        smtp=smtp,
                        settings=self.settings,
                        claim=claim,
                    )
                born.extend(written)
            except Exception:
                log.exception("fanning out outbox event %s failed", event_id)
        return born

    @staticmethod
    async def _row(uow: WriteUnit, message_id: str) -> OutboxMessage:
        row = await uow.session.get(OutboxMessage, message_id)
        assert row is not None  # claimed in this transaction
        return row

    async def _targets(self, destinations: list[str]) -> dict[str, tuple[str, str, bool]]:
        """The enabled webhook endpoints the round sends to: id -> (url, secret, private)."""
        ids = sorted({d.removeprefix("webhook:") for d in destinations if d.startswith("webhook:")})
        if not ids:
            return {}
        async with self.db.read() as unit:
            rows = await unit.session.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids))
            )
            return {e.id: (e.url, e.secret, e.allow_private) for e in rows if e.enabled}

    async def _send(
        self,
        message_id: str,
        destination: str,
        event_type: str,
        payload: dict[str, Any],
        targets: dict[str, tuple[str, str, bool]],
        routes: Routes,
    ) -> Outcome | None:
        """Deliver one message; what happened, or None when it could not even be tried
        (it stays claimed and is tried again when the lease ends)."""
        try:
            if destination == "email":
                error: str | None = None
                try:
                    await send_smtp(self.settings, payload, message_id)
                except Exception as exc:  # any refusal or network error: retried later
                    error = f"{type(exc).__name__}: {exc}"[:500]
                return Outcome(message_id, destination, error=error)
            endpoint_id = destination.removeprefix("webhook:")
            target = targets.get(endpoint_id)
            if target is None:
                return Outcome(message_id, destination, endpoint_gone=True)
            url, secret, allow_private = target
            body = msgspec.json.encode(
                {"type": event_type, "timestamp": utcnow().isoformat(), "data": payload}
            )
            result = await send_webhook(
                url,
                secret=secret,
                message_id=message_id,
                body=body,
                allow_private=allow_private or self.settings.webhooks_allow_private,
                connections=self._http(),
                routes=routes,
            )
            return Outcome(message_id, destination, result=result)
        except Exception:
            log.exception("delivering outbox message %s failed", message_id)
            return None

    async def _record(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        async with self.db.write() as uow:
            await self._record_in(uow, outcomes)

    async def _record_in(self, uow: WriteUnit, outcomes: list[Outcome]) -> None:
        """Each outcome, while this worker's claim on its message still holds: the
        messages and their endpoints read in one statement each."""
        delivered = [o for o in outcomes if _webhook_delivered(o)]
        await self._record_delivered(uow, delivered)
        outcomes = [o for o in outcomes if not _webhook_delivered(o)]
        if not outcomes:
            return
        rows = await claimed_many(uow, [o.message_id for o in outcomes], self.worker_id)
        endpoint_ids = sorted(
            {o.destination.removeprefix("webhook:") for o in outcomes if o.destination != "email"}
        )
        endpoints = {
            e.id: e
            for e in await uow.session.scalars(
                select(WebhookEndpoint)
                .where(WebhookEndpoint.id.in_(endpoint_ids))
                .with_for_update()
            )
        }
        for outcome in outcomes:
            row = rows.get(outcome.message_id)
            if row is None:
                continue
            if outcome.destination == "email":
                if outcome.error is not None:
                    self._retry_or_fail(row, outcome.error)
                else:
                    await self._store_email(uow, row, sent=True)
                continue
            endpoint = endpoints.get(outcome.destination.removeprefix("webhook:"))
            self._record_webhook(uow, row, outcome, endpoint)

    async def _record_delivered(self, uow: WriteUnit, outcomes: list[Outcome]) -> None:
        """Webhooks the receiver took, the common case under load, recorded by two plain
        statements on the writer's connection whatever their number: each message that
        this worker still holds marked delivered, with the status and duration of the
        attempt that delivered it (one that overran its lease is another's now and is
        left alone), and their endpoints' failure counts reset."""
        if not outcomes:
            return
        now = utcnow()
        rows = []
        for outcome in outcomes:
            assert outcome.result is not None  # a delivered webhook has its answer
            rows.append(
                {
                    "m_id": outcome.message_id,
                    "m_worker": self.worker_id,
                    "m_now": now,
                    "m_status": outcome.result.status_code,
                    "m_ms": outcome.result.duration_ms,
                }
            )
        await uow.sql.execute_many(_MARK_DELIVERED, rows)
        endpoints = sorted({o.destination.removeprefix("webhook:") for o in outcomes})
        await uow.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(endpoints), WebhookEndpoint.consecutive_failures != 0)
            .values(consecutive_failures=0),
            execution_options={"synchronize_session": False},
        )

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

    def _record_webhook(
        self,
        uow: WriteUnit,
        row: OutboxMessage,
        outcome: Outcome,
        endpoint: WebhookEndpoint | None,
    ) -> None:
        """A webhook that was not delivered (the delivered ones are `_record_delivered`'s):
        its endpoint gone, or its attempt logged and the message retried later."""
        result = outcome.result
        if outcome.endpoint_gone or result is None:
            row.status, row.last_error = "failed", "the endpoint is paused or was removed"
            row.claimed_by = row.claimed_until = None
            return
        uow.session.add(
            WebhookAttempt(
                id=new_id(),
                message_id=row.id,
                endpoint_id=outcome.destination.removeprefix("webhook:"),
                at=utcnow(),
                status_code=result.status_code,
                duration_ms=result.duration_ms,
                error=result.error,
            )
        )
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

    async def purge(self, now: datetime | None = None) -> int:
        """Delete the messages delivered more than `outbox_retention_days` ago (events and
        deliveries, with their attempt logs); the number deleted. The outbox gains rows
        with every order, and its due index and the endpoints' pages read it."""
        days = self.settings.outbox_retention_days
        if days <= 0:
            return 0
        before = (now or utcnow()) - timedelta(days=days)
        deleted = 0
        while True:
            async with self.db.write() as uow:
                batch = await purge_delivered(uow, before, _PURGE_BATCH)
            deleted += batch
            if batch < _PURGE_BATCH:
                break
        if deleted:
            log.info("deleted %d outbox messages delivered over %g days ago", deleted, days)
        return deleted

    async def _loop(self) -> None:
        next_purge = time.monotonic()
        while True:
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
                try:
                    await self.purge()
                except Exception:
                    log.exception("deleting old outbox messages failed; trying again later")
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
        carried, self._carried = self._carried, []
        try:
            await self._record(carried)
        except Exception:
            # Unrecorded, they are sent again when their lease ends (at least once).
            log.exception("recording %d outbox outcomes at shutdown failed", len(carried))
        if self._connections is not None:
            await self._connections.aclose()
            self._connections = None
