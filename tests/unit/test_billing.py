from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from server.domain.billing import (
    Allocation,
    LineToInvoice,
    OpenItem,
    ageing,
    ageing_bucket,
    allocate_amount,
    billing_status,
    correction_share,
    draft_invoice,
    due_date,
    line_share,
)
from server.domain.errors import ValidationFailed
from server.domain.orders import BillingStatus

D = date(2026, 3, 1)


# --- due dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "days"),
    [("due_on_receipt", 0), ("net_15", 15), ("net_30", 30), ("net_45", 45), ("net_60", 60)],
)
def test_due_date_follows_the_payment_terms(terms, days):
    assert due_date(D, terms) == D + timedelta(days=days)


def test_due_date_refuses_unknown_terms():
    with pytest.raises(ValidationFailed) as refused:
        due_date(D, "net_7")
    assert refused.value.code == "unknown_payment_terms"


# --- shares of a line ----------------------------------------------------------------------


def test_three_units_that_do_not_divide_evenly_invoiced_one_by_one_add_up_exactly():
    # 3 units for 10.00 net and 1.01 tax: no unit is worth a whole number of cents.
    parts = [
        line_share(net_cents=1000, tax_cents=101, line_quantity=3, already=k, quantity=1)
        for k in range(3)
    ]
    assert [p.net_cents for p in parts] == [333, 334, 333]
    assert [p.tax_cents for p in parts] == [34, 33, 34]
    assert sum(p.net_cents for p in parts) == 1000
    assert sum(p.tax_cents for p in parts) == 101
    assert sum(p.total_cents for p in parts) == 1101


def test_the_last_units_take_the_remainder():
    first = line_share(net_cents=1000, tax_cents=0, line_quantity=3, already=0, quantity=2)
    last = line_share(net_cents=1000, tax_cents=0, line_quantity=3, already=2, quantity=1)
    assert first.net_cents == 667
    assert last.net_cents == 1000 - 667


@pytest.mark.parametrize(("net", "tax", "quantity"), [(1000, 101, 3), (1, 0, 7), (99999, 7, 11)])
def test_every_split_of_a_line_sums_to_the_line(net, tax, quantity):
    for cuts in itertools.combinations(range(1, quantity), min(2, quantity - 1)):
        bounds = [0, *cuts, quantity]
        parts = [
            line_share(
                net_cents=net, tax_cents=tax, line_quantity=quantity, already=a, quantity=b - a
            )
            for a, b in itertools.pairwise(bounds)
        ]
        assert sum(p.net_cents for p in parts) == net
        assert sum(p.tax_cents for p in parts) == tax


def test_a_share_past_the_line_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        line_share(net_cents=100, tax_cents=0, line_quantity=2, already=1, quantity=2)
    assert refused.value.code == "quantity_out_of_range"


def test_a_price_correction_carries_the_lines_tax_proportion():
    share = correction_share(
        amount_cents=250, line_net_cents=1000, line_tax_cents=101, creditable_net_cents=1000
    )
    assert (share.net_cents, share.tax_cents) == (250, 25)


def test_a_price_correction_above_what_is_left_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        correction_share(
            amount_cents=301, line_net_cents=1000, line_tax_cents=0, creditable_net_cents=300
        )
    assert refused.value.code == "credit_exceeds_line"


# --- drafting invoices ---------------------------------------------------------------------


def _line(shipped: int, invoiced: int, to_invoice: int, **kw: int) -> LineToInvoice:
    return LineToInvoice(
        order_line_id=str(kw.get("id", "L1")),
        quantity=kw.get("quantity", 3),
        net_cents=kw.get("net", 1000),
        tax_cents=kw.get("tax", 101),
        quantity_shipped=shipped,
        quantity_invoiced=invoiced,
        to_invoice=to_invoice,
    )


def test_the_first_invoice_carries_the_shipping_charge_and_its_tax():
    first = draft_invoice(
        [_line(1, 0, 1)], first_invoice=True, shipping_cents=500, shipping_tax_cents=50
    )
    assert first.net_cents == 333
    assert first.shipping_cents == 500
    assert first.tax_cents == 34 + 50
    assert first.total_cents == 333 + 500 + 84
    assert [x.order_line_id for x in first.lines] == ["L1", None]
    later = draft_invoice(
        [_line(2, 1, 1)], first_invoice=False, shipping_cents=500, shipping_tax_cents=50
    )
    assert later.shipping_cents == 0
    assert later.total_cents == 334 + 33


