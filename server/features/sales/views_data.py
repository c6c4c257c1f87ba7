"""What the sales pages share: display helpers for templates and the names behind ids.

Documents store ids (customer, rep, managers, actors); people read names. The names are
loaded in one query per kind for a whole page, never one query per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, User
from server.domain.actor import CurrentUser
from server.domain.money import from_cents
from server.features.shared.viewer import local_time, money_in, viewer_zone
from server.http.htmx import is_htmx

__all__ = [
    "PAGE_SIZE",
    "Req",
    "customer_names",
    "is_htmx",
    "page_context",
    "user_names",
]

PAGE_SIZE = 25

Req = Request[CurrentUser, Any, Any]

# How a state reads at a glance: green when the document is on track, amber when someone
# has to act, red when it ended without the business happening.
_TONES = {
    "ok": {
        "confirmed",
        "in_fulfilment",
        "completed",
        "closed",
        "accepted",
        "allocated",
        "shipped",
        "delivered",
        "paid",
        "invoiced",
    },
    "warn": {
        "submitted",
        "pending_approval",
        "credit_hold",
        "sent",
        "draft",
        "partially_allocated",
        "backordered",
        "partially_shipped",
        "partially_invoiced",
        "partially_paid",
    },
    "bad": {"cancelled", "declined", "expired"},
}


def tone(state: str | None) -> str:
    return next((name for name, states in _TONES.items() if state in states), "")


def label(state: str | None) -> str:
    return (state or "").replace("_", " ")


def money(cents: int | None) -> str:
    return f"{from_cents(int(cents or 0)):,.2f}"


def when(iso: str | datetime | None) -> str:
    """A stored UTC timestamp as people read it, without seconds."""
    if iso is None:
        return ""
    moment = iso if isinstance(iso, datetime) else datetime.fromisoformat(iso)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def page_context(request: Req, **extra: Any) -> dict[str, Any]:
    """What every manager and back-office page renders with: amounts with their currency
    (`money(cents, currency)`), times in the viewer's zone (`when(at)`)."""
    zone = viewer_zone(request.cookies)
    return {
        "user": request.user,
        "money": money_in,
        # The number alone, for a figure that sets its currency apart (the dashboard's).
        "decimal_amount": money,
        "when": lambda at: local_time(at, zone),
        "tone": tone,
        "label": label,
        **extra,
    }


async def customer_names(session: AsyncSession, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await session.execute(
        select(Customer.id, Customer.legal_name).where(Customer.id.in_(wanted))
    )
    return {row.id: row.legal_name for row in rows}


async def user_names(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {row.id: row.full_name for row in rows}
