"""Back-office pages of webhooks and e-mails (admin).

Each button posts a form that runs the same service as its API endpoint
(server/features/notifications/routes.py); a refusal shows the page again with the reason
and the status the API would answer. A paused endpoint is flagged on the list and on its
page, with the reason the server paused it.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.config import Settings
from server.db.engine import Database
from server.db.models import EmailMessage
from server.domain.errors import DomainError, NotFound
from server.features.backoffice.views import ADMINS, admin_context
from server.features.notifications import webhooks
from server.features.notifications.events import EVENT_TYPES
from server.features.notifications.schemas import EndpointCreateIn, EndpointUpdateIn
from server.features.sales.views_data import Req
from server.http.errors import status_for

__all__ = ["NOTIFICATION_PAGES"]

# Pages that show signing secrets must not be kept by the browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store"}


async def _list_page(
    request: Req, db: Database, *, status_code: int = 200, **extra: Any
) -> Template:
    async with db.read() as unit:
        endpoints = [webhooks.endpoint_out(e) for e in await webhooks.list_endpoints(unit)]
    context = admin_context(
        request, "webhooks", endpoints=endpoints, event_types=EVENT_TYPES, **extra
    )
    return Template(
        "admin/webhooks/list.html", context=context, status_code=status_code, headers=_NO_STORE
    )


async def _detail_page(
    request: Req, db: Database, endpoint_id: str, *, status_code: int = 200, **extra: Any
) -> Template:
    async with db.read() as unit:
        detail = await webhooks.endpoint_detail(unit, endpoint_id)
    context = admin_context(request, "webhooks", detail=detail, **extra)
    return Template(
        "admin/webhooks/detail.html", context=context, status_code=status_code, headers=_NO_STORE
    )


@get("/admin/webhooks", guards=[ADMINS], include_in_schema=False)
async def webhooks_page(request: Req, db: Database) -> Template:
    return await _list_page(request, db)


@post("/admin/webhooks", guards=[ADMINS], include_in_schema=False)
async def create_webhook_submit(request: Req, db: Database) -> Template | Redirect:
    form = await request.form()
    try:
        data = msgspec.convert(
            {
                "url": str(form.get("url", "")).strip(),
                "description": str(form.get("description", "")).strip(),
                "event_types": [str(t) for t in form.getall("event_types", [])],
                "allow_private": form.get("allow_private") == "on",
            },
            EndpointCreateIn,
        )
        async with db.write() as uow:
            row = await webhooks.create_endpoint(uow, data)
    except msgspec.ValidationError as exc:
        return await _list_page(request, db, status_code=400, error=f"Check the form: {exc}.")
    except DomainError as exc:
        return await _list_page(request, db, status_code=status_for(exc), error=exc.message)
    return Redirect(path=f"/admin/webhooks/{row.id}", status_code=303)


@get("/admin/webhooks/{endpoint_id:str}", guards=[ADMINS], include_in_schema=False)
async def webhook_page(request: Req, db: Database, endpoint_id: str) -> Template:
    return await _detail_page(request, db, endpoint_id)


async def _set_enabled(request: Req, db: Database, endpoint_id: str, enabled: bool) -> Redirect:
    async with db.write() as uow:
        await webhooks.update_endpoint(uow, endpoint_id, EndpointUpdateIn(enabled=enabled))
    return Redirect(path=f"/admin/webhooks/{endpoint_id}", status_code=303)


@post("/admin/webhooks/{endpoint_id:str}/pause", guards=[ADMINS], include_in_schema=False)
async def pause_submit(request: Req, db: Database, endpoint_id: str) -> Redirect:
    return await _set_enabled(request, db, endpoint_id, False)


@post("/admin/webhooks/{endpoint_id:str}/enable", guards=[ADMINS], include_in_schema=False)
async def enable_submit(request: Req, db: Database, endpoint_id: str) -> Redirect:
    return await _set_enabled(request, db, endpoint_id, True)


@post(
    "/admin/webhooks/{endpoint_id:str}/deliveries/{message_id:str}/replay",
    guards=[ADMINS],
    include_in_schema=False,
)
async def replay_submit(
    request: Req, db: Database, endpoint_id: str, message_id: str
) -> Template | Redirect:
    try:
        async with db.write() as uow:
            await webhooks.replay_delivery(uow, endpoint_id, message_id)
    except NotFound:
        raise
    except DomainError as exc:
        return await _detail_page(
            request, db, endpoint_id, status_code=status_for(exc), error=exc.message
        )
    return Redirect(path=f"/admin/webhooks/{endpoint_id}", status_code=303)


@get("/admin/emails", guards=[ADMINS], include_in_schema=False)
async def emails_page(request: Req, db: Database, settings: Settings) -> Template:
    async with db.read() as unit:
        rows = (
            await unit.session.scalars(
                select(EmailMessage).order_by(EmailMessage.created_at.desc()).limit(200)
            )
        ).all()
    context = admin_context(request, "emails", emails=rows, smtp=bool(settings.smtp_url))
    return Template("admin/emails.html", context=context)


NOTIFICATION_PAGES: list[Any] = [
    webhooks_page,
    create_webhook_submit,
    webhook_page,
    pause_submit,
    enable_submit,
    replay_submit,
    emails_page,
]
