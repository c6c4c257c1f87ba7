"""`Idempotency-Key` for creating quotes and orders: a retry gets the first answer.

The key is claimed inside the work's own transaction, first thing, and the response is
stored beside the document it created: claim, document and response commit together or
not at all. A process killed in the middle leaves nothing behind, so the retry does the
work (a claim committed on its own would have said "in progress" for ever). A concurrent
first use of the same key waits on the claim's row (PostgreSQL; SQLite has one writer),
then finds the stored response. Keys are per user: one user can never replay another's
response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.exc import IntegrityError

from server.db.engine import Database
from server.db.models import IdempotencyRecord
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.errors import Conflict, ValidationFailed

__all__ = ["StoredResponse", "create_once", "request_hash"]

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


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


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            code="invalid_idempotency_key",
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
    _check_key(key)
    endpoint = _stored_endpoint(endpoint)
    digest = request_hash(endpoint, data)
    try:
        async with db.write() as uow:
            record = await uow.session.get(IdempotencyRecord, (user_id, key))
            if record is not None and record.state == "done":
                stored = _answer(record, endpoint, digest)
                return stored.status, stored.body
            if record is None:
                record = IdempotencyRecord(user_id=user_id, key=key)
                uow.session.add(record)
            # A record never done is a claim committed by a version that claimed keys in a
            # transaction of its own and then died: nothing was created, the key is free.
            record.endpoint, record.request_hash = endpoint, digest
            record.state, record.created_at = "in_progress", utcnow()
            # Taken before the work's locks; a concurrent first use of the key waits here.
            await uow.session.flush()
            body = await work(uow)
            record.state = "done"
            record.response_status = 201
            record.response_body = msgspec.to_builtins(body)
    except IntegrityError:
        # PostgreSQL: a concurrent first use of the key committed while this one waited.
        async with db.read() as unit:
            existing = await unit.session.get(IdempotencyRecord, (user_id, key))
        if existing is None:
            raise
        stored = _answer(existing, endpoint, digest)
        return stored.status, stored.body
    return 201, body
