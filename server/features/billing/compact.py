"""Invoices as the phone pulls them with each order: what the customer owes on it.

Compact on purpose, like shipments: number, status, dates, total and the open balance
(credits and payments taken off), and whether it is overdue on the day of the pull.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Invoice

__all__ = ["invoices_by_order"]


async def invoices_by_order(
    session: AsyncSession, order_ids: Sequence[str], *, today: date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The invoices of these orders, oldest first, keyed by order id (one query)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not order_ids:
        return out
    on = today or date.today()
    rows = await session.execute(
        select(
            Invoice.order_id,
            Invoice.number,
            Invoice.status,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.total_cents,
            Invoice.paid_cents,
            Invoice.credited_cents,
        )
        .where(Invoice.order_id.in_(list(order_ids)))
        .order_by(Invoice.order_id, Invoice.issued_on, Invoice.number)
    )
    for r in rows:
        balance = r.total_cents - r.paid_cents - r.credited_cents
        out[r.order_id].append(
            {
                "number": r.number,
                "status": r.status,
                "issued_on": r.issued_on.isoformat(),
                "due_on": r.due_on.isoformat(),
                "total_cents": r.total_cents,
                "balance_cents": balance,
                "overdue": balance > 0 and r.due_on < on,
            }
        )
    return out
