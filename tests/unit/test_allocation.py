from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.allocation import (
    AllocationLine,
    AllocationPlan,
    Backorder,
    BackorderDemand,
    Reservation,
    StockPosition,
    allocate_backorders,
    allocate_order,
    release,
)
from server.domain.errors import ValidationFailed
from server.domain.orders import FulfilmentStatus, OrderType

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def stock(*positions: tuple[str, str, int]) -> list[StockPosition]:
    return [StockPosition(w, p, on_hand, 0) for w, p, on_hand in positions]


def demand(
    order_id: str,
    line_id: str,
    quantity: int,
    *,
    priority: str = "normal",
    placed_at: datetime = T0,
    product_id: str = "p1",
) -> BackorderDemand:
    return BackorderDemand(order_id, line_id, product_id, quantity, priority, placed_at)


def test_stock_position_available_is_on_hand_minus_allocated_never_negative() -> None:
    assert StockPosition("w1", "p1", 10, 4).available == 6
    assert StockPosition("w1", "p1", 3, 5).available == 0


def test_allocate_order_takes_from_the_preferred_warehouse_first() -> None:
    # given the preferred warehouse has less than another one, but enough
    plan = allocate_order(
        [AllocationLine("l1", "p1", 5)],
        stock(("big", "p1", 100), ("near", "p1", 5)),
        preferred_warehouse_id="near",
    )
    assert plan == AllocationPlan(
        (Reservation("l1", "near", "p1", 5),), (), FulfilmentStatus.ALLOCATED
    )


def test_allocate_order_without_preference_takes_from_the_most_available() -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 5)], stock(("a", "p1", 6), ("b", "p1", 9), ("c", "p1", 9))
    )
    # then "b" and "c" tie on 9 and the tie goes to the smaller warehouse id
    assert plan.reservations == (Reservation("l1", "b", "p1", 5),)


def test_allocate_order_splits_a_line_across_warehouses() -> None:
    # given the preferred warehouse has 3 and the others 4 and 2
    plan = allocate_order(
        [AllocationLine("l1", "p1", 8)],
        stock(("pref", "p1", 3), ("x", "p1", 2), ("y", "p1", 4), ("z", "p2", 50)),
        preferred_warehouse_id="pref",
    )
    # then preferred first, then the most available, and never another product's stock
    assert plan.reservations == (
        Reservation("l1", "pref", "p1", 3),
        Reservation("l1", "y", "p1", 4),
        Reservation("l1", "x", "p1", 1),
    )
    assert plan.fulfilment_status is FulfilmentStatus.ALLOCATED


def test_allocate_order_backorders_what_is_short() -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 10), AllocationLine("l2", "p2", 1)],
        [StockPosition("w1", "p1", 10, 3), StockPosition("w1", "p2", 5, 0)],
    )
    assert plan.reservations == (
        Reservation("l1", "w1", "p1", 7),
        Reservation("l2", "w1", "p2", 1),
    )
    assert plan.backordered == (Backorder("l1", "p1", 3),)
    assert plan.fulfilment_status is FulfilmentStatus.PARTIALLY_ALLOCATED


def test_allocate_order_with_no_stock_is_backordered() -> None:
    plan = allocate_order([AllocationLine("l1", "p1", 2)], stock(("w1", "p1", 0)))
    assert plan.reservations == ()
    assert plan.backordered == (Backorder("l1", "p1", 2),)
    assert plan.fulfilment_status is FulfilmentStatus.BACKORDERED


def test_allocate_order_same_product_twice_never_overallocates() -> None:
    # given two lines of one order want 4 and 4 of a product with 5 available in total
    plan = allocate_order(
        [AllocationLine("l1", "p1", 4), AllocationLine("l2", "p1", 4)],
        stock(("w1", "p1", 3), ("w2", "p1", 2)),
    )
    # then the second line gets what the first left, and the rest is backordered
    assert plan.reservations == (
        Reservation("l1", "w1", "p1", 3),
        Reservation("l1", "w2", "p1", 1),
        Reservation("l2", "w2", "p1", 1),
    )
    assert plan.backordered == (Backorder("l2", "p1", 3),)
    assert sum(r.quantity for r in plan.reservations) == 5


def test_allocate_order_ship_complete_and_short_reserves_nothing() -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 2), AllocationLine("l2", "p2", 5)],
        stock(("w1", "p1", 10), ("w1", "p2", 4)),
        ship_complete=True,
    )
    assert plan.reservations == ()
    assert plan.backordered == (Backorder("l1", "p1", 2), Backorder("l2", "p2", 5))
    assert plan.fulfilment_status is FulfilmentStatus.BACKORDERED


def test_allocate_order_ship_complete_with_enough_stock_reserves_everything() -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 2)], stock(("w1", "p1", 2)), ship_complete=True
    )
    assert plan.reservations == (Reservation("l1", "w1", "p1", 2),)
    assert plan.fulfilment_status is FulfilmentStatus.ALLOCATED


