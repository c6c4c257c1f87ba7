"""Claiming due outbox messages and recording how their delivery went.

A claim is a lease: `claimed_by` and `claimed_until` written in a short transaction of
its own, so that the slow part (the HTTP call, the SMTP conversation) holds no lock. On
PostgreSQL the claim reads with `FOR UPDATE SKIP LOCKED`, so workers of several processes
claiming at once take different rows; on SQLite the one writer makes claims take turns.
Every outcome is written only while the claim is still ours: a worker that overran its
lease (its message claimed again by another) records nothing, and the other delivers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from server.db.models import OutboxMessage, WebhookAttempt
from server.db.types import new_id
from server.db.unit_of_work import WriteUnit

__all__ = ["claim_due", "claimed_many", "purge_delivered", "replay"]


async def claim_due(
    uow: WriteUnit, worker_id: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
    )
    if uow.dialect_name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await uow.session.scalars(query)).all())
    if not rows:
        return rows
    until = now + lease
    # One UPDATE for the batch; the loaded rows are told its values without becoming
    # dirty, so no flush writes them again row by row.
    await uow.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in rows]))
        .values(claimed_by=worker_id, claimed_until=until),
        execution_options={"synchronize_session": False},
    )
    for row in rows:
        set_committed_value(row, "claimed_by", worker_id)
        set_committed_value(row, "claimed_until", until)
    return rows


async def claimed_many(
    uow: WriteUnit, message_ids: list[str], worker_id: str
) -> dict[str, OutboxMessage]:
    """A round's messages, locked, whose claim by this worker still holds, read in one
    statement."""
    if not message_ids:
        return {}
    rows = await uow.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_by == worker_id)
        .with_for_update()
    )
    return {row.id: row for row in rows if row.status == "pending"}


async def replay(uow: WriteUnit, row: OutboxMessage, now: datetime) -> None:
    """Deliver a delivered or failed message again, as new: due now, a new day of retries,
    the same id (a receiver that already processed it can tell). The attempt that
    delivered it before joins its attempt log."""
    if row.delivered_status is not None and row.destination is not None:
        uow.session.add(
            WebhookAttempt(
                id=new_id(),
                message_id=row.id,
                endpoint_id=row.destination.removeprefix("webhook:"),
                at=row.delivered_at or now,
                status_code=row.delivered_status,
                duration_ms=row.delivered_ms or 0,
                error=None,
            )
        )
    row.delivered_status = row.delivered_ms = None
    row.status, row.attempts, row.last_error = "pending", 0, None
    row.created_at = row.available_at = now
    row.claimed_by = row.claimed_until = row.delivered_at = None
    await uow.session.flush()


async def purge_delivered(uow: WriteUnit, before: datetime, limit: int) -> int:
    """Delete up to `limit` messages delivered before `before`, oldest first, with their
    attempt logs; the number deleted. Pending and failed messages stay: one is still to
    go, the other waits for an admin's replay.

    Read through the due index (`status`, `available_at`): a delivered message was due
    when it was last sent, so `available_at` is at most its delivery time."""
    query = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "delivered",
            OutboxMessage.available_at < before,
            OutboxMessage.delivered_at < before,
        )
        .order_by(OutboxMessage.available_at)
        .limit(limit)
    )
    if uow.dialect_name == "postgresql":
        # Workers of several processes purging at once take different messages, so their
        # deletes never wait on each other's rows.
        query = query.with_for_update(skip_locked=True)
    ids = list((await uow.session.scalars(query)).all())
    if not ids:
        return 0
    unsynchronized = {"synchronize_session": False}
    await uow.session.execute(
        delete(WebhookAttempt).where(WebhookAttempt.message_id.in_(ids)),
        execution_options=unsynchronized,
    )
    await uow.session.execute(
        delete(OutboxMessage).where(OutboxMessage.id.in_(ids)), execution_options=unsynchronized
    )
    return len(ids)
