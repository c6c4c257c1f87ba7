"""Import jobs: a checked file written in batches, each its own short write transaction.

The whole file is checked first, outside any write transaction; a file with any problem
is refused and nothing is written. A file that passes becomes a job and is written in
batches of `batch_rows` rows. Each batch commits with the job's progress (`rows_done`), and
between batches the writer goes to the requests waiting for it, so a large import never
holds the database (on SQLite, the whole server) for long. A job that stops part way (the
server restarted, the database failed, or someone changed the data since the file was
checked) keeps the rows it wrote and can be resumed: resuming writes the remaining rows
once, since a batch only commits if the job's progress is still what it was when the
batch started.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select, update

from server.db.engine import Database
from server.db.models import ImportJob
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.errors import Conflict, DomainError, NotFound
from server.features.imports import customers, products

__all__ = [
    "KINDS",
    "ImportJobOut",
    "ImportStopped",
    "find_job",
    "recent_jobs",
    "resume_job",
    "run_job",
    "start_job",
]

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED = "running", "done", "failed"
_MAX_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class _Kind:
    checked_rows: Callable[..., Awaitable[list[Any]]]
    write_rows: Callable[[WriteUnit, str, list[Any]], Awaitable[Any]]
    combined: Callable[[Any, Any], Any]
    result_type: type[msgspec.Struct]


KINDS: dict[str, _Kind] = {
    "customers": _Kind(
        customers.checked_rows,
        customers.write_rows,
        customers.combined,
        customers.CustomerImportResult,
    ),
    "products": _Kind(
        products.checked_rows, products.write_rows, products.combined, products.ProductImportResult
    ),
}


class ImportJobOut(msgspec.Struct):
    id: str
    kind: str
    status: str  # running | done | failed
    rows_total: int
    rows_done: int
    result: dict[str, Any] | None  # the counts so far, as the import's own answer gives them
    error: dict[str, Any] | None  # why a failed job stopped: code, message, details
    created_at: str
    updated_at: str


class ImportStopped(Conflict):
    code = "import_stopped"


class _Superseded(Exception):
    """Another run of the same job wrote this batch first."""


def _out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        rows_total=job.rows_total,
        rows_done=job.rows_done,
        result=job.result,
        error=job.error,
        created_at=job.created_at.isoformat(),
        updated_at=job.updated_at.isoformat(),
    )


async def find_job(db: Database, job_id: str) -> ImportJobOut:
    async with db.read() as unit:
        job = await unit.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("No such import.", code="import_not_found")
    return _out(job)


async def recent_jobs(db: Database, limit: int = 20) -> list[ImportJobOut]:
    async with db.read() as unit:
        jobs = (
            (
                await unit.session.execute(
                    select(ImportJob)
                    .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
    return [_out(job) for job in jobs]


async def start_job(
    db: Database, kind: str, actor_id: str, raw: bytes, job_id: str | None = None
) -> str:
    """Check the whole file (ImportRejected, nothing written) and record it as a job."""
    async with db.read() as unit:
        rows = await KINDS[kind].checked_rows(unit.session, raw)
    job_id = job_id or new_id()
    now = utcnow()
    async with db.write() as uow:
        uow.session.add(
            ImportJob(
                id=job_id,
                kind=kind,
                actor_id=actor_id,
                status=RUNNING,
                rows_total=len(rows),
                rows_done=0,
                content=raw,
                result=None,
                error=None,
                created_at=now,
                updated_at=now,
            )
        )
    return job_id


async def _write_batch(
    db: Database,
    job: ImportJob,
    kind: _Kind,
    batch: list[Any],
    start: int,
    before: Any,
) -> Any:
    end = start + len(batch)
    async with db.write() as uow:
        # Claiming the batch first also locks the job's row (PostgreSQL): a second run of
        # the same job waits here, then finds the progress moved and stops.
        claimed = await uow.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id, ImportJob.rows_done == start, ImportJob.status != DONE)
            .values(rows_done=end, status=RUNNING, updated_at=utcnow())
        )
        if getattr(claimed, "rowcount", 0) != 1:
            raise _Superseded
        result = kind.combined(before, await kind.write_rows(uow, job.actor_id, batch))
        await uow.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id)
            .values(
                result=msgspec.to_builtins(result),
                status=DONE if end == job.rows_total else RUNNING,
                error=None,
            )
        )
    return result


async def _stop(db: Database, job_id: str, error: dict[str, Any]) -> None:
    try:
        async with db.write() as uow:
            await uow.session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(status=FAILED, error=error, updated_at=utcnow())
            )
    except Exception:
        # The job still shows its progress, and resuming it works the same.
        log.exception("could not record that import %s stopped", job_id)


async def _make_way(db: Database, batch_seconds: float) -> None:
    """Let other requests through between batches. Writers queued meanwhile go first
    anyway (the writer serves them in arrival order); on SQLite the writer's statements
    also hold the event loop, so a request that reads waits for each batch at every step
    it awaits. There the import pauses as long as its batch took: half the server's time
    at most goes to the import, the rest to everyone else."""
    await asyncio.sleep(min(batch_seconds, _MAX_PAUSE_SECONDS) if db.is_sqlite else 0)


async def run_job(db: Database, job_id: str, batch_rows: int) -> ImportJobOut:
    """Write the job's remaining rows, batch after batch. A batch refused for a problem
    with the data stops the job (ImportStopped); what earlier batches wrote stays."""
    async with db.read() as unit:
        job = await unit.session.get(ImportJob, job_id)
        if job is None:
            raise NotFound("No such import.", code="import_not_found")
        if job.status == DONE:
            return _out(job)
        kind = KINDS[job.kind]
        rows = await kind.checked_rows(unit.session, job.content, against_database=False)
    start = job.rows_done
    before = msgspec.convert(job.result, kind.result_type) if job.result else None
    while start < len(rows):
        batch = rows[start : start + batch_rows]
        began = time.monotonic()
        try:
            before = await _write_batch(db, job, kind, batch, start, before)
        except _Superseded:
            break
        except DomainError as exc:
            error = {
                "code": exc.code,
                "message": exc.message,
                "details": exc.details,
                "rows_done": start,
            }
            await _stop(db, job_id, error)
            raise ImportStopped(
                f"The import stopped after {start} of {len(rows)} rows: {exc.message} The rows before "
                "were imported; resume the import once the problem is fixed.",
                details={"job_id": job_id, **error},
            ) from exc
        except Exception:
            log.exception("import %s stopped after %s rows", job_id, start)
            await _stop(
                db,
                job_id,
                {
                    "code": "import_interrupted",
                    "rows_done": start,
                    "message": "The import was interrupted; resume it to write the remaining rows.",
                },
            )
            raise
        start += len(batch)
        await _make_way(db, time.monotonic() - began)
    return await find_job(db, job_id)


async def resume_job(db: Database, job_id: str, batch_rows: int) -> ImportJobOut:
    job = await find_job(db, job_id)
    if job.status == DONE:
        return job
    return await run_job(db, job_id, batch_rows)
