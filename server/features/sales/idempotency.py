"""`Idempotency-Key` for creating quotes and orders: a retry gets the first answer.

The key is claimed (state in_progress) in its own committed transaction before the work
starts, so a concurrent retry sees it and answers 409 instead of doing the work twice. The
work's transaction stores the response beside the document it created, so both commit
together or neither does; if the work fails, the claim is dropped and the key may be
retried. Keys are per user: one user can never replay another's response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import IdempotencyRecord
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.errors import Conflict, ValidationFailed

__all__ = ["Claim", "StoredResponse", "abandon", "claim", "create_once", "request_hash"]

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    user_id: str
    key: str

    async def complete(self, session: AsyncSession, status: int, body: Any) -> None:
        """Store the response in the work's own transaction."""
        record = await session.get(IdempotencyRecord, (self.user_id, self.key))
        if record is not None:
            record.state = "done"
            record.response_status = status
            record.response_body = msgspec.to_builtins(body)


def request_hash(endpoint: str, data: msgspec.Struct) -> str:
    # The decoded body, re-encoded: whitespace and key order of the retry do not matter.
    return hashlib.sha256(endpoint.encode() + b"\n" + msgspec.json.encode(data)).hexdigest()


_ENDPOINT_LENGTH = 100  # idempotency_records.endpoint


def _stored_endpoint(endpoint: str) -> str:
    """The endpoint as its record keeps it. A path longer than the column (an id nobody
    issued, in a path that names one) is kept as its start and a digest of the whole, so
    it still compares equal to itself only."""
    if len(endpoint) <= _ENDPOINT_LENGTH:
        return endpoint
    return (
        f"{endpoint[: _ENDPOINT_LENGTH - 33]}#{hashlib.sha256(endpoint.encode()).hexdigest()[:32]}"
    )


def _answer(record: IdempotencyRecord, endpoint: str, digest: str) -> StoredResponse:
    if record.endpoint != endpoint or record.request_hash != digest:
        raise ValidationFailed(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
        )
    if record.state != "done" or record.response_status is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="idempotency_in_progress",
        )
    return StoredResponse(record.response_status, dict(record.response_body or {}))


async def claim(
    db: Database, user_id: str, key: str, endpoint: str, digest: str
) -> Claim | StoredResponse:
    """Claim `key` for this request, or the stored response of its first use."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            code="invalid_idempotency_key",
        )
    endpoint = _stored_endpoint(endpoint)
    try:
        async with db.write() as uow:
            existing = await uow.session.get(IdempotencyRecord, (user_id, key))
            if existing is not None:
                return _answer(existing, endpoint, digest)
            uow.session.add(
                IdempotencyRecord(
                    user_id=user_id,
                    key=key,
                    endpoint=endpoint,
                    request_hash=digest,
                    state="in_progress",
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        # PostgreSQL: a concurrent first use inserted the same key a moment earlier.
        async with db.read() as unit:
            existing = await unit.session.get(IdempotencyRecord, (user_id, key))
            if existing is None:
                raise Conflict("Retry the request.", code="idempotency_in_progress") from None
            return _answer(existing, endpoint, digest)
    return Claim(user_id, key)


async def abandon(db: Database, handle: Claim) -> None:
    """The work failed and wrote nothing: free the key so the client may retry it."""
    async with db.write() as uow:
        await uow.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == handle.user_id,
                IdempotencyRecord.key == handle.key,
                IdempotencyRecord.state == "in_progress",
            )
        )


async def create_once(
    db: Database,
    user_id: str,
    key: str | None,
    endpoint: str,
    data: msgspec.Struct,
    work: Callable[[WriteUnit], Awaitable[Any]],
) -> tuple[int, Any]:
    """Run `work` (which creates a document and returns its detail) at most once per key.

    Returns (status, body): 201 and the new detail, or the stored first answer on a retry.
    """
    if key is None:
        async with db.write() as uow:
            return 201, await work(uow)
    handle = await claim(db, user_id, key, endpoint, request_hash(endpoint, data))
    if isinstance(handle, StoredResponse):
        return handle.status, handle.body
    try:
        async with db.write() as uow:
            body = await work(uow)
            await handle.complete(uow.session, 201, body)
    except BaseException:
        await abandon(db, handle)
        raise
    return 201, body
