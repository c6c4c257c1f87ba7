from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from server.domain.catalog import (
    PriceBreak,
    PriceList,
    PriceListItem,
    PriceQuote,
    StockLevel,
    TaxRate,
    check_quantity,
    is_low_stock,
    lookup_price,
    round_to_pack,
    tax_rate_for,
)
from server.domain.errors import ValidationFailed
from server.domain.territories import Address

ON = date(2026, 3, 1)


def price_list(
    list_id: str,
    *,
    kind: str = "base",
    code: str | None = None,
    version: int = 1,
    valid_from: date | None = None,
    valid_to: date | None = None,
    customer_id: str | None = None,
    prices: dict[str, int] | None = None,
    breaks: dict[str, tuple[PriceBreak, ...]] | None = None,
) -> PriceList:
    prices = prices if prices is not None else {"p1": 1000}
    breaks = breaks or {}
    return PriceList(
        id=list_id,
        code=code or list_id,
        kind=kind,
        version=version,
        valid_from=valid_from,
        valid_to=valid_to,
        customer_id=customer_id,
        items={
            product: PriceListItem(product, cents, breaks.get(product, ()))
            for product, cents in prices.items()
        },
    )


def price(
    price_lists: list[PriceList],
    *,
    product_id: str = "p1",
    quantity: int = 1,
    on: date = ON,
    customer_id: str | None = "cust-1",
    customer_price_list_id: str | None = None,
) -> PriceQuote:
    return lookup_price(
        product_id=product_id,
        quantity=quantity,
        on=on,
        customer_id=customer_id,
        customer_price_list_id=customer_price_list_id,
        price_lists=price_lists,
    )


# --- volume breaks ------------------------------------------------------------------------

BREAKS = (PriceBreak(10, 900), PriceBreak(50, 800))


def test_lookup_price_below_first_break_uses_unit_price() -> None:
    quote = price([price_list("base", breaks={"p1": BREAKS})], quantity=9)
    assert (quote.unit_price_cents, quote.break_min_qty) == (1000, None)


def test_lookup_price_break_applies_from_its_minimum_quantity() -> None:
    lists = [price_list("base", breaks={"p1": BREAKS})]
    assert price(lists, quantity=10).unit_price_cents == 900
    assert price(lists, quantity=49).unit_price_cents == 900
    assert price(lists, quantity=50).unit_price_cents == 800
    assert price(lists, quantity=50).break_min_qty == 50


def test_lookup_price_picks_highest_break_regardless_of_order() -> None:
    lists = [price_list("base", breaks={"p1": tuple(reversed(BREAKS))})]
    assert price(lists, quantity=100).unit_price_cents == 800


def test_lookup_price_refuses_non_positive_quantity() -> None:
    with pytest.raises(ValidationFailed) as error:
        price([price_list("base")], quantity=0)
    assert error.value.code == "quantity_not_positive"


# --- validity and versions ----------------------------------------------------------------


def test_lookup_price_validity_window_is_inclusive() -> None:
    lists = [
        price_list("base-old", prices={"p1": 500}),
        price_list(
            "base-promo",
            version=2,
            valid_from=date(2026, 3, 1),
            valid_to=date(2026, 3, 31),
            prices={"p1": 700},
        ),
    ]
    assert price(lists, on=date(2026, 3, 1)).unit_price_cents == 700
    assert price(lists, on=date(2026, 3, 31)).unit_price_cents == 700
    assert price(lists, on=date(2026, 2, 28)).unit_price_cents == 500
    assert price(lists, on=date(2026, 4, 1)).unit_price_cents == 500


def test_lookup_price_highest_valid_version_wins() -> None:
    lists = [
        # ids deliberately sort against the versions
        price_list("a3", code="BASE", version=3, valid_from=date(2026, 6, 1), prices={"p1": 1300}),
        price_list("b2", code="BASE", version=2, prices={"p1": 1200}),
        price_list("c1", code="BASE", version=1, prices={"p1": 1100}),
    ]
    quote = price(lists)
    assert (quote.price_list_id, quote.price_list_version, quote.unit_price_cents) == (
        "b2",
        2,
        1200,
    )


