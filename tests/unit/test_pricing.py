from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import ValidationFailed
from server.domain.pricing import (
    MAX_DOCUMENT_CENTS,
    DocumentInput,
    LineInput,
    PricedDocument,
    TotalsMismatch,
    check_floor_prices,
    compare_client_totals,
    effective_discount_percent,
    price_document,
    requested_discount_percent,
)


def line(line_id: str = "l1", **overrides: Any) -> LineInput:
    fields: dict[str, Any] = {
        "line_id": line_id,
        "product_id": f"p-{line_id}",
        "quantity": 1,
        "unit_price_cents": 1000,
    }
    fields.update(overrides)
    return LineInput(**fields)


def doc(*lines: LineInput, **overrides: Any) -> DocumentInput:
    return DocumentInput(lines=lines, **overrides)


def test_price_document_worked_example_with_discount_and_tax() -> None:
    # given 3 x 19.99 with 10% off and 8.25% tax
    d = doc(
        line(
            quantity=3,
            unit_price_cents=1999,
            discount_percent=Decimal(10),
            tax_rate=Decimal("0.0825"),
        )
    )
    # when
    priced = price_document(d)
    # then: gross 5997, discount 599.7 -> 600, net 5397, tax 445.2525 -> 445
    (p,) = priced.lines
    assert (p.gross_cents, p.line_discount_cents, p.order_discount_cents) == (5997, 600, 0)
    assert (p.net_cents, p.tax_cents, p.total_cents) == (5397, 445, 5842)
    assert priced == PricedDocument(
        lines=(p,),
        subtotal_cents=5997,
        discount_cents=600,
        net_cents=5397,
        tax_cents=445,
        shipping_cents=0,
        shipping_tax_cents=0,
        total_cents=5842,
    )


def test_price_document_rounds_half_a_cent_discount_up() -> None:
    # given 5% of 10.10 = 50.5 cents
    priced = price_document(doc(line(unit_price_cents=1010, discount_percent=Decimal(5))))
    # then half up, not half even (which would give 50)
    assert priced.lines[0].line_discount_cents == 51
    assert priced.lines[0].net_cents == 959


def test_price_document_rounds_half_a_cent_tax_up() -> None:
    # given tax of 5% on 2.50 = 12.5 cents; banker's rounding would give 12
    priced = price_document(doc(line(unit_price_cents=250, tax_rate=Decimal("0.05"))))
    # then
    assert priced.lines[0].tax_cents == 13
    assert priced.total_cents == 263


def test_price_document_rounds_just_below_half_a_cent_down() -> None:
    # given 8.25% of 10.00 (82.5) vs 8.249% of 10.00 (82.49)
    half = price_document(doc(line(tax_rate=Decimal("0.0825"))))
    below = price_document(doc(line(tax_rate=Decimal("0.08249"))))
    # then
    assert half.tax_cents == 83
    assert below.tax_cents == 82


def test_price_document_spreads_a_third_order_discount_exactly() -> None:
    # given 3 lines of 10.00 and 33.33% off the order: 999.9 -> 1000 cents
    d = doc(line("a"), line("b"), line("c"), order_discount_percent=Decimal("33.33"))
    # when
    priced = price_document(d)
    # then the shares add up to the order discount to the cent; the spare cent goes first
    assert [p.order_discount_cents for p in priced.lines] == [334, 333, 333]
    assert priced.discount_cents == 1000
    assert [p.net_cents for p in priced.lines] == [666, 667, 667]
    assert priced.net_cents == 2000


def test_price_document_spreads_by_largest_remainder_not_per_line_rounding() -> None:
    # given 3 x 1.00 and 0.6667% off: the order discount is 2 cents, 0.667 per line;
    # rounding each share would give 3 cents
    d = doc(
        line("a", unit_price_cents=100),
        line("b", unit_price_cents=100),
        line("c", unit_price_cents=100),
        order_discount_percent=Decimal("0.6667"),
    )
    # when
    priced = price_document(d)
    # then
    assert [p.order_discount_cents for p in priced.lines] == [1, 1, 0]
    assert priced.discount_cents == 2


