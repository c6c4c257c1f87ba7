"""Disputes of commission entries: the status vocabulary and what an answer may say.

A rep questions one entry of their own with a comment; a manager of the rep (or an admin)
answers it, with or without an adjustment. The adjustment is a new ledger entry in the
open period: the disputed entry, like every entry, is never changed.
"""

from __future__ import annotations

from server.domain.errors import InvalidTransition, ValidationFailed

__all__ = [
    "ADJUSTMENT_LIMIT_CENTS",
    "ANSWERED",
    "DISPUTE_STATUSES",
    "OPEN",
    "TEXT_MAX",
    "adjustment_key",
    "can_answer",
    "check_adjustment",
    "checked_text",
    "require_answerable",
]

OPEN = "open"  # the rep asked; nobody has answered yet
ANSWERED = "answered"  # a manager or admin answered (with or without an adjustment)
DISPUTE_STATUSES = (OPEN, ANSWERED)

TEXT_MAX = 2000
# Far above any one line's commission, far below what the ledger's column could hold: an
# adjustment beyond it is a typo (cents typed as units), not a correction.
ADJUSTMENT_LIMIT_CENTS = 10**9


def can_answer(status: str) -> bool:
    """Only an open dispute is answered, and only once: the answer is part of the record."""
    return status == OPEN


def require_answerable(status: str) -> None:
    if not can_answer(status):
        raise InvalidTransition("This dispute has already been answered.", code="dispute_answered")


def check_adjustment(cents: int | None) -> None:
    """An adjustment moves money: zero says nothing (answer without one instead)."""
    if cents is None:
        return
    if cents == 0:
        raise ValidationFailed(
            "An adjustment of zero changes nothing: answer without one.",
            code="adjustment_zero",
        )
    if abs(cents) > ADJUSTMENT_LIMIT_CENTS:
        raise ValidationFailed(
            "The adjustment is larger than any commission line could be.",
            code="adjustment_too_large",
        )


def adjustment_key(dispute_id: str) -> str:
    """The ledger key of a dispute's adjustment: one per dispute, so an answer sent twice
    cannot post it twice (the entry key is unique)."""
    return f"dispute:{dispute_id}"


def checked_text(text: str, *, missing: str, code: str) -> str:
    """A comment or an answer as kept: trimmed, not empty, not beyond TEXT_MAX."""
    kept = text.strip()
    if not kept:
        raise ValidationFailed(missing, code=code)
    if len(kept) > TEXT_MAX:
        raise ValidationFailed(f"Keep it under {TEXT_MAX} characters.", code="text_too_long")
    return kept
