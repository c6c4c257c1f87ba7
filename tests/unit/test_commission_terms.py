"""Commission plan terms: credit splits, SPIFFs and discount erosion, worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.domain.commission import (
    Basis,
    CreditSplit,
    EstimateLine,
    OrderFacts,
    OrderLineFacts,
    Plan,
    Spiff,
    SpiffPer,
    desired_entries,
    entries_to_append,
    estimate,
    rate_for,
    split_cents,
    validate_splits,
)
from server.domain.commission import (
    ExistingEntry as Existing,
)

D = Decimal
DAY = date(2026, 12, 6)


def plan(**changes: Any) -> Plan:
    base: dict[str, Any] = {
        "id": "plan",
        "version": 1,
        "basis": Basis.BOOKED,
        "default_rate": D("5"),
        "product_rates": {"drill": D("10")},
    }
    base.update(changes)
    return Plan(**base)


def order(**changes: Any) -> OrderFacts:
    base: dict[str, Any] = {
        "id": "o1",
        "status": "confirmed",
        "rep_id": "rep",
        "created_by": "rep",
        "manager_ids": (),
        "placed_on": DAY,
        "lines": (
            OrderLineFacts(
                id="l1", product_id="drill", category_id="tools", net_cents=6_000, quantity=3
            ),
        ),
    }
    base.update(changes)
    return OrderFacts(**base)


def spiff(product: str, per: str, cents: int, starts: date = DAY, ends: date = DAY) -> Spiff:
    return Spiff(
        product_id=product, per=SpiffPer(per), amount_cents=cents, starts_on=starts, ends_on=ends
    )


def split(*shares: tuple[str, str]) -> tuple[CreditSplit, ...]:
    return tuple(CreditSplit(rep_id=r, percent=D(p)) for r, p in shares)


# --- splitting cents -----------------------------------------------------------------------


def test_thirds_of_17_cents_are_6_6_5_the_odd_cent_to_the_larger_remainders() -> None:
    # 17 x 33.3334 % = 5.6667..., 17 x 33.3333 % = 5.6666...: floors 5, 5, 5 leave 2
    # cents, which go to the two largest remainders (.6667 first, then the earlier .6666).
    assert split_cents(17, [D("33.3334"), D("33.3333"), D("33.3333")]) == [6, 6, 5]


def test_a_tie_goes_to_the_earlier_share_and_a_negative_amount_splits_as_its_mirror() -> None:
    # 1 cent 50 / 50: 0.5 each, the earlier share takes it; a clawback of 17 mirrors 17.
    assert split_cents(1, [D(50), D(50)]) == [1, 0]
    assert split_cents(-17, [D("33.3334"), D("33.3333"), D("33.3333")]) == [-6, -6, -5]


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
)
def test_split_parts_always_add_up_to_the_amount(amount: int, weights: list[int]) -> None:
    # Any integer weights rescaled into percents that total exactly 100 (the last one
    # takes the rounding of the others).
    total = sum(weights)
    percents = [(D(w) * 100 / D(total)).quantize(D("0.0001")) for w in weights[:-1]]
    percents.append(D(100) - sum(percents, D(0)))
    if percents[-1] <= 0:
        return
    parts = split_cents(amount, percents)
    assert sum(parts) == amount
    for part, pct in zip(parts, percents, strict=True):
        assert abs(D(part) - D(amount) * pct / 100) < 1


def test_a_split_must_total_100_name_each_rep_once_and_give_each_a_share() -> None:
    assert validate_splits(split(("a", "60"), ("b", "40"))) is None
    assert validate_splits(()) is None  # no split: credited whole to the territory's rep
    assert "total 100" in (validate_splits(split(("a", "60"), ("b", "30"))) or "")
    assert "twice" in (validate_splits(split(("a", "50"), ("a", "50"))) or "")
    assert "above 0" in (validate_splits(split(("a", "100"), ("b", "0"))) or "")


# --- splits in the ledger ------------------------------------------------------------------


def test_a_split_order_credits_each_rep_their_share_of_revenue_and_commission() -> None:
    # 60.00 of drills at 10 % = 6.00; 60 / 40: 3.60 on 36.00 and 2.40 on 24.00.
    found = desired_entries(plan(), order(splits=split(("rep", "60"), ("rep2", "40"))))
    assert [(e.key, e.rep_id, e.revenue_cents, e.amount_cents) for e in found] == [
        ("o1:booked:l1:split:rep", "rep", 3_600, 360),
        ("o1:booked:l1:split:rep2", "rep2", 2_400, 240),
    ]


def test_splitting_a_credited_order_reverses_the_whole_and_posts_the_shares() -> None:
    # The ledger holds 6.00 for rep under the unsplit key; the split wants 0 there.
    held = [Existing("o1:booked:l1", "rep", "rep", "order_line", "l1", 6_000, 600)]
    wanted = desired_entries(plan(), order(splits=split(("rep", "60"), ("rep2", "40"))))
    new = entries_to_append(wanted, held, period="2026-12", locked=(), reason="split")
    assert sorted((e.key, e.amount_cents, e.revenue_cents) for e in new) == [
        ("o1:booked:l1", -600, -6_000),
        ("o1:booked:l1:split:rep", 360, 3_600),
        ("o1:booked:l1:split:rep2", 240, 2_400),
    ]


def test_managers_keep_their_override_on_the_whole_of_a_split_order() -> None:
    # Override 1 % of 60.00 = 0.60 for the manager, whatever the reps' shares.
    found = desired_entries(
        plan(manager_override_rate=D(1)),
        order(manager_ids=("boss",), splits=split(("rep", "50"), ("rep2", "50"))),
    )
    assert [(e.rep_id, e.amount_cents) for e in found if e.role == "manager"] == [("boss", 60)]
    assert sum(e.amount_cents for e in found if e.role == "rep") == 600


# --- SPIFFs --------------------------------------------------------------------------------


def test_a_spiff_per_unit_pays_for_each_unit_and_one_per_order_once() -> None:
    # 3 drills at 2.00 a unit = 6.00; a 5.00 order SPIFF on drills once; a saw SPIFF the
    # order does not hold pays nothing.
    terms = plan(
        spiffs=(spiff("drill", "unit", 200), spiff("drill", "order", 500), spiff("saw", "unit", 99))
    )
    found = [e for e in desired_entries(terms, order()) if e.kind == "spiff"]
    assert sorted((e.key, e.source_type, e.amount_cents, e.revenue_cents) for e in found) == [
        ("o1:spiff:l1", "order_line", 600, 0),
        ("o1:spiff:order:drill", "order", 500, 0),
    ]


def test_a_spiff_pays_only_for_orders_placed_within_its_days() -> None:
    before = spiff("drill", "unit", 200, date(2026, 11, 1), date(2026, 12, 5))
    after = spiff("drill", "unit", 200, date(2026, 12, 7), date(2026, 12, 31))
    found = desired_entries(plan(spiffs=(before, after)), order())
    assert [e for e in found if e.kind == "spiff"] == []


def test_a_spiff_is_taken_back_when_the_order_stops_earning() -> None:
    # Cancelled: nothing desired, so the 6.00 the SPIFF paid is reversed.
    terms = plan(spiffs=(spiff("drill", "unit", 200),))
    held = [
        Existing("o1:spiff:l1", "rep", "rep", "order_line", "l1", 0, 600, "spiff"),
        Existing("o1:booked:l1", "rep", "rep", "order_line", "l1", 6_000, 600),
    ]
    wanted = desired_entries(terms, order(status="cancelled"))
    new = entries_to_append(wanted, held, period="2026-12", locked=(), reason="cancel")
    assert sorted((e.key, e.amount_cents, e.kind) for e in new) == [
        ("o1:booked:l1", -600, "commission"),
        ("o1:spiff:l1", -600, "spiff"),
    ]


def test_a_spiff_on_a_split_order_is_split_like_the_commission() -> None:
    # 3 x 1.01 = 3.03 split 50 / 50: 1.515 each, the earlier share takes the odd cent.
    terms = plan(spiffs=(spiff("drill", "unit", 101),))
    found = desired_entries(terms, order(splits=split(("rep", "50"), ("rep2", "50"))))
    assert [(e.rep_id, e.amount_cents) for e in found if e.kind == "spiff"] == [
        ("rep", 152),
        ("rep2", 151),
    ]


# --- discount erosion ----------------------------------------------------------------------


def test_erosion_lowers_the_rate_linearly_with_the_line_discount_down_to_zero() -> None:
    terms = plan(erosion_limit=D(20))
    # 10 % x (1 - 5 / 20) = 7.5 %; at 10 % off, half the rate; at and past 20 % off, none.
    assert rate_for(terms, "drill", "tools", D(5)) == D("7.5")
    assert rate_for(terms, "glue", "misc", D(10)) == D("2.5")
    assert rate_for(terms, "drill", "tools", D(20)) == 0
    assert rate_for(terms, "drill", "tools", D(35)) == 0
    # without a discount, or without erosion on the plan, the rate stands
    assert rate_for(terms, "drill", "tools") == D(10)
    assert rate_for(plan(), "drill", "tools", D(15)) == D(10)


def test_an_eroded_line_earns_its_eroded_rate_rounded_once() -> None:
    # 57.00 net (60.00 less 5 %) at 10 % x 15/20 = 7.5 %: 4.275 -> 4.28.
    line = OrderLineFacts(
        id="l1",
        product_id="drill",
        category_id="tools",
        net_cents=5_700,
        quantity=3,
        discount_percent=D(5),
    )
    found = desired_entries(plan(erosion_limit=D(20)), order(lines=(line,)))
    assert [(e.amount_cents, e.rate) for e in found] == [(428, D("7.5"))]


def test_a_repeating_eroded_rate_is_exact_until_the_one_rounding() -> None:
    # 10 % x (1 - 10 / 30) = 6.666...%; of 12,345.67: 82,304.4666... cents -> 82,304.
    # A rate rounded to 4 places first (6.6667 %) would give 82,304.878 -> 82,305.
    found = estimate(
        plan(erosion_limit=D(30)),
        [EstimateLine("drill", "tools", 1, 1_234_567, D(10))],
        DAY,
    )
    assert found.total_cents == 82_304


# --- the what-if ---------------------------------------------------------------------------


def test_the_estimate_adds_each_lines_commission_and_the_spiffs_in_force() -> None:
    # drill 60.00 at 10 % = 6.00, glue 13.33 at 5 % = 0.6665 -> 0.67, 3 drills at 1.00 of
    # SPIFF = 3.00: 9.67 in all.
    found = estimate(
        plan(spiffs=(spiff("drill", "unit", 100),)),
        [
            EstimateLine("drill", "tools", 3, 6_000),
            EstimateLine("glue", "misc", 1, 1_333),
        ],
        DAY,
    )
    assert (found.line_cents, found.spiff_cents, found.total_cents) == ((600, 67), 300, 967)


_SHARES = st.lists(
    st.tuples(st.sampled_from(["rep", "rep2", "rep3"]), st.integers(min_value=1, max_value=99)),
    min_size=0,
    max_size=3,
    unique_by=lambda share: share[0],
)


def _as_split(shares: list[tuple[str, int]]) -> tuple[CreditSplit, ...]:
    # Weights into percents totalling 100: the last share takes what the others leave.
    if not shares:
        return ()
    total = sum(w for _, w in shares)
    percents = [(D(w) * 100 / D(total)).quantize(D("0.01")) for _, w in shares[:-1]]
    percents.append(D(100) - sum(percents, D(0)))
    return tuple(
        CreditSplit(rep_id=r, percent=p) for (r, _), p in zip(shares, percents, strict=True)
    )


@given(st.lists(_SHARES, min_size=1, max_size=5), st.integers(min_value=0, max_value=10**7))
def test_whatever_splits_come_in_turn_the_ledger_holds_the_last_one_exactly(
    changes: list[list[tuple[str, int]]], net: int
) -> None:
    terms = plan(spiffs=(spiff("drill", "unit", 37),))
    line = OrderLineFacts(id="l1", product_id="drill", category_id="t", net_cents=net, quantity=3)
    held: list[Existing] = []
    for shares in changes:
        wanted = desired_entries(terms, order(lines=(line,), splits=_as_split(shares)))
        for new in entries_to_append(wanted, held, period="2026-12", locked=(), reason="x"):
            held.append(
                Existing(new.key, new.rep_id, new.role, new.source_type, new.source_id,
                         new.revenue_cents, new.amount_cents, new.kind)
            )  # fmt: skip
    by_key: dict[str, int] = {}
    for entry in held:
        by_key[entry.key] = by_key.get(entry.key, 0) + entry.amount_cents
    # then each key holds what the last split gives it, and every other key nothing
    assert {k: v for k, v in by_key.items() if v} == {
        e.key: e.amount_cents for e in wanted if e.amount_cents
    }
    # and the reps together hold the unsplit commission and SPIFF to the cent
    whole = int((D(net) * 10 / 100).quantize(D(1), rounding="ROUND_HALF_UP"))
    assert sum(by_key.values()) == whole + 3 * 37
