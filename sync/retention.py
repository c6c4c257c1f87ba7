"""Outcome retention: kept until the device acknowledged them, and at least 30 days.

A phone that was off for three weeks and retries must still get its stored outcome, so
nothing younger than the retention period is ever pruned, acknowledged or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from server.db.engine import Database
from server.db.models import MutationOutcome

__all__ = ["RETENTION", "prune_outcomes"]

RETENTION = timedelta(days=30)


async def prune_outcomes(db: Database, *, now: datetime) -> int:
    async with db.write() as uow:
        result = await uow.session.execute(
            delete(MutationOutcome).where(
                MutationOutcome.acknowledged_at.is_not(None),
                MutationOutcome.applied_at < now - RETENTION,
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
