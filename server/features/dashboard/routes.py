"""The manager's dashboard: the page (htmx re-renders its body when a filter changes), its
tables as CSV and XLSX, and the same figures as JSON. Managers and admins only."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from server.db.engine import Database
from server.domain.errors import ValidationFailed
from server.features.catalog.openapi import problems
from server.features.dashboard.exports import table_rows
from server.features.dashboard.filters import DashboardQuery, Filter
from server.features.dashboard.report import build_dashboard
from server.features.dashboard.schemas import DashboardOut
from server.features.sales.views_data import page_context, user_names
from server.features.shared.csv_export import CSV_MEDIA_TYPE
from server.features.shared.table_export import XLSX_MEDIA_TYPE, ExportFormat, export_response
from server.features.territories.access import today
from server.http.htmx import is_htmx
from server.security.auth import CurrentUser, requires_role

__all__ = ["DASHBOARD_ROUTES"]

_Req = Request[CurrentUser, Any, Any]
_managers = requires_role("manager", "admin")
_Id = Annotated[str | None, Parameter(max_length=36, required=False)]
_Day = Annotated[str | None, Parameter(max_length=10, required=False)]
_From = Annotated[str | None, QueryParameter(name="from", max_length=10, required=False)]
_Kind = Annotated[str, Parameter(max_length=10)]
_Sort = Annotated[str | None, Parameter(max_length=40, required=False)]
_Dir = Annotated[str | None, QueryParameter(name="dir", max_length=4, required=False)]
_Table = Annotated[str, Parameter(max_length=20)]


async def _filter_query(
    territory: _Id = None,
    rep: _Id = None,
    customer: _Id = None,
    period: _Kind = "month",
    start: _From = None,
    to: _Day = None,
    sort: _Sort = None,
    direction: _Dir = None,
) -> DashboardQuery:
    """The filter of the query string; a form's blank choice ("") means no filter."""
    return DashboardQuery(
        territory or None,
        rep or None,
        customer or None,
        period or "month",
        start or None,
        to or None,
        sort or None,
        direction or None,
    )


_WITH_FILTER = {"q": Provide(_filter_query)}


async def _dashboard(db: Database, user: CurrentUser, q: DashboardQuery) -> DashboardOut:
    async with db.read() as unit:
        _, out = await build_dashboard(unit.session, user, q, today())
    return out


@get(
    "/api/dashboard",
    guards=[_managers],
    dependencies=_WITH_FILTER,
    tags=["dashboard"],
    responses=problems(403, 404, 422),
)
async def dashboard_api(request: _Req, db: Database, q: DashboardQuery) -> DashboardOut:
    """The dashboard of the caller's territory subtree (an admin's: all), filtered by
    `territory`, `rep`, `customer` and `period` (`month`, `quarter`, or `custom` with
    `from` and `to`, both days included); each flow with the previous period of the same
    length. Open work as it stands now, with how it stood when the period began. `sort`
    (`table.column`) and `dir` (`asc`, `desc`) order one table. Amounts in cents of
    `currency`."""
    return await _dashboard(db, request.user, q)


@get(
    "/manager/dashboard",
    guards=[_managers],
    dependencies=_WITH_FILTER,
    include_in_schema=False,
)
async def dashboard_page(request: _Req, db: Database, q: DashboardQuery) -> Template:
    error = None
    async with db.read() as unit:
        try:
            f, out = await build_dashboard(unit.session, request.user, q, today())
        except ValidationFailed as exc:
            # A half-typed custom period (or a hand-made sort): say why and show this
            # month meanwhile (htmx swaps only a 2xx answer, so a 422 would leave the old
            # figures unexplained).
            error = exc.message
            q = replace(q, period="month", start=None, to=None, sort=None, direction=None)
            f, out = await build_dashboard(unit.session, request.user, q, today())
        rep_names = await user_names(unit.session, f.rep_ids)
    context = page_context(
        request,
        error=error,
        f=f,
        q=q,
        d=out,
        rep_names=sorted(rep_names.items(), key=lambda item: item[1]),
        territory_names=sorted(
            ((t, f.names.get(t, t)) for t in _choosable(f)), key=lambda item: item[1]
        ),
    )
    name = "dashboard/_body.html" if is_htmx(request) else "dashboard/page.html"
    return Template(name, context=context)


def _choosable(f: Filter) -> list[str]:
    return [n.id for n in f.nodes if n.id in f.territory_ids or n.id == f.territory_id]


async def _export(
    request: _Req, db: Database, q: DashboardQuery, table: str, fmt: ExportFormat
) -> Response[Any]:
    out = await _dashboard(db, request.user, q)
    header, rows = table_rows(out, table)
    return export_response(fmt, f"dashboard-{table}", header, rows)


# One handler per format (each declares its media type); both answer the same table.
@get(
    "/manager/dashboard/export.csv",
    guards=[_managers],
    dependencies=_WITH_FILTER,
    include_in_schema=False,
    media_type=CSV_MEDIA_TYPE,
)
async def dashboard_csv(
    request: _Req, db: Database, q: DashboardQuery, table: _Table = "customers"
) -> Response[Any]:
    return await _export(request, db, q, table, "csv")


@get(
    "/manager/dashboard/export.xlsx",
    guards=[_managers],
    dependencies=_WITH_FILTER,
    include_in_schema=False,
    media_type=XLSX_MEDIA_TYPE,
)
async def dashboard_xlsx(
    request: _Req, db: Database, q: DashboardQuery, table: _Table = "customers"
) -> Response[Any]:
    return await _export(request, db, q, table, "xlsx")


DASHBOARD_ROUTES: list[Any] = [dashboard_api, dashboard_page, dashboard_csv, dashboard_xlsx]
