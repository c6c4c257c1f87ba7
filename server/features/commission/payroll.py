"""The payroll export of a period: one row per approved (or paid) statement, what payroll
pays each rep. Draft statements are not payable and are left out."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from server.db.models import CommissionEntry, CommissionStatement, User
from server.db.unit_of_work import ReadUnit
from server.features.commission.dispute_queries import ADJUSTMENT_KIND
from server.features.commission.store import LOCKING_STATUSES
from server.features.shared.csv_export import csv_text
from server.features.shared.viewer import DEFAULT_CURRENCY

__all__ = ["PAYROLL_COLUMNS", "payroll_csv"]

PAYROLL_COLUMNS = (
    "rep",
    "email",
    "period",
    "status",
    "earned",
    "adjustments",
    "total_payable",
    "currency",
)


async def payroll_csv(unit: ReadUnit, period: str) -> str:
    """Approving fixed each statement's amount as the sum of the period's entries, and an
    approved period takes no more entries: earned plus adjustments is the amount."""
    adjustments = (
        select(
            CommissionEntry.rep_id,
            func.sum(CommissionEntry.amount_cents).label("cents"),
        )
        .where(CommissionEntry.period == period, CommissionEntry.kind == ADJUSTMENT_KIND)
        .group_by(CommissionEntry.rep_id)
        .subquery()
    )
    rows = await unit.session.execute(
        select(
            User.full_name,
            User.email,
            CommissionStatement.status,
            CommissionStatement.amount_cents,
            func.coalesce(adjustments.c.cents, 0),
        )
        .join(User, User.id == CommissionStatement.rep_id)
        .outerjoin(adjustments, adjustments.c.rep_id == CommissionStatement.rep_id)
        .where(
            CommissionStatement.period == period,
            CommissionStatement.status.in_(LOCKING_STATUSES),
        )
        .order_by(User.full_name, User.email)
    )
    return csv_text(
        PAYROLL_COLUMNS,
        (
            [
                name,
                email,
                period,
                status,
                _money(int(amount) - int(adjusted)),
                _money(int(adjusted)),
                _money(int(amount)),
                DEFAULT_CURRENCY,
            ]
            for name, email, status, amount, adjusted in rows
        ),
    )


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