def test_invoices_of_a_whole_order_add_up_to_its_total():
    # Two lines, 3 units each, invoiced as shipped: 1, then 1 + 2, then 1.
    steps = [((1, 0), (0, 0)), ((1, 0), (2, 0)), ((1, 0), (1, 2))]
    invoiced = [0, 0]
    totals = []
    for i, ((a, _), (b, _)) in enumerate(steps):
        lines = [
            _line(invoiced[0] + a, invoiced[0], a, id=1, net=1000, tax=101),
            _line(invoiced[1] + b, invoiced[1], b, id=2, net=2999, tax=299),
        ]
        draft = draft_invoice(
            lines, first_invoice=i == 0, shipping_cents=795, shipping_tax_cents=80
        )
        totals.append(draft.total_cents)
        invoiced = [invoiced[0] + a, invoiced[1] + b]
    assert sum(totals) == 1000 + 101 + 2999 + 299 + 795 + 80


def test_an_invoice_cannot_bill_more_than_has_shipped():
    with pytest.raises(ValidationFailed) as refused:
        draft_invoice([_line(1, 1, 1)], first_invoice=False, shipping_cents=0, shipping_tax_cents=0)
    assert refused.value.code == "invoiced_exceeds_shipped"


def test_an_invoice_with_nothing_on_it_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        draft_invoice([_line(1, 1, 0)], first_invoice=True, shipping_cents=5, shipping_tax_cents=0)
    assert refused.value.code == "nothing_to_invoice"


# --- billing sub-state ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invoiced", "paid", "credited", "expected"),
    [
        (0, 0, 0, BillingStatus.NOT_INVOICED),
        (400, 0, 0, BillingStatus.PARTIALLY_INVOICED),
        (1000, 0, 0, BillingStatus.INVOICED),
        (400, 400, 0, BillingStatus.PARTIALLY_PAID),
        (1000, 999, 0, BillingStatus.PARTIALLY_PAID),
        (1000, 1000, 0, BillingStatus.PAID),
        (1000, 900, 100, BillingStatus.PAID),
        (1000, 0, 1000, BillingStatus.PAID),
        (1000, 0, 100, BillingStatus.INVOICED),
    ],
)
def test_billing_status_follows_the_money(invoiced, paid, credited, expected):
    assert (
        billing_status(
            total_cents=1000, invoiced_cents=invoiced, paid_cents=paid, credited_cents=credited
        )
        == expected
    )


# --- allocation ----------------------------------------------------------------------------

OPEN = [
    OpenItem("b", D + timedelta(days=10), "INV-000002", 500),
    OpenItem("a", D, "INV-000001", 300),
    OpenItem("c", D + timedelta(days=10), "INV-000003", 200),
]


def test_a_payment_goes_to_the_oldest_due_first_and_the_rest_is_credit():
    plan = allocate_amount(1200, OPEN)
    assert [(a.invoice_id, a.amount_cents) for a in plan.allocations] == [
        ("a", 300),
        ("b", 500),
        ("c", 200),
    ]
    assert plan.unallocated_cents == 200


def test_a_partial_payment_stops_part_way_through_an_invoice():
    plan = allocate_amount(450, OPEN)
    assert [(a.invoice_id, a.amount_cents) for a in plan.allocations] == [("a", 300), ("b", 150)]
    assert plan.unallocated_cents == 0


def test_allocations_given_are_kept_and_the_rest_is_credit():
    plan = allocate_amount(600, OPEN, [Allocation("c", 200), Allocation("b", 100)])
    assert plan.by_invoice == {"c": 200, "b": 100}
    assert plan.unallocated_cents == 300


@pytest.mark.parametrize(
    ("requested", "code"),
    [
        ([Allocation("a", 301)], "allocation_exceeds_balance"),
        ([Allocation("zz", 1)], "invoice_not_open"),
        ([Allocation("a", 100), Allocation("a", 100)], "duplicate_allocation"),
        ([Allocation("b", 500), Allocation("a", 300)], "allocation_exceeds_amount"),
        ([Allocation("a", 0)], "allocation_exceeds_balance"),
    ],
)
def test_allocations_that_do_not_fit_are_refused(requested, code):
    with pytest.raises(ValidationFailed) as refused:
        allocate_amount(600, OPEN, requested)
    assert refused.value.code == code


# --- ageing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_overdue", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
def test_ageing_buckets_by_days_overdue(days_overdue, bucket):
    assert ageing_bucket(D - timedelta(days=days_overdue), D) == bucket


def test_ageing_sums_balances_per_bucket():
    items = [(D, 100), (D - timedelta(days=3), 200), (D - timedelta(days=100), 50)]
    assert ageing(items, D) == {"current": 100, "1-30": 200, "31-60": 0, "61-90": 0, "90+": 50}
