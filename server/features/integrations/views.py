"""Back-office page of integrations (admin): list, create (the token shown once), revoke.

Each form runs the same service as its API endpoint (server/features/integrations/routes.py).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.api_tokens import SCOPES
from server.domain.errors import DomainError
from server.features.backoffice.views import ADMINS, admin_context
from server.features.integrations import services
from server.features.integrations.schemas import IntegrationCreateIn
from server.features.sales.views_data import Req
from server.http.errors import status_for

__all__ = ["INTEGRATION_PAGES"]

# The page that shows a new token must not be kept by the browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store"}


async def _page(request: Req, db: Database, *, status_code: int = 200, **extra: Any) -> Template:
    async with db.read() as unit:
        rows = [services.integration_out(r) for r in await services.list_integrations(unit)]
    context = admin_context(request, "integrations", integrations=rows, scopes=SCOPES, **extra)
    return Template(
        "admin/integrations.html", context=context, status_code=status_code, headers=_NO_STORE
    )


@get("/admin/integrations", guards=[ADMINS], include_in_schema=False)
async def integrations_page(request: Req, db: Database) -> Template:
    return await _page(request, db)


@post("/admin/integrations", guards=[ADMINS], include_in_schema=False)
async def create_integration_submit(request: Req, db: Database) -> Template:
    form = await request.form()
    try:
        data = msgspec.convert(
            {
                "name": str(form.get("name", "")).strip(),
                "scopes": [str(s) for s in form.getall("scopes", [])],
                "channel": str(form.get("channel", "api")),
                "expires_at": f"{form.get('expires_on')}T00:00:00Z"
                if form.get("expires_on")
                else None,
            },
            IntegrationCreateIn,
        )
        async with db.write() as uow:
            created = await services.create_integration(uow, request.user, data)
    except msgspec.ValidationError as exc:
        return await _page(request, db, status_code=400, error=f"Check the form: {exc}.")
    except DomainError as exc:
        return await _page(request, db, status_code=status_for(exc), error=exc.message)
    return await _page(request, db, status_code=201, created=created)


@post("/admin/integrations/{token_id:str}/revoke", guards=[ADMINS], include_in_schema=False)
async def revoke_integration_submit(request: Req, db: Database, token_id: str) -> Redirect:
    async with db.write() as uow:
        await services.revoke_integration(uow, request.user, token_id)
    return Redirect(path="/admin/integrations", status_code=303)


INTEGRATION_PAGES: list[Any] = [
    integrations_page,
    create_integration_submit,
    revoke_integration_submit,
]
