"""The payroll export of a period: one row per approved (or paid) statement, what payroll
pays each rep. Draft statements are not payable and are left out.

`draws` is the period's draw settlement: advances and guarantees topping the month up
(positive) net of recoveries of earlier advances (negative). `carried_forward` is a negative
balance moved between months: positive in a month approved below zero (it pays 0.00, not
less), negative in the month that recovers it from its earnings. Earned plus adjustments
plus draws plus carried forward is the total payable, never below zero."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select

from server.db.models import CommissionEntry, CommissionStatement, User
from server.db.unit_of_work import ReadUnit
from server.domain.commission_periods import CARRY_FORWARD_KIND, DRAW_KINDS
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
    "draws",
    "carried_forward",
    "total_payable",
    "currency",
)


async def payroll_csv(unit: ReadUnit, period: str) -> str:
    """Approving fixed each statement's amount as the sum of the period's entries, and an
    approved period takes no more entries: earned plus adjustments plus draws plus the
    carried-forward balance is the amount."""

    def _sum_of(kinds: tuple[str, ...]) -> ColumnElement[int]:
        return func.sum(
            case((CommissionEntry.kind.in_(kinds), CommissionEntry.amount_cents), else_=0)
        )

    adjustments = (
        select(
            CommissionEntry.rep_id,
            _sum_of((ADJUSTMENT_KIND,)).label("cents"),
            _sum_of(DRAW_KINDS).label("draw_cents"),
            _sum_of((CARRY_FORWARD_KIND,)).label("carried_cents"),
        )
        .where(CommissionEntry.period == period)
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
            func.coalesce(adjustments.c.draw_cents, 0),
            func.coalesce(adjustments.c.carried_cents, 0),
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
                _money(int(amount) - int(adjusted) - int(drawn) - int(carried)),
                _money(int(adjusted)),
                _money(int(drawn)),
                _money(int(carried)),
                _money(int(amount)),
                DEFAULT_CURRENCY,
            ]
            for name, email, status, amount, adjusted, drawn, carried in rows
        ),
    )


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
