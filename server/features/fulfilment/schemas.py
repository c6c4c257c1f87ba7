"""Shipment requests and answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

__all__ = [
    "CompleteServiceIn",
    "DeliverIn",
    "DispatchIn",
    "PickLineOut",
    "PickListOut",
    "QueueItemOut",
    "QueueLineOut",
    "QueuePageOut",
    "ShipmentIn",
    "ShipmentLineIn",
    "ShipmentLineOut",
    "ShipmentOut",
]

_Text60 = Annotated[str, msgspec.Meta(max_length=60)]
_Text100 = Annotated[str, msgspec.Meta(max_length=100)]


class ShipmentLineIn(msgspec.Struct, forbid_unknown_fields=True):
    line_id: Annotated[str, msgspec.Meta(max_length=36)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class ShipmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Pack goods of an order into a shipment from one warehouse. Without `lines`, every
    unit reserved for the order at that warehouse is packed. With `dispatch` (the default)
    the shipment leaves at once; otherwise it waits packed until dispatched."""

    warehouse_id: Annotated[str, msgspec.Meta(max_length=36)] | None = None
    lines: list[ShipmentLineIn] | None = None
    dispatch: bool = True
    carrier: _Text60 = ""
    service: _Text60 = ""
    tracking_number: _Text100 = ""
    supplier_reference: Annotated[str, msgspec.Meta(max_length=80)] = ""


class DispatchIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    carrier: _Text60 = ""
    service: _Text60 = ""
    tracking_number: _Text100 = ""


class DeliverIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Delivery confirmed by the carrier or the customer; today when no date is given."""

    delivered_on: date | None = None


class ShipmentLineOut(msgspec.Struct):
    order_line_id: str
    product_id: str
    sku: str
    name: str
    quantity: int


class ShipmentOut(msgspec.Struct):
    id: str
    number: str
    order_id: str
    order_number: str
    kind: str
    status: str
    warehouse_id: str | None
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str | None
    supplier_reference: str
    packed_at: str
    shipped_at: str | None
    delivered_on: str | None
    invoice_id: str | None
    lines: list[ShipmentLineOut]


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Authorise a return of shipped, invoiced units of the order's lines, with why."""

    reason: Annotated[str, msgspec.Meta(max_length=500)]
    lines: Annotated[list[ShipmentLineIn], msgspec.Meta(max_length=500)]


class ReceiveReturnIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The goods are back: restocked (into `warehouse_id`, by default the warehouse they
    left from) or scrapped."""

    disposition: Annotated[str, msgspec.Meta(max_length=10)] = "restock"
    warehouse_id: Annotated[str, msgspec.Meta(max_length=36)] | None = None


class ReturnLineOut(msgspec.Struct, kw_only=True):
    order_line_id: str
    sku: str
    name: str
    quantity: int
    quantity_received: int
    disposition: str
    warehouse_id: str | None


class ReturnOut(msgspec.Struct, kw_only=True):
    id: str
    number: str
    order_id: str
    status: str
    reason: str
    created_at: str
    received_at: str | None
    credit_note_number: str | None
    lines: list[ReturnLineOut]


class CompleteServiceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The work of a service order was done on `completed_on` (today when not given)."""

    completed_on: date | None = None
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class PickLineOut(msgspec.Struct):
    """Units of one order line to take off the shelf at the pick list's warehouse."""

    order_id: str
    order_number: str
    customer_name: str
    order_type: str
    priority: int
    placed_at: str
    requested_delivery_date: str | None
    line_id: str
    sku: str
    name: str
    quantity: int


class PickListOut(msgspec.Struct):
    """What to pick in one warehouse: rush orders first, then priority, then the oldest."""

    warehouse_id: str
    warehouse_code: str
    warehouse_name: str
    units: int
    lines: list[PickLineOut]


class QueueLineOut(msgspec.Struct):
    line_id: str
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity: int
    allocated: int
    backordered: int
    packed: int
    shipped: int
    delivered: int
    expected_on: str | None


class QueueItemOut(msgspec.Struct):
    """An order waiting in the fulfilment queue; in the packed and in-transit states, one
    of its shipments (`shipment`)."""

    order_id: str
    order_number: str
    customer_id: str
    customer_name: str
    order_type: str
    priority: int
    status: str
    fulfilment_status: str
    placed_at: str
    requested_delivery_date: str | None
    supplier_reference: str
    lines: list[QueueLineOut]
    shipment: ShipmentOut | None = None


class QueuePageOut(msgspec.Struct):
    state: str
    items: list[QueueItemOut]
    total: int
    limit: int
    offset: int
    counts: dict[str, int]
