"""Commission rules: worked examples, each computed by hand in its comment."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.commission import (
    Basis,
    CreditFacts,
    CreditLineFacts,
    DesiredEntry,
    ExistingEntry,
    InvoiceFacts,
    InvoiceLineFacts,
    OrderFacts,
    OrderLineFacts,
    Plan,
    Tier,
    TierMode,
    attainment_percent,
    commission_of,
    credited_rep,
    desired_entries,
    entries_to_append,
    next_tier,
    open_period,
    rate_for,
    tiered_commission_cents,
)

D = Decimal


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


def order(**changes: Any) -> OrderFacts:
    base: dict[str, Any] = {
        "id": "o1",
        "status": "confirmed",
        "rep_id": "rep",
        "created_by": "placer",
        "manager_ids": (),
        "lines": (
            OrderLineFacts(id="l1", product_id="drill", category_id="tools", net_cents=10_000),
            OrderLineFacts(id="l2", product_id="saw", category_id="tools", net_cents=5_000),
            OrderLineFacts(id="l3", product_id="glue", category_id="misc", net_cents=333),
        ),
    }
    base.update(changes)
    return OrderFacts(**base)


def invoice(paid: int = 0, credited: int = 0) -> InvoiceFacts:
    # 100.00 of drills + 50.00 of saws + 10 % tax + 7.00 shipping (with no tax): 172.00.
    return InvoiceFacts(
        id="i1",
        total_cents=17_200,
        paid_cents=paid,
        credited_cents=credited,
        lines=(
            InvoiceLineFacts(id="il1", order_line_id="l1", net_cents=10_000),
            InvoiceLineFacts(id="il2", order_line_id="l2", net_cents=5_000),
            InvoiceLineFacts(id="il3", order_line_id=None, net_cents=700),
        ),
    )


def return_note() -> CreditFacts:
    # Half the drills come back: 50.00 net (55.00 with tax).
    return CreditFacts(
        id="cn1",
        invoice_id="i1",
        lines=(CreditLineFacts(id="cl1", order_line_id="l1", net_cents=5_000),),
    )


def amounts(p: Plan, o: OrderFacts) -> dict[str, int]:
    return {d.key.removeprefix("o1:"): d.amount_cents for d in desired_entries(p, o)}


def total(p: Plan, o: OrderFacts) -> int:
    return sum(d.amount_cents for d in desired_entries(p, o))


def apply(desired: list[DesiredEntry], existing: list[ExistingEntry]) -> list[ExistingEntry]:
    new = entries_to_append(desired, existing, period="2026-12", locked=(), reason="test")
    return existing + [
        ExistingEntry(
            key=n.key,
            rep_id=n.rep_id,
            role=n.role,
            source_type=n.source_type,
            source_id=n.source_id,
            revenue_cents=n.revenue_cents,
            amount_cents=n.amount_cents,
        )
        for n in new
    ]


def ledger_after(*steps: OrderFacts, p: Plan | None = None) -> list[ExistingEntry]:
    ledger: list[ExistingEntry] = []
    for step in steps:
        ledger = apply(desired_entries(p or plan(), step), ledger)
    return ledger


def marginal(cap: int | None = None) -> Plan:
    # Below 50 % of quota x0.5, 50-100 % x1, from 100 % x2.
    return plan(
        tier_mode=TierMode.MARGINAL,
        tiers=(Tier(D(0), D("0.5")), Tier(D(50), D(1)), Tier(D(100), D(2))),
        cap_cents=cap,
    )


def retroactive() -> Plan:
    return plan(tier_mode=TierMode.RETROACTIVE, tiers=marginal().tiers)


EXAMPLES: list[tuple[str, Callable[[], object], object]] = [
    # 1. A product's own rate wins over its category's: drill 10 %.
    ("product rate", lambda: rate_for(plan(), "drill", "tools"), D("10")),
    # 2. A product without its own rate takes its category's: saw in tools 8 %.
    ("category rate", lambda: rate_for(plan(), "saw", "tools"), D("8")),
    # 3. Neither: the default 5 %.
    ("default rate", lambda: rate_for(plan(), "glue", "misc"), D("5")),
    # 4. 5 % of 3.33 = 0.1665 -> rounds half up once to 0.17.
    ("rounding half up", lambda: commission_of(333, D("5")), 17),
    # 5. 5 % of 0.10 = 0.005 -> 0.01 (half away from zero), never banker's 0.00.
    ("half cent up", lambda: commission_of(10, D("5")), 1),
    # 6. A clawback rounds the same way, mirrored: -0.005 -> -0.01.
    ("negative half cent", lambda: commission_of(-10, D("5")), -1),
    # 7. Booked: 10 % of 100.00 + 8 % of 50.00 + 5 % of 3.33 = 10.00 + 4.00 + 0.17 = 14.17.
    ("booked order", lambda: total(plan(), order()), 1417),
    # 8. Waiting for approval earns nothing yet.
    ("pending approval", lambda: total(plan(), order(status="pending_approval")), 0),
    # 9. A territory with no owner: the rep who placed it is credited.
    ("no owner -> placer", lambda: credited_rep(order(rep_id=None)), "placer"),
    # 10. Invoiced basis: only invoiced lines, shipping excluded: 10.00 + 4.00 = 14.00.
    ("invoiced", lambda: total(plan(basis=Basis.INVOICED), order(invoices=(invoice(),))), 1400),
    # 11. Invoiced basis before any invoice: nothing.
    ("invoiced, none yet", lambda: total(plan(basis=Basis.INVOICED), order()), 0),
    # 12. Paid basis, 86.00 paid of 172.00 = half: (10.00 + 4.00) / 2 = 7.00.
    (
        "paid half",
        lambda: total(plan(basis=Basis.PAID), order(invoices=(invoice(paid=8_600),))),
        700,
    ),
    # 13. Paid a third (57.33 of 172.00): drill 10 % of 100.00 * 5733/17200 = 3.3331 -> 3.33;
    #     saw 8 % of 50.00 * 5733/17200 = 1.3333 -> 1.33; 4.66.
    (
        "paid a third",
        lambda: amounts(plan(basis=Basis.PAID), order(invoices=(invoice(paid=5_733),))),
        {"paid:il1": 333, "paid:il2": 133},
    ),
    # 14. Paid in full: the whole 14.00.
    (
        "paid in full",
        lambda: total(plan(basis=Basis.PAID), order(invoices=(invoice(paid=17_200),))),
        1400,
    ),
    # 15. Partial payment then a return credit note of 55.00: collectable 172 - 55 = 117.00,
    #     86.00 paid = 86/117 of drill's remaining 50.00 at 10 % (3.6752 -> 3.68) and of
    #     saw's 50.00 at 8 % (4.00 * 86/117 = 2.9402 -> 2.94).
    (
        "paid part, then credit",
        lambda: amounts(
            plan(basis=Basis.PAID),
            order(invoices=(invoice(paid=8_600, credited=5_500),), credit_notes=(return_note(),)),
        ),
        {"paid:il1": 368, "paid:il2": 294},
    ),
    # 16. Paid in full, then the return: 50.00 of drills at 10 % taken back: 14.00 - 5.00.
    (
        "paid, then credit",
        lambda: total(
            plan(basis=Basis.PAID),
            order(invoices=(invoice(paid=17_200, credited=5_500),), credit_notes=(return_note(),)),
        ),
        900,
    ),
    # 17. Booked basis, return: the credit note line is -5.00 (10 % of -50.00).
    (
        "booked, return clawback",
        lambda: amounts(plan(), order(credit_notes=(return_note(),)))["credit:cl1"],
        -500,
    ),
    # 18. Manager override 2 % on the credited revenue 153.33 -> 2.00 + 1.00 + 0.0666 -> 3.07
    #     per line rounded: 200 + 100 + 7 = 307; the rep keeps 14.17.
    (
        "manager override",
        lambda: sum(
            d.amount_cents
            for d in desired_entries(
                plan(manager_override_rate=D(2)), order(manager_ids=("boss", "rep"))
            )
            if d.rep_id == "boss"
        ),
        307,
    ),
    # 19. The rep listed among the managers earns no override on their own order.
    (
        "no override to self",
        lambda: {
            d.rep_id
            for d in desired_entries(plan(manager_override_rate=D(2)), order(manager_ids=("rep",)))
        },
        {"rep"},
    ),
    # 20. Recompute twice: the second run appends nothing.
    (
        "idempotent",
        lambda: entries_to_append(
            desired_entries(plan(), order()),
            ledger_after(order()),
            period="2026-12",
            locked=(),
            reason="again",
        ),
        [],
    ),
    # 21. Cancelled after booking: one -14.17 across the three lines; the ledger nets to 0.
    (
        "cancel clawback",
        lambda: sum(e.amount_cents for e in ledger_after(order(), order(status="cancelled"))),
        0,
    ),
    # 22. Amended: drill 100.00 -> 40.00: one entry of -6.00 (10 % of -60.00) under its key.
    (
        "amendment",
        lambda: [
            (e.key, e.amount_cents)
            for e in ledger_after(
                order(),
                order(
                    lines=(
                        OrderLineFacts(
                            id="l1", product_id="drill", category_id="tools", net_cents=4_000
                        ),
                        *order().lines[1:],
                    )
                ),
            )[3:]
        ],
        [("o1:booked:l1", -600)],
    ),
    # 23. An approved period is locked: the difference lands in the next open one, saying why.
    (
        "locked period",
        lambda: [
            (n.period, n.reason)
            for n in entries_to_append(
                desired_entries(plan(), order()),
                [],
                period="2026-11",
                locked=("2026-11", "2026-12"),
                reason="placed",
            )
        ][:1],
        [("2027-01", "placed (period 2026-11 is locked)")],
    ),
    # 24. December rolls into January.
    ("period boundary", lambda: open_period("2026-12", ["2026-12"]), "2027-01"),
    # 25. Marginal tiers: quota 1,000.00, revenue 1,200.00, base 60.00 (5 %).
    #     Bands: 0-500 x0.5, 500-1000 x1, 1000-1200 x2 -> (250 + 500 + 400) / 1200 of the
    #     base mix: 60.00 * 1150/1200 = 57.50.
    ("marginal tiers", lambda: tiered_commission_cents(marginal(), 6_000, 120_000, 100_000), 5_750),
    # 26. Retroactive: 120 % reached, x2 on the whole period: 120.00.
    (
        "retroactive",
        lambda: tiered_commission_cents(retroactive(), 6_000, 120_000, 100_000),
        12_000,
    ),
    # 27. Retroactive below 50 %: 40.00 revenue base 2.00 x0.5 = 1.00.
    ("retroactive low", lambda: tiered_commission_cents(retroactive(), 200, 4_000, 100_000), 100),
    # 28. The cap applies after tiers: 57.50 capped at 50.00.
    ("cap", lambda: tiered_commission_cents(marginal(cap=5_000), 6_000, 120_000, 100_000), 5_000),
    # 29. Without a quota tiers do not apply: the base stands.
    ("no quota", lambda: tiered_commission_cents(marginal(), 6_000, 120_000, None), 6_000),
    # 30. A negative period (clawbacks exceed earnings) carries no accelerator.
    (
        "negative period",
        lambda: tiered_commission_cents(retroactive(), -300, -6_000, 100_000),
        -300,
    ),
    # 31. Attainment: 1,200.00 of 1,000.00 = 120 %.
    ("attainment", lambda: attainment_percent(120_000, 100_000), D(120)),
    # 32. Next tier at 80 % attainment: 100 % x2 needs 200.00 more.
    (
        "next tier",
        lambda: next_tier(marginal(), 80_000, 100_000),
        next_tier(marginal(), 80_000, 100_000).__class__(D(100), D(2), 20_000),
    ),
    # 33. A blanket order is an agreement: its call-offs earn, the blanket itself nothing.
    ("blanket earns nothing", lambda: total(plan(), order(order_type="blanket")), 0),
    # 34. Split plus override plus clawback: an unowned territory credits the placer,
    #     the boss overrides 2 % of revenue, and the cancellation nets both to zero.
    (
        "override and clawback",
        lambda: {
            rep: sum(
                e.amount_cents
                for e in ledger_after(
                    order(rep_id=None, manager_ids=("boss",)),
                    order(rep_id=None, manager_ids=("boss",), status="cancelled"),
                    p=plan(manager_override_rate=D(2)),
                )
                if e.rep_id == rep
            )
            for rep in ("placer", "boss")
        },
        {"placer": 0, "boss": 0},
    ),
]


@pytest.mark.parametrize(("name", "compute", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_commission_worked_example(
    name: str, compute: Callable[[], object], expected: object
) -> None:
    assert compute() == expected


def test_paid_in_steps_adds_up_exactly_to_paid_in_full() -> None:
    # Payments of 57.33, 57.33 and 57.34: each step appends the difference; the ledger then
    # holds exactly what one full payment gives (14.00), whatever the roundings on the way.
    p = plan(basis=Basis.PAID)
    steps = [order(invoices=(invoice(paid=paid),)) for paid in (5_733, 11_466, 17_200)]
    ledger = ledger_after(*steps, p=p)
    assert sum(e.amount_cents for e in ledger) == 1400
    assert sum(e.revenue_cents for e in ledger) == 15_000


def test_a_paid_share_worth_exactly_half_a_cent_rounds_up() -> None:
    # 6.66 of glue on an invoice of 7.40 with 1.00 paid: 5/37 of 6.66 is exactly 0.90,
    # and 5 % of it (the rep's rate and the manager's override) exactly half a cent.
    o = order(
        manager_ids=("boss",),
        lines=(OrderLineFacts(id="l3", product_id="glue", category_id="misc", net_cents=666),),
        invoices=(
            InvoiceFacts(
                id="i1",
                total_cents=740,
                paid_cents=100,
                credited_cents=0,
                lines=(InvoiceLineFacts(id="il3", order_line_id="l3", net_cents=666),),
            ),
        ),
    )
    desired = desired_entries(plan(basis=Basis.PAID, manager_override_rate=D(5)), o)
    assert {(d.key, d.revenue_cents, d.amount_cents) for d in desired} == {
        ("o1:paid:il3", 90, 5),
        ("o1:paid:il3:mgr:boss", 90, 5),
    }


def test_entry_keys_number_each_correction_so_a_duplicate_cannot_be_inserted() -> None:
    ledger = ledger_after(order(), order(status="cancelled"))
    new = entries_to_append(
        desired_entries(plan(), order()), ledger, period="2026-12", locked=(), reason="again"
    )
    assert {n.entry_key.rsplit("#", 1)[1] for n in new} == {"2"}


_snapshots = st.builds(
    lambda status, paid, credited, basis, override: (
        plan(basis=basis, manager_override_rate=override),
        order(
            status=status,
            manager_ids=("boss",),
            invoices=(invoice(paid=paid, credited=credited),),
            credit_notes=(return_note(),) if credited else (),
        ),
    ),
    st.sampled_from(["confirmed", "cancelled", "pending_approval", "closed"]),
    st.integers(min_value=0, max_value=17_200),
    st.sampled_from([0, 5_500]),
    st.sampled_from(list(Basis)),
    st.sampled_from([D(0), D("1.5")]),
)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(_snapshots, min_size=1, max_size=8),
    locked=st.sets(st.sampled_from(["2026-11", "2026-12"])),
)
def test_the_ledger_always_equals_the_plan_applied_to_the_documents_as_they_are_now(
    steps: list[tuple[Plan, OrderFacts]], locked: set[str]
) -> None:
    # Whatever happened before, and in whatever order, after each recompute every key of
    # the ledger adds up to what the plan gives for the documents at that moment.
    ledger: list[ExistingEntry] = []
    for p, o in steps:
        new = entries_to_append(
            desired_entries(p, o), ledger, period="2026-11", locked=locked, reason="step"
        )
        assert all(n.period not in locked for n in new)
        ledger += [
            ExistingEntry(
                key=n.key,
                rep_id=n.rep_id,
                role=n.role,
                source_type=n.source_type,
                source_id=n.source_id,
                revenue_cents=n.revenue_cents,
                amount_cents=n.amount_cents,
            )
            for n in new
        ]
        held: dict[str, int] = {}
        for e in ledger:
            held[e.key] = held.get(e.key, 0) + e.amount_cents
        wanted = {d.key: d.amount_cents for d in desired_entries(p, o)}
        assert {k: v for k, v in held.items() if v} == {k: v for k, v in wanted.items() if v}
