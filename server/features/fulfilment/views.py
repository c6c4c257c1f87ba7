"""The back office's fulfilment pages (admin, desktop): the queue, packing and shipping an
order, dispatching a packed shipment, confirming a delivery, and printable pick lists.

Every button calls the same service as the JSON API, in its own transaction. With htmx
only the entry acted on is swapped for its new state; a refusal shows its message in that
entry and changes nothing. Without JavaScript the forms post and the queue is shown again.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Shipment, Warehouse
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.domain.fulfilment_rules import SHIPMENT_STATES, QueueState
from server.features.fulfilment import shipments
from server.features.fulfilment.pick_lists import pick_lists, reserved_by_warehouse
from server.features.fulfilment.queue import fulfilment_queue, parse_state, queue_item
from server.features.fulfilment.schemas import (
    DeliverIn,
    DispatchIn,
    QueueItemOut,
    ShipmentIn,
    ShipmentLineIn,
)
from server.features.sales.views_data import Req, is_htmx, page_context
from server.features.shared.paging import Offset
from server.http.errors import status_for
from server.security.auth import requires_role

__all__ = ["FULFILMENT_PAGES"]

_admins = requires_role("admin")
PAGE_SIZE = 20
TABS = [
    (QueueState.READY_TO_PICK, "Ready to pick"),
    (QueueState.PARTIALLY_SHIPPED, "Partially shipped"),
    (QueueState.BACKORDERED, "Backordered"),
    (QueueState.PACKED, "Packed, awaiting dispatch"),
    (QueueState.IN_TRANSIT, "Shipped, awaiting delivery"),
    (QueueState.AWAITING_SUPPLIER, "Drop-ship: awaiting the supplier"),
]
_OWN_STOCK = ("standard", "rush")


async def _warehouses(db: Database) -> list[Any]:
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(Warehouse.id, Warehouse.code, Warehouse.name).order_by(Warehouse.code)
        )
        return list(rows.all())


async def _ship_forms(
    db: Database, items: list[QueueItemOut], chosen: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """For each order entry: the warehouse its form ships from (the one asked for, else the
    one holding most of its reservations) and the units each line defaults to there."""
    forms: dict[str, dict[str, Any]] = {}
    async with db.read() as unit:
        for item in items:
            if item.shipment is not None:
                continue
            if item.order_type not in _OWN_STOCK:
                forms[item.order_id] = {
                    "warehouse_id": None,
                    "units": {x.line_id: x.quantity - x.packed - x.shipped for x in item.lines},
                }
                continue
            reserved = await reserved_by_warehouse(unit.session, item.order_id)
            warehouse_id = (chosen or {}).get(item.order_id) or max(
                reserved, key=lambda w: sum(reserved[w].values()), default=None
            )
            held = reserved.get(warehouse_id or "", {})
            forms[item.order_id] = {"warehouse_id": warehouse_id, "units": held}
    return forms


def _key(item: QueueItemOut) -> str:
    return f"shipment-{item.shipment.id}" if item.shipment is not None else f"order-{item.order_id}"


async def _page_context(
    request: Req, db: Database, state: QueueState, offset: int, q: str = "", **extra: Any
) -> dict[str, Any]:
    async with db.read() as unit:
        page = await fulfilment_queue(unit.session, state, limit=PAGE_SIZE, offset=offset, search=q)
    more = offset + len(page.items) < page.total

    def query(**values: Any) -> str:
        return urlencode({"state": state.value, **({"q": q} if q else {}), **values})

    return page_context(
        request,
        page=page,
        state=state.value,
        tabs=[(s.value, text) for s, text in TABS],
        forms=await _ship_forms(db, page.items),
        warehouses=await _warehouses(db),
        key=_key,
        today=date.today().isoformat(),
        q=q,
        tab_query=lambda value: urlencode({"state": value, **({"q": q} if q else {})}),
        next_query=query(offset=offset + PAGE_SIZE) if more else "",
        previous_query=query(offset=max(offset - PAGE_SIZE, 0)) if offset else "",
        shipment_states={s.value for s in SHIPMENT_STATES},
        entered={},
        **extra,
    )


@get("/admin/fulfilment", guards=[_admins], include_in_schema=False)
async def fulfilment_page(
    request: Req,
    db: Database,
    queue_state: Annotated[str, QueryParameter(name="state", max_length=40)] = "ready_to_pick",
    offset: Offset = 0,
    q: Annotated[str, Parameter(max_length=100)] = "",
) -> Template:
    state = parse_state(queue_state)
    context = await _page_context(request, db, state, offset, q.strip())
    # The tabs swap the queue alone.
    name = "fulfilment/_queue.html" if is_htmx(request) else "fulfilment/queue.html"
    return Template(name, context=context)


async def _entry(
    request: Req,
    db: Database,
    order_id: str,
    shipment_id: str | None = None,
    *,
    warehouse_id: str | None = None,
    error: str | None = None,
    notice: str | None = None,
    entered: dict[str, str] | None = None,
) -> Template:
    """One queue entry as it stands now, with the outcome of what was just tried."""
    async with db.read() as unit:
        item = await queue_item(unit.session, order_id, shipment_id)
    if item is None:
        raise NotFound("No such order.", code="order_not_found")
    chosen = {order_id: warehouse_id} if warehouse_id else None
    context = page_context(
        request,
        item=item,
        forms=await _ship_forms(db, [item], chosen),
        warehouses=await _warehouses(db),
        key=_key,
        today=date.today().isoformat(),
        item_error=error,
        item_notice=notice,
        entered=entered or {},
    )
    return Template("fulfilment/_item.html", context=context)


@get("/admin/fulfilment/orders/{order_id:str}", guards=[_admins], include_in_schema=False)
async def order_entry(
    request: Req,
    db: Database,
    order_id: str,
    warehouse_id: Annotated[str | None, Parameter(max_length=36)] = None,
) -> Template:
    """An order's entry, its form shipping from `warehouse_id` (htmx, when it is chosen)."""
    return await _entry(request, db, order_id, warehouse_id=warehouse_id)


