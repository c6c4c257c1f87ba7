"""Commission rules on margin, quarterly quotas, draws and the what-if's tier effect: worked
examples, each computed by hand in its comment (the table beside tests/unit/test_commission.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.commission import (
    Basis,
    CreditFacts,
    CreditLineFacts,
    CreditSplit,
    Estimate,
    EstimateLine,
    ExistingEntry,
    InvoiceFacts,
    InvoiceLineFacts,
    OrderFacts,
    OrderLineFacts,
    PaysOn,
    Plan,
    Tier,
    TierMode,
    desired_entries,
    entries_to_append,
    estimate,
    tier_adjustment_cents,
)
from server.domain.commission_periods import (
    Draw,
    DrawKind,
    carried_forward_cents,
    months_of,
    months_to_date,
    quarter_of,
    quota_period_tier_adjustment,
    settle_draw,
)
from server.domain.commission_plan import Standing

D = Decimal
ON = date(2026, 12, 6)


def plan(**changes: Any) -> Plan:
    base: dict[str, Any] = {
        "id": "plan",
        "version": 1,
        "basis": Basis.BOOKED,
        "default_rate": D("5"),
        "category_rates": {"tools": D("8")},
        "product_rates": {"drill": D("10")},
    }
    base.update(changes)
    return Plan(**base)


def drill(net: int = 10_000, quantity: int = 2, cost: int | None = 3_000) -> OrderLineFacts:
    return OrderLineFacts(
        id="l1",
        product_id="drill",
        category_id="tools",
        net_cents=net,
        quantity=quantity,
        unit_cost_cents=cost,
    )


def glue(net: int = 333, cost: int | None = None) -> OrderLineFacts:
    return OrderLineFacts(
        id="l2", product_id="glue", category_id="misc", net_cents=net, quantity=1,
        unit_cost_cents=cost,
    )  # fmt: skip


def order(*lines: OrderLineFacts, **changes: Any) -> OrderFacts:
    base: dict[str, Any] = {
        "id": "o1",
        "status": "confirmed",
        "rep_id": "rep",
        "created_by": "rep",
        "manager_ids": (),
        "lines": lines,
    }
    base.update(changes)
    return OrderFacts(**base)


def total(p: Plan, o: OrderFacts, rep: str = "rep") -> int:
    return sum(e.amount_cents for e in desired_entries(p, o) if e.rep_id == rep)


MARGIN = PaysOn.MARGIN
MARGINAL_X2 = {"tier_mode": TierMode.MARGINAL, "tiers": (Tier(D(100), D(2)),)}
RETRO_X15 = {"tier_mode": TierMode.RETROACTIVE, "tiers": (Tier(D(100), D("1.5")),)}


def quarter_adjustments(p: Plan, months: list[tuple[int, int]], quota: int) -> list[int]:
    """Each month's adjustment under a quarterly quota, as approval writes them."""
    return [quota_period_tier_adjustment(p, months[: i + 1], quota) for i in range(len(months))]


def draw_months(
    months: list[tuple[int, Draw | None]],
) -> list[tuple[int, int, int]]:
    """Months settled in turn, outstanding carried as the ledger carries it (recoverable
    top-ups less recoveries): (top-up, recovered, outstanding after) per month."""
    outstanding, out = 0, []
    for earned, draw in months:
        settled = settle_draw(earned, draw, outstanding)
        outstanding -= settled.recovered_cents
        if settled.top_up_kind == "draw":
            outstanding += settled.top_up_cents
        out.append((settled.top_up_cents, settled.recovered_cents, outstanding))
    return out


def rec(cents: int) -> Draw:
    return Draw(kind=DrawKind.RECOVERABLE, amount_cents=cents)


def guaranteed(cents: int) -> Draw:
    return Draw(kind=DrawKind.NON_RECOVERABLE, amount_cents=cents)