def test_allocate_order_only_seeks_what_is_not_already_allocated() -> None:
    # given a line of 10 of which 6 were reserved by an earlier run, and 1 more in stock
    plan = allocate_order(
        [AllocationLine("l1", "p1", 10, already_allocated=6)], stock(("w1", "p1", 1))
    )
    assert plan.reservations == (Reservation("l1", "w1", "p1", 1),)
    assert plan.backordered == (Backorder("l1", "p1", 3),)
    assert plan.fulfilment_status is FulfilmentStatus.PARTIALLY_ALLOCATED


def test_allocate_order_with_everything_already_allocated_is_allocated() -> None:
    plan = allocate_order([AllocationLine("l1", "p1", 3, already_allocated=3)], [])
    assert plan == AllocationPlan((), (), FulfilmentStatus.ALLOCATED)


@pytest.mark.parametrize("order_type", [OrderType.SERVICE, OrderType.DROP_SHIP, "drop_ship"])
def test_allocate_order_service_and_drop_ship_reserve_nothing(order_type: str) -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 5)], stock(("w1", "p1", 100)), order_type=order_type
    )
    assert plan == AllocationPlan((), (), FulfilmentStatus.ALLOCATED)


@pytest.mark.parametrize("order_type", [OrderType.RUSH, OrderType.BLANKET, "standard"])
def test_allocate_order_stock_order_types_reserve(order_type: str) -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 5)], stock(("w1", "p1", 100)), order_type=order_type
    )
    assert plan.reservations == (Reservation("l1", "w1", "p1", 5),)


@pytest.mark.parametrize(
    "line",
    [
        AllocationLine("l1", "p1", -1),
        AllocationLine("l1", "p1", 2, already_allocated=3),
        AllocationLine("l1", "p1", 2, already_allocated=-1),
    ],
)
def test_allocate_order_refuses_impossible_lines(line: AllocationLine) -> None:
    with pytest.raises(ValidationFailed):
        allocate_order([line], stock(("w1", "p1", 10)))


def test_allocate_order_refuses_an_unknown_order_type() -> None:
    with pytest.raises(ValidationFailed):
        allocate_order([AllocationLine("l1", "p1", 1)], [], order_type="barter")


def test_allocate_order_refuses_duplicate_stock_positions() -> None:
    with pytest.raises(ValidationFailed) as caught:
        allocate_order([AllocationLine("l1", "p1", 1)], stock(("w1", "p1", 1), ("w1", "p1", 1)))
    assert caught.value.code == "duplicate_stock_position"


def test_allocate_backorders_serves_rush_first_then_oldest() -> None:
    # given 6 units arrive and four orders wait for 3 each
    demands = [
        demand("o-new", "l-new", 3, placed_at=T0 + timedelta(days=2)),
        demand("o-old", "l-old", 3, placed_at=T0),
        demand("o-rush", "l-rush", 3, priority="rush", placed_at=T0 + timedelta(days=5)),
        demand("o-mid", "l-mid", 3, placed_at=T0 + timedelta(days=1)),
    ]
    # when
    reservations = allocate_backorders(demands, stock(("w1", "p1", 7)))
    # then the rush order, then the oldest, then what remains goes to the next oldest
    assert reservations == (
        Reservation("l-rush", "w1", "p1", 3),
        Reservation("l-old", "w1", "p1", 3),
        Reservation("l-mid", "w1", "p1", 1),
    )


def test_allocate_backorders_breaks_ties_by_order_id() -> None:
    reservations = allocate_backorders(
        [demand("o-b", "l-b", 2), demand("o-a", "l-a", 2)], stock(("w1", "p1", 2))
    )
    assert reservations == (Reservation("l-a", "w1", "p1", 2),)


def test_allocate_backorders_keeps_products_apart_and_splits_warehouses() -> None:
    reservations = allocate_backorders(
        [demand("o1", "l1", 5, product_id="p1"), demand("o2", "l2", 1, product_id="p2")],
        stock(("w1", "p1", 2), ("w2", "p1", 4), ("w1", "p2", 1)),
    )
    assert reservations == (
        Reservation("l1", "w2", "p1", 4),
        Reservation("l1", "w1", "p1", 1),
        Reservation("l2", "w1", "p2", 1),
    )


def test_allocate_backorders_refuses_an_unknown_priority() -> None:
    with pytest.raises(ValidationFailed):
        allocate_backorders([demand("o1", "l1", 1, priority="urgent")], stock(("w1", "p1", 1)))


def test_release_sums_quantities_per_warehouse_and_product() -> None:
    released = release(
        [
            Reservation("l1", "w1", "p1", 3),
            Reservation("l2", "w1", "p1", 2),
            Reservation("l1", "w2", "p1", 1),
            Reservation("l3", "w1", "p2", 4),
            Reservation("l4", "w3", "p2", 0),
        ]
    )
    assert released == {("w1", "p1"): 5, ("w2", "p1"): 1, ("w1", "p2"): 4}


def test_release_of_a_plan_gives_back_exactly_what_it_reserved() -> None:
    plan = allocate_order(
        [AllocationLine("l1", "p1", 4), AllocationLine("l2", "p1", 4)],
        stock(("w1", "p1", 3), ("w2", "p1", 2)),
    )
    assert release(plan.reservations) == {("w1", "p1"): 3, ("w2", "p1"): 2}