async def _form(request: Req) -> dict[str, str]:
    form = await request.form()
    return {str(k): str(v).strip() for k, v in form.items()}


def _units(form: dict[str, str]) -> list[ShipmentLineIn]:
    lines = []
    for name, value in form.items():
        if not name.startswith("qty-") or value in ("", "0"):
            continue
        if not value.isdigit() or not 0 < int(value) <= 1_000_000:
            raise ValidationFailed(
                "Quantities are whole numbers of units, 0 or more.", code="bad_quantity"
            )
        lines.append(ShipmentLineIn(name.removeprefix("qty-"), int(value)))
    return lines


def _text(form: dict[str, str], name: str, limit: int) -> str:
    value = form.get(name, "")
    if len(value) > limit:
        raise ValidationFailed(f"Keep the {name.replace('_', ' ')} under {limit} characters.")
    return value


async def _outcome(
    request: Req,
    db: Database,
    *,
    order_id: str,
    shipment_id: str | None,
    form: dict[str, str],
    error: DomainError | None,
    notice: str,
) -> Any:
    if is_htmx(request):
        # htmx swaps only 2xx answers by default, and the message must reach the entry.
        return await _entry(
            request,
            db,
            order_id,
            shipment_id,
            warehouse_id=form.get("warehouse_id") or None,
            error=error.message if error else None,
            notice=None if error else notice,
            entered=form if error else None,
        )
    state = parse_state(form.get("state") or QueueState.READY_TO_PICK.value)
    if error is None:
        return Redirect(path=f"/admin/fulfilment?state={state.value}", status_code=303)
    context = await _page_context(request, db, state, 0, error=error.message, error_key=order_id)
    return Template("fulfilment/queue.html", context=context, status_code=status_for(error))