def invoiced_half(o: OrderFacts) -> OrderFacts:
    # Half the drills invoiced: 50.00 of the 100.00 line.
    invoice = InvoiceFacts(
        id="i1",
        total_cents=5_500,
        paid_cents=0,
        credited_cents=0,
        lines=(InvoiceLineFacts(id="il1", order_line_id="l1", net_cents=5_000),),
    )
    return order(*o.lines, invoices=(invoice,))


def returned_one(o: OrderFacts) -> OrderFacts:
    note = CreditFacts(
        id="c1",
        invoice_id="i1",
        lines=(CreditLineFacts(id="cl1", order_line_id="l1", net_cents=5_000),),
    )
    return order(*o.lines, credit_notes=(note,))


WORKED: list[tuple[str, Callable[[], object], object]] = [
    # --- margin ---
    # 2 drills for 100.00 costing 30.00 each: margin 100.00 - 60.00 = 40.00, at 10 %: 4.00.
    ("margin, cost known", lambda: total(plan(pays_on=MARGIN), order(drill())), 400),
    # The same without a cost: paid on revenue, 10 % of 100.00 = 10.00.
    ("margin, cost unknown", lambda: total(plan(pays_on=MARGIN), order(drill(cost=None))), 1_000),
    # Sold below cost (2 x 60.00 = 120.00 > 100.00): the margin is floored at 0, never less.
    ("margin below cost", lambda: total(plan(pays_on=MARGIN), order(drill(cost=6_000))), 0),
    # Category override: tools on margin (drill: 10 % of 100.00 - 75.00 = 2.50), glue on
    # revenue (5 % of 3.33 = 16.65 -> 17): 2.67.
    (
        "category on margin",
        lambda: total(
            plan(category_pays_on={"tools": MARGIN}),
            order(drill(quantity=1, cost=7_500), glue(cost=300)),
        ),
        250 + 17,
    ),
    # Product override back to revenue inside a margin plan: 10 % of 100.00 = 10.00; glue
    # on margin: 5 % of (3.33 - 3.00) = 1.65 -> 2.
    (
        "product on revenue in a margin plan",
        lambda: total(
            plan(pays_on=MARGIN, product_pays_on={"drill": PaysOn.REVENUE}),
            order(drill(), glue(cost=300)),
        ),
        1_000 + 2,
    ),
    # Invoiced basis, half the line invoiced: 50.00 at the line's margin share 40 / 100,
    # at 10 %: 2.00.
    (
        "margin on an invoiced half",
        lambda: total(plan(pays_on=MARGIN, basis=Basis.INVOICED), invoiced_half(order(drill()))),
        200,
    ),
    # A return of 50.00 on the booked order: 4.00 earned, less 10 % of 50.00 x 40 % = 2.00.
    (
        "margin clawback on a return",
        lambda: total(plan(pays_on=MARGIN), returned_one(order(drill()))),
        400 - 200,
    ),
    # Division last: 1.5 % of a third of 3.00 (margin 1.00) is exactly 1.5 cents -> 2; a
    # rate times a rounded third (0.4999..) would give 1.
    (
        "margin half a cent",
        lambda: total(plan(pays_on=MARGIN, default_rate=D("1.5")), order(glue(net=300, cost=200))),
        2,
    ),
    # Attainment counts revenue, not margin: the entry's revenue is the full 100.00.
    (
        "margin entry keeps revenue",
        lambda: [
            (e.revenue_cents, e.amount_cents)
            for e in desired_entries(plan(pays_on=MARGIN), order(drill()))
        ],
        [(10_000, 400)],
    ),
    # Split 70/30 on margin: 4.00 -> 2.80 and 1.20.
    (
        "margin with a split",
        lambda: sorted(
            (e.rep_id, e.amount_cents)
            for e in desired_entries(
                plan(pays_on=MARGIN),
                order(
                    drill(),
                    splits=(CreditSplit("rep", D(70)), CreditSplit("other", D(30))),
                ),
            )
        ),
        [("other", 120), ("rep", 280)],
    ),
    # --- quarters ---
    ("quarter of November", lambda: quarter_of("2026-11"), "2026-Q4"),
    ("months of Q1", lambda: months_of("2027-Q1"), ("2027-01", "2027-02", "2027-03")),
    ("a month is its own period", lambda: months_of("2026-05"), ("2026-05",)),
    ("quarter to date", lambda: months_to_date("2026-Q4", "2026-11"), ("2026-10", "2026-11")),
    # Marginal x2 above a 3,000.00 quarter quota. Oct 1,000.00 (base 50.00), Nov 1,000.00
    # (50.00): below quota, no adjustment. Dec 2,000.00 (100.00) brings the quarter to
    # 4,000.00: 200.00 base x (3,000 + 2 x 1,000) / 4,000 = 250.00, so Dec gets +50.00.
    (
        "marginal tiers over a quarter",
        lambda: quarter_adjustments(
            plan(**MARGINAL_X2),
            [(5_000, 100_000), (5_000, 100_000), (10_000, 200_000)],
            300_000,
        ),
        [0, 0, 5_000],
    ),
    # Retroactive x1.5 from 100 % of the quarter: reached in December, the whole quarter's
    # 200.00 base becomes 300.00, so December carries +100.00 (October's and November's
    # catch-up included).
    (
        "retroactive tiers reached in the quarter's last month",
        lambda: quarter_adjustments(
            plan(**RETRO_X15),
            [(5_000, 100_000), (5_000, 100_000), (10_000, 200_000)],
            300_000,
        ),
        [0, 0, 10_000],
    ),
    # Across the boundary: the band reached in Q4 does not follow into Q1, whose quota
    # starts again from zero: January's 1,000.00 of a 3,000.00 quota adds nothing.
    (
        "tiers restart with the next quarter",
        lambda: quarter_adjustments(plan(**RETRO_X15), [(5_000, 100_000)], 300_000),
        [0],
    ),
    # Reached in the quarter's first month (3,500.00 of 3,000.00): October gets x1.5 on its
    # 175.00 = +87.50; November's 50.00 is also at x1.5: +25.00.
    (
        "retroactive reached early, later months follow",
        lambda: quarter_adjustments(
            plan(**RETRO_X15), [(17_500, 350_000), (5_000, 100_000)], 300_000
        ),
        [8_750, 2_500],
    ),
    # The cap is the quota period's: 220.00 a quarter on the marginal example: 250.00 is
    # capped at 220.00, so December gets +20.00 (and October and November nothing).
    (
        "cap over a quarter",
        lambda: quarter_adjustments(
            plan(**MARGINAL_X2, cap_cents=22_000),
            [(5_000, 100_000), (5_000, 100_000), (10_000, 200_000)],
            300_000,
        ),
        [0, 0, 2_000],
    ),
    # A month's own quota is its period: the one-month rule is the plain adjustment.
    (
        "monthly quota unchanged",
        lambda: quota_period_tier_adjustment(plan(**MARGINAL_X2), [(6_000, 120_000)], 100_000),
        tier_adjustment_cents(plan(**MARGINAL_X2), 6_000, 120_000, 100_000),
    ),
    # --- draws ---
    # Recoverable 10.00: January earns 4.00 and is topped up by 6.00; February (no draw)
    # earns 5.00, all taken back (1.00 still out); March earns 3.00, 1.00 recovered, 2.00
    # paid, nothing outstanding.
    (
        "recoverable draw recovered over two months",
        lambda: draw_months([(400, rec(1_000)), (500, None), (300, None)]),
        [(600, 0, 600), (0, 500, 100), (0, 100, 0)],
    ),
    # Non-recoverable 10.00: topped up by 6.00 in January, never taken back in February.
    (
        "guaranteed minimum is not recovered",
        lambda: draw_months([(400, guaranteed(1_000)), (500, None)]),
        [(600, 0, 0), (0, 0, 0)],
    ),
    # A month with a recoverable draw of 10.00 and 15.00 earned repays only the 5.00 above
    # its own draw of an earlier 8.00 advance: 3.00 stays outstanding.
    (
        "only earnings above the month's draw recover",
        lambda: draw_months([(200, rec(1_000)), (1_500, rec(1_000))]),
        [(800, 0, 800), (0, 500, 300)],
    ),
    # A month of clawbacks (-3.00) under a 10.00 guarantee is topped up by 13.00.
    (
        "guarantee covers a clawback month",
        lambda: settle_draw(-300, guaranteed(1_000), 0).paid_cents,
        1_300,
    ),
    # A negative month without a draw is not topped up: the -3.00 carries forward.
    ("no draw, no top-up", lambda: settle_draw(-300, None, 0).top_up_cents, 0),
    # A negative month without a draw recovers nothing (the negative balance carries as it is).
    ("no recovery from a negative month", lambda: settle_draw(-300, None, 800).recovered_cents, 0),
    # --- carrying a negative balance forward ---
    # A month of -3.00 (clawbacks, no draw) pays nothing and carries all 3.00 forward.
    ("a negative month carries forward", lambda: carried_forward_cents(-300), 300),
    # A month at 0.00 or above carries nothing: it is paid as it stands.
    ("a zero month carries nothing", lambda: carried_forward_cents(0), 0),
    ("a positive month carries nothing", lambda: carried_forward_cents(1), 0),
    # The carried -10.00 counts as earnings of the month it lands in: 6.00 earned there
    # leaves -4.00, carried on whole to the month after.
    (
        "a balance larger than the next month carries on",
        lambda: carried_forward_cents(600 - 1_000),
        400,
    ),
    # With a 10.00 guarantee a -3.00 month is topped up to 10.00: nothing carries.
    (
        "a guarantee leaves nothing to carry",
        lambda: carried_forward_cents(-300 + settle_draw(-300, guaranteed(1_000), 0).paid_cents),
        0,
    ),
    # Tier adjustment counts as earnings: base 40.00 + 10.00 of tiers = 50.00 against a
    # recoverable 60.00: topped up by 10.00.
    (
        "draw after tiers",
        lambda: (
            settle_draw(
                4_000 + tier_adjustment_cents(plan(**MARGINAL_X2), 4_000, 100_000, 80_000),
                rec(6_000),
                0,
            ).top_up_cents
        ),
        # 40.00 base on 1,000.00 of an 800.00 quota: 40 x (800 + 2 x 200) / 1,000 = 48.00,
        # so +8.00; 60.00 - 48.00 = 12.00.
        1_200,
    ),
    # --- the what-if ---
    # 80 % of a 1,000.00 quota, 40.00 base so far; a 400.00 order at 5 % (20.00) takes
    # the rep to 120 %: marginal x2 on the 200.00 above quota adds 20.00 x 200 / 400 = 10.00.
    (
        "what-if crosses a marginal tier",
        lambda: (
            estimate(
                plan(**MARGINAL_X2),
                [EstimateLine("glue", "misc", 1, 40_000)],
                ON,
                standing=Standing(4_000, 80_000, 100_000),
            ).tier_cents
        ),
        1_000,
    ),
    # Retroactive: the period's 60.00 all at x1.5, +30.00.
    (
        "what-if crosses a retroactive tier",
        lambda: (
            estimate(
                plan(**RETRO_X15),
                [EstimateLine("glue", "misc", 1, 40_000)],
                ON,
                standing=Standing(4_000, 80_000, 100_000),
            ).total_cents
        ),
        2_000 + 3_000,
    ),
    # The rep's 25 % of a split order: 5 % of 400.00 = 20.00, their 5.00, and 100.00 of
    # revenue; 800.00 + 100.00 of a 1,000.00 quota stays below the tier: no effect.
    (
        "what-if split share below the tier",
        lambda: estimate(
            plan(**MARGINAL_X2),
            [EstimateLine("glue", "misc", 1, 40_000)],
            ON,
            standing=Standing(4_000, 80_000, 100_000),
            splits=(CreditSplit("rep", D(25)), CreditSplit("other", D(75))),
            rep_id="rep",
        ),
        Estimate(line_cents=(500,), spiff_cents=0, total_cents=500, tier_cents=0),
    ),
]