def test_price_document_spreads_order_discount_pro_rata_to_net_after_line_discount() -> None:
    # given lines of 10.00 (50% line discount -> 5.00 net) and 15.00, and 10% off the order
    d = doc(
        line("a", discount_percent=Decimal(50)),
        line("b", unit_price_cents=1500),
        order_discount_percent=Decimal(10),
    )
    # when
    priced = price_document(d)
    # then the order discount is 10% of 20.00, shared 5:15
    assert [p.order_discount_cents for p in priced.lines] == [50, 150]
    assert [p.net_cents for p in priced.lines] == [450, 1350]
    assert priced.discount_cents == 500 + 200


def test_price_document_gives_the_spare_cent_to_the_largest_remainder() -> None:
    # given nets 1.00, 2.50 and 6.50 and 7% off the order: shares 7, 17.5, 45.5 -> 70
    d = doc(
        line("a", unit_price_cents=100),
        line("b", unit_price_cents=250),
        line("c", unit_price_cents=650),
        line("d", unit_price_cents=0),
        order_discount_percent=Decimal(7),
    )
    priced = price_document(d)
    # then the tie between .5 and .5 goes to the earlier line; an empty line gets nothing
    assert [p.order_discount_cents for p in priced.lines] == [7, 18, 45, 0]


def test_price_document_taxes_each_line_at_its_own_rate_after_order_discount() -> None:
    # given a taxed line and an exempt line (rate 0), 10% off the order
    d = doc(
        line("a", tax_rate=Decimal("0.2")),
        line("b", tax_rate=Decimal(0)),
        order_discount_percent=Decimal(10),
    )
    priced = price_document(d)
    # then tax is on the net after the order discount share
    assert [p.tax_cents for p in priced.lines] == [180, 0]
    assert priced.tax_cents == 180
    assert priced.total_cents == 1800 + 180


def test_price_document_exempt_customer_pays_no_tax() -> None:
    priced = price_document(doc(line(quantity=7, unit_price_cents=333)))
    assert priced.tax_cents == 0
    assert priced.total_cents == priced.net_cents == 2331


def test_price_document_adds_shipping_and_its_tax() -> None:
    # given 9.95 shipping taxed at 8.25% (82.0875 -> 82)
    d = doc(line(), shipping_cents=995, shipping_tax_rate=Decimal("0.0825"))
    priced = price_document(d)
    # then shipping is not discounted and its tax is kept apart from line tax
    assert priced.shipping_cents == 995
    assert priced.shipping_tax_cents == 82
    assert priced.tax_cents == 0
    assert priced.total_cents == 1000 + 995 + 82


def test_price_document_full_discount_leaves_nothing_to_pay() -> None:
    d = doc(
        line("a", discount_percent=Decimal(100)),
        line("b", unit_price_cents=333),
        order_discount_percent=Decimal(100),
    )
    priced = price_document(d)
    assert [p.net_cents for p in priced.lines] == [0, 0]
    assert priced.total_cents == 0


def test_price_document_keeps_price_list_and_empty_lines() -> None:
    d = doc(line(price_list_id="pl-eu", price_list_version=4), line("zero", quantity=0))
    priced = price_document(d)
    assert (priced.lines[0].price_list_id, priced.lines[0].price_list_version) == ("pl-eu", 4)
    assert priced.lines[1].total_cents == 0
    assert priced.subtotal_cents == 1000


