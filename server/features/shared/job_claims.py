"""Background jobs that every server process schedules, done by one process at a time.

Each server process runs the same periodic jobs on its own clock, so on PostgreSQL several
of them may start the same job at the same moment. A run therefore first claims the job:
a transaction-scoped advisory lock named after it, taken first thing in the run's
transaction (before any row lock) and released by its commit or rollback. A process that
finds the job claimed skips this run instead of queueing behind the other's row locks to
find nothing left: the other run commits the same work. On SQLite the one write lock
already makes runs take turns, and a later run finds nothing left to do.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.sql import func

from server.db.unit_of_work import WriteUnit

__all__ = ["JOB_LOCK_KEYS", "claim_job_run"]

# Advisory lock keys, one per job; distinct from the migrations' lock (server/db/migrate.py).
JOB_LOCK_KEYS = {"quote_expiry": 7_246_301}

_TRY_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("key")))


async def claim_job_run(uow: WriteUnit, job: str) -> bool:
    """True if this transaction may run `job` now; False while another one runs it."""
    if uow.dialect_name != "postgresql":
        return True
    return bool(await uow.session.scalar(_TRY_LOCK, {"key": JOB_LOCK_KEYS[job]}))