@pytest.mark.parametrize(("name", "compute", "expected"), WORKED, ids=[w[0] for w in WORKED])
def test_worked_example(name: str, compute: Callable[[], object], expected: object) -> None:
    assert compute() == expected


def test_an_entry_on_margin_or_without_a_cost_says_so() -> None:
    # given a margin plan with a drill of known cost and a glue without one
    p = plan(pays_on=MARGIN)
    new = entries_to_append(
        desired_entries(p, order(drill(), glue())),
        [],
        period="2026-12",
        locked=[],
        reason="placed SO-1",
    )
    reasons = {e.source_id: e.reason for e in new}
    # then each entry says how its figure was reached
    assert reasons == {
        "l1": "placed SO-1; on margin 40.00 of 100.00 net",
        "l2": "placed SO-1; cost unknown: paid on revenue",
    }
    # and the rate written is the rate on revenue: 10 % x 40 / 100 = 4 %
    assert [e.rate for e in new if e.source_id == "l1"] == [D(4)]


def test_a_cost_set_later_corrects_an_unknown_cost_line_by_the_difference() -> None:
    # given a margin line credited at 10.00 while its cost was unknown
    p = plan(pays_on=MARGIN)
    first = entries_to_append(
        desired_entries(p, order(drill(cost=None))), [], period="2026-12", locked=[], reason="r"
    )
    existing = [
        ExistingEntry(
            key=e.key,
            rep_id=e.rep_id,
            role=e.role,
            source_type=e.source_type,
            source_id=e.source_id,
            revenue_cents=e.revenue_cents,
            amount_cents=e.amount_cents,
        )
        for e in first
    ]
    # when the cost becomes known (30.00) and the order is recomputed
    again = entries_to_append(
        desired_entries(p, order(drill())), existing, period="2026-12", locked=[], reason="r"
    )
    # then the difference lands once: 4.00 - 10.00, the revenue untouched
    assert [(e.amount_cents, e.revenue_cents) for e in again] == [(-600, 0)]


