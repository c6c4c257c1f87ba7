"""HTML pages of customers: search, detail, onboarding with the duplicate prompt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.actor import CurrentUser
from server.domain.customers import CUSTOMER_STATUSES
from server.domain.errors import DomainError, ValidationFailed
from server.features.customers import queries, services
from server.features.customers.schemas import CustomerCreateIn, CustomerPage
from server.features.sales.views_data import PAGE_SIZE, page_context
from server.features.shared.csv_export import CSV_MEDIA_TYPE, Cell
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.features.shared.table_export import XLSX_MEDIA_TYPE, ExportFormat, export_response
from server.features.shared.table_view import EXPORT_LIMIT, TableState, table_state
from server.http.htmx import is_htmx

__all__ = ["CUSTOMER_PAGES"]

Word = Annotated[str, Parameter(max_length=40)]

_FORM_FIELDS = (
    "legal_name",
    "trading_name",
    "tax_id",
    "contact_name",
    "contact_role",
    "email",
    "phone",
    "country",
    "state",
    "city",
    "postal_code",
    "street",
    "notes",
    "status",
    "payment_terms",
)


_SORTS = ("name", "number", "city", "status")


@dataclass(frozen=True)
class CustomerQuery:
    """The query string of the customer table, its page and its exports."""

    q: str
    status: str
    sort: str
    direction: str
    offset: int


async def _customer_query(
    q: str = "",
    status: Word = "",
    sort: Word = "",
    direction: Annotated[str, QueryParameter(name="dir", max_length=4)] = "",
    offset: Offset = 0,
) -> CustomerQuery:
    return CustomerQuery(q, status, sort, direction, offset)


_WITH_QUERY = {"table_query": Provide(_customer_query)}


def _table(query: CustomerQuery, *, paged: bool) -> TableState:
    """The table's state; an export answers every row, so it has no page offset."""
    status = query.status
    if status and status not in CUSTOMER_STATUSES:
        raise ValidationFailed(
            f"Unknown customer status '{status}'.",
            code="unknown_status",
            details={"allowed": list(CUSTOMER_STATUSES)},
        )
    return table_state(
        "/customers",
        sort=query.sort,
        direction=query.direction,
        sorts=_SORTS,
        default_sort="name",
        default_descending=False,
        filters={"q": query.q, "status": status},
        offset=query.offset if paged else 0,
    )


async def _customer_rows(
    request: Request[CurrentUser, Any, Any], db: Database, table: TableState, limit: int
) -> CustomerPage:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        return await queries.search_customers(
            unit.session,
            scope,
            q=table.filters["q"],
            status=table.filters["status"] or None,
            sort=f"{'-' if table.descending else ''}{table.sort}",
            limit=limit,
            offset=table.offset,
            # A column the user clicked sorts the table; a plain search ranks matches.
            rank_first=table.sort == table.default_sort and not table.descending,
        )


@get("/customers", include_in_schema=False, dependencies=_WITH_QUERY)
async def customer_search_page(
    request: Request[CurrentUser, Any, Any], db: Database, table_query: CustomerQuery
) -> Template:
    table = _table(table_query, paged=True)
    page = await _customer_rows(request, db, table, PAGE_SIZE)
    context = page_context(
        request,
        page=page,
        q=table_query.q,
        table=table,
        statuses=CUSTOMER_STATUSES,
        page_size=PAGE_SIZE,
        fragment=is_htmx(request),
    )
    # htmx live search and sorting swap only the results.
    name = "customers/_results.html" if is_htmx(request) else "customers/search.html"
    return Template(name, context=context)


async def _export(
    request: Request[CurrentUser, Any, Any], db: Database, table: TableState, fmt: ExportFormat
) -> Response[Any]:
    """The filtered customer table, every row in the caller's scope, as a file."""
    page = await _customer_rows(request, db, table, EXPORT_LIMIT)
    header = ["number", "legal_name", "trading_name", "city", "postal_code", "status"]
    rows: list[list[Cell]] = [
        [c.number, c.legal_name, c.trading_name, c.city, c.postal_code, c.status]
        for c in page.items
    ]
    return export_response(fmt, "customers", header, rows)