def test_price_document_with_no_lines_is_shipping_only() -> None:
    priced = price_document(doc(shipping_cents=500))
    assert priced.lines == ()
    assert priced.total_cents == 500


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (doc(line(quantity=-1)), "quantity"),
        (doc(line(unit_price_cents=-1)), "unit_price_cents"),
        (doc(line(quantity=1.0)), "quantity"),
        (doc(line(unit_price_cents=9.99)), "unit_price_cents"),
        (doc(line(discount_percent=Decimal("-0.01"))), "discount_percent"),
        (doc(line(discount_percent=Decimal("100.01"))), "discount_percent"),
        (doc(line(discount_percent=Decimal("NaN"))), "discount_percent"),
        (doc(line(discount_percent=0.1)), "discount_percent"),
        (doc(line(tax_rate=0.0825)), "tax_rate"),
        (doc(line(tax_rate=Decimal("8.25"))), "tax_rate"),
        (doc(line(), order_discount_percent=Decimal(101)), "order_discount_percent"),
        (doc(line(), order_discount_percent=5.0), "order_discount_percent"),
        (doc(line(), shipping_cents=-1), "shipping_cents"),
        (doc(line(), shipping_tax_rate=0.2), "shipping_tax_rate"),
        (doc(line("same"), line("same")), "line_id"),
    ],
)
def test_price_document_refuses_bad_input(bad: DocumentInput, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        price_document(bad)
    assert caught.value.code == "validation_failed"
    assert [p["field"] for p in caught.value.details["problems"]] == [field]


def test_price_document_reports_every_problem_at_once() -> None:
    bad = doc(line("a", quantity=-2), line("b", discount_percent=0.5))
    with pytest.raises(ValidationFailed) as caught:
        price_document(bad)
    problems = caught.value.details["problems"]
    assert [(p["line_id"], p["field"]) for p in problems] == [
        ("a", "quantity"),
        ("b", "discount_percent"),
    ]


def test_price_document_accepts_whole_number_percentages_as_int() -> None:
    priced = price_document(doc(line(discount_percent=10), order_discount_percent=0))
    assert priced.discount_cents == 100


cents = st.integers(min_value=0, max_value=10_000_000)
percent = st.decimals(min_value=0, max_value=100, places=2)
rate = st.decimals(min_value=0, max_value=Decimal("0.3"), places=4)


@given(
    lines=st.lists(st.tuples(st.integers(0, 500), cents, percent, rate), max_size=12),
    order_pct=percent,
    shipping=st.integers(0, 100_000),
)
def test_price_document_header_always_equals_the_sum_of_its_lines(
    lines: list[tuple[int, int, Decimal, Decimal]], order_pct: Decimal, shipping: int
) -> None:
    d = doc(
        *(
            line(str(i), quantity=q, unit_price_cents=u, discount_percent=p, tax_rate=r)
            for i, (q, u, p, r) in enumerate(lines)
        ),
        order_discount_percent=order_pct,
        shipping_cents=shipping,
    )
    priced = price_document(d)
    after_line = sum(p.gross_cents - p.line_discount_cents for p in priced.lines)
    expected_order_discount = int(
        (Decimal(after_line) * order_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    assert sum(p.order_discount_cents for p in priced.lines) == expected_order_discount
    assert all(0 <= p.net_cents <= p.gross_cents for p in priced.lines)
    assert priced.subtotal_cents == sum(p.gross_cents for p in priced.lines)
    assert priced.subtotal_cents - priced.discount_cents == priced.net_cents
    assert priced.net_cents == sum(p.net_cents for p in priced.lines)
    assert priced.tax_cents == sum(p.tax_cents for p in priced.lines)
    assert priced.total_cents == (
        sum(p.total_cents for p in priced.lines) + shipping + priced.shipping_tax_cents
    )


def test_effective_discount_percent_counts_line_and_order_discounts() -> None:
    # given 30.00 with 1000 cents off in total
    priced = price_document(
        doc(line("a"), line("b"), line("c"), order_discount_percent=Decimal("33.33"))
    )
    assert effective_discount_percent(priced) == Decimal("33.33")


def test_effective_discount_percent_rounds_half_up_to_two_places() -> None:
    # given 1 cent off 8.00 = 0.125%
    priced = price_document(doc(line(unit_price_cents=800, discount_percent=Decimal("0.125"))))
    assert priced.discount_cents == 1
    assert effective_discount_percent(priced) == Decimal("0.13")


def test_effective_discount_percent_of_an_empty_document_is_zero() -> None:
    assert effective_discount_percent(price_document(doc())) == Decimal("0.00")


def test_compare_client_totals_reports_the_difference() -> None:
    # given the server charges 58.42 and the phone showed 58.40
    priced = price_document(
        doc(
            line(
                quantity=3,
                unit_price_cents=1999,
                discount_percent=Decimal(10),
                tax_rate=Decimal("0.0825"),
            )
        )
    )
    # when
    mismatch = compare_client_totals(priced, 5840)
    # then the difference is server minus client
    assert mismatch == TotalsMismatch(
        client_total_cents=5840, server_total_cents=5842, difference_cents=2
    )
    assert compare_client_totals(priced, 5850) == TotalsMismatch(5850, 5842, -8)


def test_compare_client_totals_is_silent_when_equal_or_absent() -> None:
    priced = price_document(doc(line()))
    assert compare_client_totals(priced, 1000) is None
    assert compare_client_totals(priced, None) is None


def test_check_floor_prices_flags_net_unit_price_below_floor() -> None:
    # given 3 units for 2.99 net (99.67 each) and 3 units for exactly 3.00
    priced = price_document(
        doc(
            line(
                "below",
                product_id="p1",
                quantity=3,
                unit_price_cents=100,
                discount_percent=Decimal("0.34"),
            ),
            line("at", product_id="p1", quantity=3, unit_price_cents=100),
            line("no-floor", product_id="p2", quantity=1, unit_price_cents=1),
        )
    )
    assert priced.lines[0].net_cents == 299
    # then only the line below the floor is flagged; equal to the floor is fine
    assert check_floor_prices(priced, {"p1": 100}) == ["below"]


def test_check_floor_prices_uses_the_price_after_order_discount() -> None:
    priced = price_document(
        doc(line("a", product_id="p1", unit_price_cents=1000), order_discount_percent=Decimal(5))
    )
    assert check_floor_prices(priced, {"p1": 951}) == ["a"]
    assert check_floor_prices(priced, {"p1": 950}) == []


def test_check_floor_prices_ignores_empty_lines() -> None:
    priced = price_document(doc(line("a", product_id="p1", quantity=0)))
    assert check_floor_prices(priced, {"p1": 100}) == []


def test_a_document_above_the_largest_amount_is_refused_with_a_reason() -> None:
    # One line may fit and the sum of two not; both are refused before anything is stored.
    big = MAX_DOCUMENT_CENTS // 2 + 1
    assert price_document(doc(line(unit_price_cents=big))).total_cents == big
    with pytest.raises(ValidationFailed) as refused:
        price_document(doc(line("l1", unit_price_cents=big), line("l2", unit_price_cents=big)))
    assert refused.value.code == "amount_too_large"
    # A full discount does not hide a gross beyond it, and tax cannot push a total past it.
    with pytest.raises(ValidationFailed):
        price_document(doc(line(quantity=10, unit_price_cents=big, discount_percent=Decimal(100))))
    with pytest.raises(ValidationFailed):
        price_document(doc(line(unit_price_cents=MAX_DOCUMENT_CENTS, tax_rate=Decimal("0.01"))))


@pytest.mark.parametrize(
    ("lines", "order", "asked"),
    [
        # half a cent rounded up (20 % of the cents) is still the 10 % asked for
        ([line(unit_price_cents=5, discount_percent=Decimal(10))], "0", "10.00"),
        ([line(unit_price_cents=5)], "10", "10.00"),
        # rounded down to exactly 10 % of the cents, yet 10.04 % was asked for
        ([line(discount_percent=Decimal("10.04"))], "0", "10.04"),
        ([line(unit_price_cents=1003, discount_percent=Decimal(15))], "0", "15.00"),
        # the order's discount applies to what the lines' discounts left
        ([line(discount_percent=Decimal(10))], "10", "19.00"),
        # a third of a percent, rounded up: above a limit of 0.33 as it is
        ([line("a", discount_percent=Decimal(1)), line("b"), line("c")], "0", "0.34"),
        ([], "50", "0.00"),
    ],
)
def test_requested_discount_percent_is_the_discount_asked_for(
    lines: list[LineInput], order: str, asked: str
) -> None:
    priced = price_document(doc(*lines, order_discount_percent=Decimal(order)))
    assert str(requested_discount_percent(priced, Decimal(order))) == asked