@settings(max_examples=200, deadline=None)
@given(
    months=st.lists(
        st.tuples(st.integers(-(10**6), 10**7), st.integers(0, 10**9)), min_size=1, max_size=3
    ),
    quota=st.integers(1, 10**9),
    retroactive=st.booleans(),
    cap=st.one_of(st.none(), st.integers(0, 10**7)),
)
def test_a_quarters_months_add_up_to_the_quarters_adjustment(
    months: list[tuple[int, int]], quota: int, retroactive: bool, cap: int | None
) -> None:
    p = plan(**(RETRO_X15 if retroactive else MARGINAL_X2), cap_cents=cap)
    monthly = quarter_adjustments(p, months, quota)
    base, revenue = sum(b for b, _ in months), sum(r for _, r in months)
    assert sum(monthly) == tier_adjustment_cents(p, base, revenue, quota)


@settings(max_examples=200, deadline=None)
@given(
    months=st.lists(
        st.tuples(
            st.integers(-(10**5), 10**6),
            st.one_of(
                st.none(),
                st.builds(rec, st.integers(1, 10**6)),
                st.builds(guaranteed, st.integers(1, 10**6)),
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_draws_pay_at_least_the_draw_and_never_recover_more_than_was_advanced(
    months: list[tuple[int, Draw | None]],
) -> None:
    advanced = recovered = 0
    for (earned, draw), (top_up, back, outstanding) in zip(
        months, draw_months(months), strict=True
    ):
        paid = earned + top_up - back
        floor = draw.amount_cents if draw else 0
        # a month with a draw pays at least the draw; one without is never topped up
        assert paid >= floor if draw is not None else top_up == 0
        if draw is not None and draw.kind is DrawKind.RECOVERABLE:
            advanced += top_up
        recovered += back
        assert 0 <= outstanding == advanced - recovered
