"""Push: apply a device's mutations exactly once, in seq order.

A mutation's effects, its stored outcome and the device's `last_seq` commit in the same
transaction, so "applied" and "remembered as applied" can never disagree: if the server
commits and the phone never hears back, the retry finds the stored outcome and gets it
again, marked duplicate, instead of a second order. Each mutation runs in a savepoint of
its own, so a rejected one leaves nothing behind but its outcome.

On PostgreSQL every mutation commits on its own: row locks (stock, the number sequence,
the change counter) are held until commit, and holding them across mutations would make
concurrent pushes wait on each other or deadlock. On SQLite there are no row locks, only
the one write lock that every write transaction takes anyway, and a commit costs a round
trip to the driver's thread; there several mutations of one push (up to `_GROUP_LIMIT`,
for at most `_GROUP_SECONDS`) share one transaction. Exactly-once is the same either way:
the answer is sent only after the commit, and a transaction that fails takes its
mutations and their outcomes with it (503, nothing advanced), so the phone sends them
again.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import Device, MutationOutcome
from server.db.models.base import table_of
from server.db.types import utcnow
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import DomainError, NotFound, PermissionDenied
from sync.protocol import Mutation, Outcome, PushRequest, PushResponse

__all__ = ["HandlerResult", "MutationHandler", "SyncEngine"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class HandlerResult:
    status: str = "accepted"  # accepted | needs_approval
    result: dict[str, Any] = field(default_factory=dict)


MutationHandler = Callable[[WriteUnit, CurrentUser, Mutation], Awaitable[HandlerResult]]

# The bookkeeping of every mutation, as the unit's direct statements.
_DEVICE = (
    select(Device.id, Device.user_id, Device.last_seq, Device.revoked_at)
    .where(Device.id == bindparam("device_id"))
    .with_for_update()
)
_ADVANCE = (
    update(Device)
    .where(Device.id == bindparam("device_id"))
    .values(last_seq=bindparam("seq"), last_seen_at=bindparam("now"))
)
_STORED = select(MutationOutcome.outcome).where(
    MutationOutcome.device_id == bindparam("device_id"), MutationOutcome.seq == bindparam("at_seq")
)
_INSERT_OUTCOME = insert(table_of(MutationOutcome))

_log = logging.getLogger(__name__)

# On SQLite, up to this many mutations of one push share a write transaction, for at most
# this long, so that other writers wait no longer than that for the one write lock.
_GROUP_LIMIT = 64
_GROUP_SECONDS = 0.05


def _strings(value: Any) -> Iterator[str]:
    """Every string in a mutation's arguments, however deeply nested (without recursion:
    the nesting is the phone's to choose)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _referenced_ids(value: Any) -> set[str]:
    return {s for s in _strings(value) if _UUID.match(s)}


# NUL, which PostgreSQL cannot store in text, and half of a UTF-16 surrogate pair (a lone
# "\udfff" escape in JSON), which no database can.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_unstorable_text(value: Any) -> bool:
    return any(_UNSTORABLE.search(s) for s in _strings(value))


class _UnbornEntities:
    """Entities this device tried to create and was refused, and never created since.

    A mutation that refers to one of them (or is about one of them) depends on that
    rejection and is rejected too: an order for a customer whose onboarding was refused.
    Only a rejected creation counts: a rejected send of a quote, or a rejected edit of a
    customer, leaves the entity there to work on. Loaded once per push from the stored
    outcomes and kept up to date as the push goes on, instead of one query per mutation.
    """

    def __init__(self) -> None:
        self.as_of: int | None = None  # the device's last_seq the set is correct for
        self.ids: set[str] = set()

    async def load(
        self, session: AsyncSession, device_id: str, creating: set[str], as_of: int
    ) -> None:
        self.as_of, self.ids = as_of, set()
        if not creating:
            return
        created = select(MutationOutcome.entity_id).where(
            MutationOutcome.device_id == device_id,
            MutationOutcome.status != "rejected",
        )
        rows = await session.execute(
            select(MutationOutcome.entity_id, MutationOutcome.outcome).where(
                MutationOutcome.device_id == device_id,
                MutationOutcome.status == "rejected",
                MutationOutcome.mutation_type.in_(sorted(creating)),
                MutationOutcome.entity_id.not_in(created),
            )
        )
        self.ids = {r.entity_id for r in rows if not _id_taken(r.outcome.get("code"))}

    def dependency_of(self, mutation: Mutation) -> str | None:
        if not self.ids:
            return None
        # The entity itself counts: updating a customer whose creation was rejected is a
        # dependency on that rejection too.
        referenced = _referenced_ids(mutation.args) | {mutation.entity_id}
        return min(referenced & self.ids, default=None)

    def record(self, mutation: Mutation, outcome: Outcome, creating: set[str]) -> None:
        self.as_of = mutation.seq
        if outcome.status != "rejected":
            self.ids.discard(mutation.entity_id)
        elif mutation.type in creating and not _id_taken(outcome.code):
            self.ids.add(mutation.entity_id)