def test_lookup_price_product_dropped_from_newer_version_falls_to_next_level() -> None:
    # given tier v2 dropped p1 that tier v1 still lists
    lists = [
        price_list("tier-v1", kind="tier", code="GOLD", version=1, prices={"p1": 700}),
        price_list("tier-v2", kind="tier", code="GOLD", version=2, prices={"p2": 100}),
        price_list("base", prices={"p1": 1000}),
    ]
    # then the base price applies, not the superseded v1
    assert price(lists, customer_price_list_id="tier-v1").price_list_id == "base"


# --- precedence between kinds -------------------------------------------------------------

KINDS = [
    price_list("base", prices={"p1": 1000, "p2": 2000, "p3": 3000}),
    price_list("gold", kind="tier", prices={"p1": 900, "p2": 1800}),
    price_list("cust-1-deal", kind="customer", customer_id="cust-1", prices={"p1": 800}),
    price_list("cust-2-deal", kind="customer", customer_id="cust-2", prices={"p1": 1}),
]


def test_lookup_price_customer_list_beats_tier_and_base() -> None:
    quote = price(KINDS, customer_price_list_id="gold")
    assert (quote.price_list_id, quote.unit_price_cents) == ("cust-1-deal", 800)


def test_lookup_price_tier_beats_base_when_customer_list_lacks_product() -> None:
    quote = price(KINDS, product_id="p2", customer_price_list_id="gold")
    assert (quote.price_list_id, quote.unit_price_cents) == ("gold", 1800)


def test_lookup_price_base_when_no_other_list_has_product() -> None:
    assert price(KINDS, product_id="p3", customer_price_list_id="gold").price_list_id == "base"


def test_lookup_price_ignores_other_customers_lists() -> None:
    quote = price(KINDS, customer_id="cust-3", customer_price_list_id="gold")
    assert quote.price_list_id == "gold"


def test_lookup_price_tier_not_assigned_is_ignored() -> None:
    assert price(KINDS, customer_id=None, product_id="p2").price_list_id == "base"


def test_lookup_price_expired_customer_list_is_ignored() -> None:
    lists = [
        price_list("base"),
        price_list(
            "deal",
            kind="customer",
            customer_id="cust-1",
            valid_to=date(2026, 2, 28),
            prices={"p1": 1},
        ),
    ]
    assert price(lists).price_list_id == "base"


def test_lookup_price_newer_version_of_assigned_tier_replaces_it() -> None:
    lists = [
        price_list("gold-v1", kind="tier", code="GOLD", version=1, prices={"p1": 900}),
        price_list("gold-v2", kind="tier", code="GOLD", version=2, prices={"p1": 850}),
        price_list("silver", kind="tier", code="SILVER", version=9, prices={"p1": 950}),
        price_list("base"),
    ]
    quote = price(lists, customer_price_list_id="gold-v1")
    assert (quote.price_list_code, quote.price_list_version, quote.unit_price_cents) == (
        "GOLD",
        2,
        850,
    )


def test_lookup_price_without_any_price_raises_no_price() -> None:
    with pytest.raises(ValidationFailed) as error:
        price(KINDS, product_id="p-missing", customer_price_list_id="gold")
    assert error.value.code == "no_price"
    assert error.value.details["product_id"] == "p-missing"


def test_lookup_price_only_outside_validity_raises_no_price() -> None:
    with pytest.raises(ValidationFailed) as error:
        price([price_list("base", valid_from=date(2026, 4, 1))])
    assert error.value.code == "no_price"


# --- quantities ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -6])
def test_check_quantity_refuses_non_positive(quantity: int) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_quantity(quantity, pack_size=6, min_order_qty=0)
    assert error.value.code == "quantity_not_positive"


def test_check_quantity_refuses_below_minimum_and_names_numbers() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_quantity(6, pack_size=6, min_order_qty=12)
    assert error.value.code == "below_minimum_quantity"
    assert "12" in error.value.message and "6" in error.value.message


def test_check_quantity_minimum_boundary() -> None:
    check_quantity(5, pack_size=1, min_order_qty=5)
    with pytest.raises(ValidationFailed) as error:
        check_quantity(4, pack_size=1, min_order_qty=5)
    assert error.value.code == "below_minimum_quantity"