@get(
    "/customers/export.csv",
    include_in_schema=False,
    media_type=CSV_MEDIA_TYPE,
    dependencies=_WITH_QUERY,
)
async def customer_export(
    request: Request[CurrentUser, Any, Any], db: Database, table_query: CustomerQuery
) -> Response[Any]:
    return await _export(request, db, _table(table_query, paged=False), "csv")


@get(
    "/customers/export.xlsx",
    include_in_schema=False,
    media_type=XLSX_MEDIA_TYPE,
    dependencies=_WITH_QUERY,
)
async def customer_export_xlsx(
    request: Request[CurrentUser, Any, Any], db: Database, table_query: CustomerQuery
) -> Response[Any]:
    return await _export(request, db, _table(table_query, paged=False), "xlsx")


@get("/customers/new", include_in_schema=False)
async def onboarding_page(request: Request[CurrentUser, Any, Any]) -> Template:
    return Template(
        "customers/new.html",
        context={"user": request.user, "form": {"country": "US"}, "errors": {}},
    )


def _form_to_input(form: dict[str, str]) -> CustomerCreateIn:
    contacts = []
    if form.get("contact_name", "").strip():
        contacts.append(
            {
                "name": form["contact_name"],
                "role": form.get("contact_role", ""),
                "email": form.get("email", "").strip(),
                "phone": form.get("phone", "").strip(),
            }
        )
    payload = {
        "legal_name": form.get("legal_name", "").strip(),
        "trading_name": form.get("trading_name", ""),
        "tax_id": form.get("tax_id", ""),
        "notes": form.get("notes", ""),
        "status": form.get("status") or "prospect",
        "payment_terms": form.get("payment_terms") or "net_30",
        "contacts": contacts,
        "channel": "web",
        "confirm_new": form.get("confirm_new") == "1",
        "billing_address": {
            k: form.get(k, "").strip()
            for k in ("country", "state", "city", "postal_code", "street")
        },
    }
    return msgspec.convert(payload, CustomerCreateIn)


def _field_of(message: str) -> str:
    for field in ("legal_name", "country", "postal_code", "email", "phone", "state", "city"):
        if field in message:
            return field
    return "form"


@post("/customers/new", include_in_schema=False, media_type=MediaType.HTML)
async def onboarding_submit(request: Request[CurrentUser, Any, Any], db: Database) -> Any:
    raw = await request.form()
    form = {k: str(raw.get(k, "")) for k in (*_FORM_FIELDS, "confirm_new")}
    context: dict[str, Any] = {"user": request.user, "form": form, "errors": {}, "candidates": []}
    try:
        data = _form_to_input(form)
    except msgspec.ValidationError as exc:
        message = str(exc)
        context["errors"] = {
            _field_of(message): "Please check this field: " + message.split(" - at ")[0]
        }
        return Template("customers/new.html", context=context, status_code=422)
    try:
        async with db.write() as uow:
            scope = await load_scope(uow.session, request.user)
            customer, _ = await services.create_customer(uow, request.user, scope, data)
    except services.PossibleDuplicate as exc:
        context["candidates"] = exc.details["candidates"]
        return Template("customers/new.html", context=context, status_code=409)
    except DomainError as exc:
        context["errors"] = {"form": exc.message}
        return Template("customers/new.html", context=context, status_code=422)
    target = f"/customers/{customer.id}"
    if is_htmx(request):
        return Template(
            "customers/_created.html", context={"target": target}, headers={"HX-Redirect": target}
        )
    return Redirect(path=target, status_code=303)


@get("/customers/{customer_id:str}", include_in_schema=False)
async def customer_detail_page(
    request: Request[CurrentUser, Any, Any], db: Database, customer_id: str
) -> Template:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        customer = await queries.get_visible(unit.session, scope, customer_id)
        detail = await queries.customer_detail(unit.session, customer)
    return Template("customers/detail.html", context={"user": request.user, "c": detail})


CUSTOMER_PAGES = [
    customer_search_page,
    customer_export,
    customer_export_xlsx,
    onboarding_page,
    onboarding_submit,
    customer_detail_page,
]
