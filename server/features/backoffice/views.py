"""The admin home (/admin) and the context every back-office page renders with.

Back-office pages extend `pwa/templates/admin/layout.html` (the navigation) and build
their context with `admin_context`, naming their `section` of the navigation.
"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Template

from server.db.engine import Database
from server.features.catalog import queries as catalog_queries
from server.features.sales.views_data import Req, page_context
from server.security.auth import requires_role

__all__ = ["ADMINS", "admin_context", "admin_home"]

# Every back-office page and endpoint is for admins only.
ADMINS = requires_role("admin")


def admin_context(request: Req, section: str, **extra: Any) -> dict[str, Any]:
    return page_context(request, section=section, **extra)


@get("/admin", guards=[ADMINS], include_in_schema=False)
async def admin_home(request: Req, db: Database) -> Template:
    async with db.read() as unit:
        alerts = await catalog_queries.stock_alerts(unit.session)
    return Template("admin/home.html", context=admin_context(request, "home", alerts=alerts))