def test_check_quantity_refuses_partial_pack_and_names_numbers() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_quantity(13, pack_size=6, min_order_qty=12)
    assert error.value.code == "not_pack_multiple"
    assert "13" in error.value.message and "6" in error.value.message


def test_check_quantity_accepts_whole_packs_at_minimum() -> None:
    check_quantity(12, pack_size=6, min_order_qty=12)
    check_quantity(18, pack_size=6, min_order_qty=12)
    check_quantity(1, pack_size=1, min_order_qty=0)


@pytest.mark.parametrize(
    ("quantity", "pack_size", "min_order_qty", "expected"),
    [
        (1, 6, 0, 6),
        (6, 6, 0, 6),
        (7, 6, 0, 12),
        (0, 1, 0, 1),
        (-3, 4, 0, 4),
        (1, 6, 10, 12),  # minimum not a pack multiple: first whole pack above it
        (13, 1, 5, 13),
    ],
)
def test_round_to_pack_gives_smallest_valid_quantity_at_or_above(
    quantity: int, pack_size: int, min_order_qty: int, expected: int
) -> None:
    result = round_to_pack(quantity, pack_size, min_order_qty)
    assert result == expected
    check_quantity(result, pack_size=pack_size, min_order_qty=min_order_qty)


def test_round_to_pack_refuses_zero_pack_size() -> None:
    with pytest.raises(ValidationFailed):
        round_to_pack(5, 0, 0)


# --- tax ----------------------------------------------------------------------------------

RATES = [
    TaxRate("standard", "US", None, Decimal("5.00")),
    TaxRate("standard", "US", "CA", Decimal("7.25")),
    TaxRate("food", "US", None, Decimal("0.00")),
    TaxRate("standard", "DE", None, Decimal("19")),
]


def test_tax_rate_for_state_rate_beats_country_rate() -> None:
    rate = tax_rate_for(
        tax_category="standard", address=Address("US", "ca"), rates=RATES, exempt=False
    )
    assert rate == Decimal("7.25")


def test_tax_rate_for_other_state_uses_country_rate() -> None:
    rate = tax_rate_for(
        tax_category="standard", address=Address("US", "NV"), rates=RATES, exempt=False
    )
    assert rate == Decimal("5.00")


def test_tax_rate_for_state_rate_wins_whatever_the_row_order() -> None:
    rate = tax_rate_for(
        tax_category="standard",
        address=Address("US", "CA"),
        rates=list(reversed(RATES)),
        exempt=False,
    )
    assert rate == Decimal("7.25")


def test_tax_rate_for_exempt_customer_is_zero() -> None:
    rate = tax_rate_for(tax_category="standard", address=Address("DE"), rates=RATES, exempt=True)
    assert rate == Decimal(0)


def test_tax_rate_for_unknown_country_or_category_is_zero() -> None:
    assert tax_rate_for(
        tax_category="standard", address=Address("FR"), rates=RATES, exempt=False
    ) == Decimal(0)
    assert tax_rate_for(
        tax_category="luxury", address=Address("DE"), rates=RATES, exempt=False
    ) == Decimal(0)


# --- stock --------------------------------------------------------------------------------


def test_stock_available_never_negative() -> None:
    assert StockLevel("w1", "p1", on_hand=10, allocated=3).available == 7
    assert StockLevel("w1", "p1", on_hand=2, allocated=5).available == 0


def test_is_low_stock_sums_warehouses_and_includes_threshold() -> None:
    levels = [StockLevel("w1", "p1", 4, 1), StockLevel("w2", "p1", 2, 0)]  # 3 + 2 available
    assert is_low_stock(levels, threshold=5)
    assert not is_low_stock(levels, threshold=4)


def test_is_low_stock_over_allocation_does_not_hide_other_warehouse() -> None:
    # an over-allocated warehouse counts as 0, not -10
    levels = [StockLevel("w1", "p1", 0, 10), StockLevel("w2", "p1", 8, 0)]
    assert not is_low_stock(levels, threshold=5)