def _id_taken(code: str | None) -> bool:
    """A creation refused because its id is already in use: the entity exists (made by an
    earlier mutation, or by the same one sent twice), so nothing depends on a rejection."""
    return bool(code and code.endswith("_id_taken"))


class SyncEngine:
    def __init__(self) -> None:
        self._handlers: dict[str, MutationHandler] = {}
        # Types that bring an entity into being, as phones may spell them (with or without @n).
        self._creating: set[str] = set()

    def register(
        self, mutation_type: str, version: int, handler: MutationHandler, *, creates: bool = False
    ) -> None:
        """`creates`: the mutation brings its entity into being, so when it is rejected the
        entity does not exist and whatever refers to it is rejected too."""
        self._handlers[f"{mutation_type}@{version}"] = handler
        if creates:
            self._creating.add(f"{mutation_type}@{version}")
            if version == 1:
                self._creating.add(mutation_type)

    @property
    def mutation_types(self) -> list[str]:
        return sorted(self._handlers)

    def _handler_for(self, mutation_type: str) -> MutationHandler | None:
        # A type without "@n" is version 1: the shape the first phones shipped with.
        key = mutation_type if "@" in mutation_type else f"{mutation_type}@1"
        return self._handlers.get(key)

    async def _load_device(self, unit: ReadUnit, user: CurrentUser, device_id: str) -> Any:
        device = await unit.sql.first(_DEVICE, {"device_id": device_id})
        if device is None or device.user_id != user.id:
            raise NotFound("This device is not registered to you.", code="device_unknown")
        if device.revoked_at is not None:
            raise PermissionDenied(
                "This device was revoked. Its unsent work stays on the phone; sign in on a registered device.",
                code="device_revoked",
            )
        return device

    async def push(self, db: Database, user: CurrentUser, request: PushRequest) -> PushResponse:
        outcomes: list[Outcome] = []
        expected: int | None = None
        last_seq = 0
        unborn = _UnbornEntities()
        pending = deque(sorted(request.mutations, key=lambda m: m.seq))
        # How many mutations may share one transaction: see the module docstring.
        group_limit = _GROUP_LIMIT if db.is_sqlite else 1
        while pending and expected is None:
            async with db.write() as uow:
                sql = uow.sql
                device = await self._load_device(uow, user, request.device_id)
                last_seq = device.last_seq
                started, applied = time.monotonic(), 0
                while pending and applied < group_limit:
                    mutation = pending[0]
                    if mutation.seq <= last_seq:
                        outcomes.append(await self._stored(uow, device.id, mutation))
                        pending.popleft()
                        continue
                    if mutation.seq > last_seq + 1:
                        expected = last_seq + 1
                        break
                    if unborn.as_of != last_seq:
                        # First mutation of this push, or another push of the device got in between.
                        await unborn.load(uow.session, device.id, self._creating, last_seq)
                    outcome = await self._apply(uow, user, mutation, unborn)
                    await sql.execute(
                        _INSERT_OUTCOME,
                        {
                            "device_id": device.id,
                            "seq": mutation.seq,
                            "mutation_type": mutation.type,
                            "entity_id": mutation.entity_id,
                            "status": outcome.status,
                            "outcome": _outcome_dict(outcome),
                            "applied_at": utcnow(),
                            "acknowledged_at": None,
                        },
                    )
                    last_seq = mutation.seq
                    # Recorded: the mutations after it in this transaction see its outcome,
                    # and if the transaction fails the whole push fails with it.
                    unborn.record(mutation, outcome, self._creating)
                    outcomes.append(outcome)
                    pending.popleft()
                    applied += 1
                    if time.monotonic() - started > _GROUP_SECONDS:
                        break
                # last_seen_at together with last_seq: one UPDATE per transaction.
                await sql.execute(
                    _ADVANCE, {"device_id": device.id, "seq": last_seq, "now": utcnow()}
                )
        if not request.mutations:
            async with db.read() as unit:
                device = await self._load_device(unit, user, request.device_id)
                last_seq = device.last_seq
        if request.ack_up_to:
            await self._acknowledge(db, request.device_id, request.ack_up_to)
        return PushResponse(
            device_id=request.device_id, last_seq=last_seq, outcomes=outcomes, expected_seq=expected
        )

    async def _stored(self, uow: WriteUnit, device_id: str, mutation: Mutation) -> Outcome:
        row = await uow.sql.first(_STORED, {"device_id": device_id, "at_seq": mutation.seq})
        if row is None:
            # Outcome already pruned after acknowledgement: the phone has it.
            return Outcome(
                seq=mutation.seq,
                type=mutation.type,
                entity_id=mutation.entity_id,
                status="accepted",
                duplicate=True,
                code="outcome_expired",
            )
        data = dict(row.outcome)
        data["duplicate"] = True
        return Outcome(**data)

    async def _apply(
        self,
        uow: WriteUnit,
        user: CurrentUser,
        mutation: Mutation,
        unborn: _UnbornEntities,
    ) -> Outcome:
        base: dict[str, Any] = {
            "seq": mutation.seq,
            "type": mutation.type,
            "entity_id": mutation.entity_id,
        }
        handler = self._handler_for(mutation.type)
        if handler is None:
            return Outcome(
                **base,
                status="rejected",
                code="unknown_mutation_type",
                message=f"This server does not know {mutation.type}; update the app.",
            )
        rejected_dependency = unborn.dependency_of(mutation)
        if rejected_dependency:
            return Outcome(
                **base,
                status="rejected",
                code="dependency_rejected",
                message="It depends on an earlier change that was rejected.",
                result={"depends_on": rejected_dependency},
            )
        if _has_unstorable_text(mutation.args):
            return Outcome(
                **base,
                status="rejected",
                code="invalid_text",
                message="Text may not contain the NUL character or a broken (half) character.",
            )
        try:
            # A savepoint: a rejected mutation leaves no trace but its outcome (the unit
            # drops its change-feed touches with it).
            async with uow.savepoint():
                result = await handler(uow, user, mutation)
        except DomainError as exc:
            return Outcome(
                **base,
                status="rejected",
                code=exc.code,
                message=exc.message,
                result=dict(exc.details) if exc.details else {},
            )
        except (DataError, OverflowError):
            # A value the database cannot hold (a number or text out of its range) fails the
            # same way on every resend: a verdict for this mutation, not a reason to make the
            # phone retry the whole push for ever.
            _log.warning("sync mutation %s refused by the database", mutation.type, exc_info=True)
            return Outcome(
                **base,
                status="rejected",
                code="invalid_value",
                message="A value is out of the range the server can store.",
            )
        return Outcome(**base, status=result.status, result=result.result)  # type: ignore[arg-type]

    async def _acknowledge(self, db: Database, device_id: str, up_to: int) -> None:
        from sqlalchemy import update

        async with db.write() as uow:
            await uow.session.execute(
                update(MutationOutcome)
                .where(
                    MutationOutcome.device_id == device_id,
                    MutationOutcome.seq <= up_to,
                    MutationOutcome.acknowledged_at.is_(None),
                )
                .values(acknowledged_at=utcnow())
            )


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(outcome)  # type: ignore[no-any-return]
