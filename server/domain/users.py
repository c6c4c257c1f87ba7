"""Rules for the users the back office manages: roles and discount limits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from server.domain.errors import ValidationFailed

__all__ = [
    "DEFAULT_DISCOUNT_LIMITS",
    "ROLES",
    "check_discount_limit",
    "check_not_self",
    "check_role",
]

# rep: a field rep; manager: approves their territories' exceptions; admin: the back office.
ROLES = ("rep", "manager", "admin")

# The discount a new user may give without approval unless the admin chooses another.
DEFAULT_DISCOUNT_LIMITS = {"rep": Decimal("10"), "manager": Decimal("30"), "admin": Decimal("100")}

_HUNDRED = Decimal("100")
_CENT = Decimal("0.01")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationFailed(
            f"Unknown role '{role}'. A user is one of: {', '.join(ROLES)}.",
            code="unknown_role",
            details={"field": "role", "allowed": list(ROLES)},
        )
    return role


def check_discount_limit(value: str | Decimal) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals (the column's precision)."""
    try:
        limit = Decimal(str(value).strip())
    except InvalidOperation:
        limit = Decimal("NaN")
    if not limit.is_finite() or limit < 0 or limit > _HUNDRED:
        raise ValidationFailed(
            "The discount limit is a percentage from 0 to 100.",
            code="invalid_discount_limit",
            details={"field": "discount_limit_percent", "value": str(value)},
        )
    if limit != limit.quantize(_CENT):
        raise ValidationFailed(
            "The discount limit has at most two decimals.",
            code="invalid_discount_limit",
            details={"field": "discount_limit_percent", "value": str(value)},
        )
    return limit.quantize(_CENT)


def check_not_self(actor_id: str, user_id: str, what: str) -> None:
    """An admin may not lock themself out: the last admin could not undo it."""
    if actor_id == user_id:
        raise ValidationFailed(
            f"You cannot {what} your own account; ask another admin.",
            code="self_change",
            details={"action": what},
        )