@post("/admin/fulfilment/orders/{order_id:str}/ship", guards=[_admins], include_in_schema=False)
async def ship_order(request: Req, db: Database, order_id: str) -> Any:
    form = await _form(request)
    error: DomainError | None = None
    number = ""
    try:
        data = ShipmentIn(
            warehouse_id=form.get("warehouse_id") or None,
            lines=_units(form),
            dispatch=form.get("dispatch", "1") != "0",
            carrier=_text(form, "carrier", 60),
            service=_text(form, "service", 60),
            tracking_number=_text(form, "tracking_number", 100),
            supplier_reference=_text(form, "supplier_reference", 80),
        )
        async with db.write() as uow:
            shipment_id = await shipments.create_shipment(uow, request.user, order_id, data)
            number = str(
                await uow.session.scalar(select(Shipment.number).where(Shipment.id == shipment_id))
            )
    except NotFound:
        raise
    except DomainError as exc:
        error = exc
    verb = "shipped" if form.get("dispatch", "1") != "0" else "packed"
    return await _outcome(
        request,
        db,
        order_id=order_id,
        shipment_id=None,
        form=form,
        error=error,
        notice=f"{number} {verb}.",
    )


async def _shipment_order(db: Database, shipment_id: str) -> tuple[str, str]:
    async with db.read() as unit:
        row = (
            await unit.session.execute(
                select(Shipment.order_id, Shipment.number).where(Shipment.id == shipment_id)
            )
        ).first()
    if row is None:
        raise NotFound("No such shipment.", code="shipment_not_found")
    return row.order_id, row.number


@post(
    "/admin/fulfilment/shipments/{shipment_id:str}/dispatch",
    guards=[_admins],
    include_in_schema=False,
)
async def dispatch_shipment(request: Req, db: Database, shipment_id: str) -> Any:
    order_id, number = await _shipment_order(db, shipment_id)
    form = await _form(request)
    error: DomainError | None = None
    try:
        data = DispatchIn(
            carrier=_text(form, "carrier", 60),
            service=_text(form, "service", 60),
            tracking_number=_text(form, "tracking_number", 100),
        )
        async with db.write() as uow:
            await shipments.dispatch(uow, request.user, shipment_id, data)
    except NotFound:
        raise
    except DomainError as exc:
        error = exc
    return await _outcome(
        request,
        db,
        order_id=order_id,
        shipment_id=shipment_id,
        form=form,
        error=error,
        notice=f"{number} has left.",
    )


@post(
    "/admin/fulfilment/shipments/{shipment_id:str}/deliver",
    guards=[_admins],
    include_in_schema=False,
)
async def deliver_shipment(request: Req, db: Database, shipment_id: str) -> Any:
    order_id, number = await _shipment_order(db, shipment_id)
    form = await _form(request)
    error: DomainError | None = None
    try:
        try:
            on = date.fromisoformat(form["delivered_on"]) if form.get("delivered_on") else None
        except ValueError:
            raise ValidationFailed("Give the delivery date as YYYY-MM-DD.") from None
        async with db.write() as uow:
            await shipments.deliver(uow, request.user, shipment_id, DeliverIn(delivered_on=on))
    except NotFound:
        raise
    except DomainError as exc:
        error = exc
    return await _outcome(
        request,
        db,
        order_id=order_id,
        shipment_id=shipment_id,
        form=form,
        error=error,
        notice=f"{number} delivered.",
    )


@get("/admin/fulfilment/pick-lists/{warehouse_id:str}", guards=[_admins], include_in_schema=False)
async def pick_list_page(request: Req, db: Database, warehouse_id: str) -> Template:
    """A warehouse's pick list, laid out for paper."""
    async with db.read() as unit:
        [pick] = await pick_lists(unit.session, warehouse_id)
    return Template(
        "fulfilment/pick_list.html",
        context=page_context(request, pick=pick, printed_on=date.today().isoformat()),
    )


FULFILMENT_PAGES: list[Any] = [
    fulfilment_page,
    order_entry,
    ship_order,
    dispatch_shipment,
    deliver_shipment,
    pick_list_page,
]
