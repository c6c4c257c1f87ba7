"""The order's fulfilment sub-state and status follow from its quantities."""

from __future__ import annotations

import pytest

from server.domain.errors import Conflict, ValidationFailed
from server.domain.lifecycle import (
    LineProgress,
    ShipRequest,
    check_shipment,
    fulfilment_status,
    lifecycle_actions,
    order_status_for,
)
from server.domain.orders import BillingStatus as B
from server.domain.orders import FulfilmentStatus as F
from server.domain.orders import OrderStatus as O
from server.domain.orders import OrderType


def _line(**kw: int) -> LineProgress:
    return LineProgress(line_id="l", quantity=kw.pop("quantity", 10), **kw)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([_line(allocated=10)], F.ALLOCATED),
        ([_line(allocated=4, backordered=6)], F.PARTIALLY_ALLOCATED),
        ([_line(backordered=10)], F.BACKORDERED),
        ([_line()], F.UNALLOCATED),
        ([_line(allocated=6, shipped=4)], F.PARTIALLY_SHIPPED),
        ([_line(packed=10)], F.PARTIALLY_SHIPPED),
        ([_line(shipped=10), _line(quantity=2, allocated=2)], F.PARTIALLY_SHIPPED),
        ([_line(shipped=10), _line(quantity=2, shipped=2)], F.SHIPPED),
        ([_line(shipped=10, delivered=4)], F.SHIPPED),
        ([_line(shipped=10, delivered=10), _line(quantity=1, shipped=1, delivered=1)], F.DELIVERED),
    ],
)
def test_fulfilment_follows_quantities(lines: list[LineProgress], expected: F) -> None:
    assert fulfilment_status(lines) is expected


@pytest.mark.parametrize(
    ("status", "fulfilment", "billing", "expected"),
    [
        (O.CONFIRMED, F.ALLOCATED, B.NOT_INVOICED, O.CONFIRMED),
        (O.CONFIRMED, F.PARTIALLY_SHIPPED, B.NOT_INVOICED, O.IN_FULFILMENT),
        (O.IN_FULFILMENT, F.SHIPPED, B.INVOICED, O.IN_FULFILMENT),
        (O.IN_FULFILMENT, F.DELIVERED, B.PARTIALLY_PAID, O.COMPLETED),
        (O.IN_FULFILMENT, F.DELIVERED, B.PAID, O.CLOSED),
        (O.CONFIRMED, F.DELIVERED, B.PAID, O.CLOSED),
        (O.COMPLETED, F.DELIVERED, B.PAID, O.CLOSED),
        # paid before delivery: closes only once delivered
        (O.IN_FULFILMENT, F.SHIPPED, B.PAID, O.IN_FULFILMENT),
        # nothing moves an order that waits for a person, or a cancelled one
        (O.PENDING_APPROVAL, F.UNALLOCATED, B.NOT_INVOICED, O.PENDING_APPROVAL),
        (O.CANCELLED, F.UNALLOCATED, B.NOT_INVOICED, O.CANCELLED),
    ],
)
def test_status_follows_sub_states(status: O, fulfilment: F, billing: B, expected: O) -> None:
    assert order_status_for(status, fulfilment, billing) is expected


def test_each_step_is_named_for_the_timeline() -> None:
    assert lifecycle_actions(O.CONFIRMED, O.CLOSED) == ["start_fulfilment", "complete", "close"]
    assert lifecycle_actions(O.IN_FULFILMENT, O.COMPLETED) == ["complete"]
    assert lifecycle_actions(O.CONFIRMED, O.CONFIRMED) == []


def _check(**kw: object) -> None:
    args: dict[str, object] = {
        "status": O.CONFIRMED,
        "order_type": OrderType.STANDARD,
        "ship_complete": False,
        "lines": [LineProgress(line_id="a", quantity=5, allocated=5)],
        "requested": [ShipRequest("a", 5)],
        "reserved_here": {"a": 5},
    }
    args.update(kw)
    check_shipment(**args)  # type: ignore[arg-type]


def test_a_shipment_takes_only_what_is_reserved_at_its_warehouse() -> None:
    _check()
    with pytest.raises(Conflict) as caught:
        _check(requested=[ShipRequest("a", 3), ShipRequest("a", 3)])
    assert caught.value.code == "cannot_ship"
    assert caught.value.details["lines"][0]["requested"] == 6
    with pytest.raises(Conflict):
        _check(reserved_here={})


def test_shipment_refusals_name_every_line() -> None:
    with pytest.raises(Conflict) as caught:
        _check(requested=[ShipRequest("x", 1), ShipRequest("a", 0)])
    assert [e["code"] for e in caught.value.details["lines"]] == [
        "unknown_line",
        "quantity_not_positive",
    ]
    with pytest.raises(ValidationFailed):
        _check(requested=[])


def test_only_confirmed_orders_ship_and_blankets_never() -> None:
    with pytest.raises(Conflict) as caught:
        _check(status=O.PENDING_APPROVAL)
    assert caught.value.code == "order_not_shippable"
    with pytest.raises(Conflict) as blanket:
        _check(order_type=OrderType.BLANKET)
    assert blanket.value.code == "blanket_not_shippable"


def test_drop_ship_ships_what_is_open_and_ship_complete_all_or_nothing() -> None:
    lines = [LineProgress(line_id="a", quantity=5, shipped=2)]
    _check(order_type=OrderType.DROP_SHIP, lines=lines, requested=[ShipRequest("a", 3)])
    with pytest.raises(Conflict):
        _check(order_type=OrderType.DROP_SHIP, lines=lines, requested=[ShipRequest("a", 4)])
    two = [
        LineProgress(line_id="a", quantity=5, allocated=5),
        LineProgress(line_id="b", quantity=1, allocated=1),
    ]
    with pytest.raises(Conflict) as caught:
        _check(ship_complete=True, lines=two, reserved_here={"a": 5, "b": 1})
    assert caught.value.code == "ship_complete"
