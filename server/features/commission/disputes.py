"""Disputes: a rep questions an entry of their own statement; a manager of the rep (or an
admin) answers, optionally with an adjustment.

The adjustment is appended to the ledger like any other difference: in the disputed
entry's period while it is open, otherwise in the next period no approved statement has
locked, its reason saying so. Its key is the dispute's, so it is posted once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from server.db.models import CommissionDispute, CommissionEntry
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.commission import DesiredEntry, entries_to_append
from server.domain.commission_disputes import (
    ANSWERED,
    OPEN,
    adjustment_key,
    check_adjustment,
    checked_text,
    require_answerable,
)
from server.domain.errors import Conflict, NotFound
from server.features.commission.crediting import summary_change
from server.features.commission.dispute_queries import ADJUSTMENT_KIND
from server.features.commission.dispute_schemas import DisputeAnswerIn, DisputeIn
from server.features.commission.statements import require_visible_rep
from server.features.commission.store import CommissionStore

__all__ = ["answer_dispute", "open_dispute"]


def _event(
    dispute: CommissionDispute, actor_id: str, action: str, before: str | None
) -> AuditRecord:
    return AuditRecord(
        entity_type="commission_dispute",
        entity_id=dispute.id,
        action=action,
        actor_id=actor_id,
        from_state=before,
        to_state=dispute.status,
        data={
            "entry_id": dispute.entry_id,
            "rep_id": dispute.rep_id,
            "adjustment_cents": dispute.adjustment_cents,
        },
    )


async def open_dispute(
    uow: WriteUnit, user: CurrentUser, entry_id: str, data: DisputeIn
) -> CommissionDispute:
    """The caller questions one of their own entries; someone else's is as if missing."""
    comment = checked_text(
        data.comment, missing="Say what is wrong with this line.", code="comment_required"
    )
    # The entry's row lock: two questions about one line at once make one dispute.
    entry = await uow.session.scalar(
        select(CommissionEntry).where(CommissionEntry.id == entry_id).with_for_update()
    )
    if entry is None or entry.rep_id != user.id:
        raise NotFound("No such line on your statements.", code="entry_not_found")
    already = await uow.session.scalar(
        select(CommissionDispute.id).where(
            CommissionDispute.entry_id == entry.id, CommissionDispute.status == OPEN
        )
    )
    if already is not None:
        raise Conflict(
            "This line is already disputed; wait for the answer.",
            code="dispute_open",
            details={"dispute_id": already},
        )
    dispute = CommissionDispute(
        id=new_id(),
        entry_id=entry.id,
        rep_id=entry.rep_id,
        period=entry.period,
        status=OPEN,
        comment=comment,
        opened_at=utcnow(),
    )
    uow.session.add(dispute)
    await uow.session.flush()
    await uow.audit.record(_event(dispute, user.id, "open", None))
    uow.feed.touch(summary_change(dispute.rep_id))
    return dispute


async def answer_dispute(
    uow: WriteUnit, user: CurrentUser, dispute_id: str, data: DisputeAnswerIn
) -> CommissionDispute:
    answer = checked_text(
        data.answer, missing="Write an answer: the rep reads it.", code="answer_required"
    )
    check_adjustment(data.adjustment_cents)
    dispute = await uow.session.scalar(
        select(CommissionDispute).where(CommissionDispute.id == dispute_id).with_for_update()
    )
    if dispute is None:
        raise NotFound("No such dispute in your teams.", code="dispute_not_found")
    try:
        await require_visible_rep(uow, user, dispute.rep_id, to_approve=True)
    except NotFound:
        raise NotFound("No such dispute in your teams.", code="dispute_not_found") from None
    require_answerable(dispute.status)
    if data.adjustment_cents is not None:
        dispute.adjustment_entry_id = await _post_adjustment(
            uow, dispute, data.adjustment_cents, answer
        )
        dispute.adjustment_cents = data.adjustment_cents
    dispute.status, dispute.answer = ANSWERED, answer
    dispute.answered_by, dispute.answered_at = user.id, utcnow()
    await uow.session.flush()
    await uow.audit.record(_event(dispute, user.id, "answer", OPEN))
    uow.feed.touch(summary_change(dispute.rep_id))
    return dispute


async def _post_adjustment(
    uow: WriteUnit, dispute: CommissionDispute, cents: int, answer: str
) -> str:
    entry = await uow.session.get(CommissionEntry, dispute.entry_id)
    assert entry is not None  # the foreign key keeps it
    store = uow.scoped(CommissionStore)
    # The rep's commission lock: an approval in flight finishes first, so the adjustment
    # never lands in a period that is being locked.
    locked = await store.locked_periods(dispute.rep_id)
    key = adjustment_key(dispute.id)
    new = entries_to_append(
        [
            DesiredEntry(
                key=key,
                rep_id=dispute.rep_id,
                role=entry.role,
                source_type="dispute",
                source_id=dispute.id,
                revenue_cents=0,
                amount_cents=cents,
                rate=Decimal(0),
                kind=ADJUSTMENT_KIND,
            )
        ],
        await store.entries_of_key(key),
        period=dispute.period,
        locked=locked,
        reason=f"dispute answered: {answer}",
    )
    # Not tied to the order: recomputing the order must not reverse the manager's decision.
    await store.append(new, order_id=None, basis=entry.basis, plan=None)
    posted = await uow.session.scalar(
        select(CommissionEntry.id).where(CommissionEntry.entry_key == new[0].entry_key)
    )
    assert posted is not None
    return posted
