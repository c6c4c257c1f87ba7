"""The customer's portal link in the e-mails about a quote or an order.

Each e-mail gets a link of its own that opens only its document, made when the e-mail is
rendered (in the fan-out's transaction: the link exists exactly when the e-mail does) and
under `FIELDSALES_PUBLIC_URL`; without that setting e-mails carry no link rather than one
to a host customers cannot reach.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.config import Settings
from server.db.models import Quote, SalesOrder
from server.db.unit_of_work import WriteUnit
from server.features.portal.links import create_email_link

__all__ = ["LINKED_EVENTS", "portal_link_maker"]

# The e-mails that carry a portal link, and the document each one opens.
LINKED_EVENTS = {
    "quote.sent": "quote_id",
    "order.confirmed": "order_id",
    "order.shipped": "order_id",
}


def portal_link_maker(
    uow: WriteUnit, settings: Settings | None, event_type: str, payload: dict[str, Any]
) -> Callable[[], Awaitable[str | None]] | None:
    """What makes the e-mail's link, called only once the e-mail has a recipient; None
    when this e-mail carries no link."""
    key = LINKED_EVENTS.get(event_type)
    if settings is None or not settings.public_url or key is None or not payload.get(key):
        return None
    document_id = str(payload[key])

    async def make() -> str | None:
        model = Quote if key == "quote_id" else SalesOrder
        created_by = await uow.session.scalar(
            model.__table__.select()
            .with_only_columns(model.__table__.c.created_by)
            .where(model.__table__.c.id == document_id)
        )
        if created_by is None:
            return None
        token = await create_email_link(
            uow,
            customer_id=str(payload["customer_id"]),
            created_by=created_by,
            days=settings.portal_link_days,
            **{key: document_id},
        )
        return f"{settings.public_url}/p/{token}"

    return make
