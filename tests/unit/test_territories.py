from __future__ import annotations

from datetime import date

import pytest

from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.territories import (
    Address,
    Assignment,
    CustomerMove,
    CustomerPlacement,
    TerritoryNode,
    TerritoryRule,
    active_on,
    ancestor_chain,
    check_no_overlap,
    managers_on,
    match_territory,
    normalize_country,
    normalize_postal,
    owner_on,
    plan_realignment,
    reps_on,
    rule_matches,
    rule_specificity,
    subtree_ids,
    validate_parent,
    visible_territory_ids,
)

DEFAULT = "t-house"

# region EU -> area DE -> territories Berlin, Munich; region NA -> area US-CA -> territory SF
NODES = [
    TerritoryNode(id="r-eu", parent_id=None, name="Europe", kind="region"),
    TerritoryNode(id="a-de", parent_id="r-eu", name="Germany", kind="area"),
    TerritoryNode(id="t-ber", parent_id="a-de", name="Berlin", kind="territory"),
    TerritoryNode(id="t-muc", parent_id="a-de", name="Munich", kind="territory"),
    TerritoryNode(id="r-na", parent_id=None, name="North America", kind="region"),
    TerritoryNode(id="a-ca", parent_id="r-na", name="California", kind="area"),
    TerritoryNode(id="t-sf", parent_id="a-ca", name="San Francisco", kind="territory"),
    TerritoryNode(id=DEFAULT, parent_id=None, name="House accounts", kind="territory"),
]


def rule(rule_id: str, territory_id: str, country: str = "US", **criteria: str) -> TerritoryRule:
    return TerritoryRule(id=rule_id, territory_id=territory_id, country=country, **criteria)


def assignment(
    user_id: str,
    territory_id: str,
    valid_from: date,
    valid_to: date | None = None,
    role: str = "owner",
    assignment_id: str | None = None,
) -> Assignment:
    return Assignment(
        id=assignment_id or f"{user_id}-{territory_id}-{role}-{valid_from.isoformat()}",
        territory_id=territory_id,
        user_id=user_id,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def match(postal: str, rules: list[TerritoryRule], country: str = "US", state: str = "CA") -> str:
    address = Address(country=country, state=state, postal_code=postal)
    return match_territory(address, rules, default_territory_id=DEFAULT).territory_id


# --- normalisation ------------------------------------------------------------------------


def test_normalize_postal_ignores_case_spaces_and_dashes() -> None:
    assert normalize_postal(" sw1a 1aa ") == "SW1A1AA"
    assert normalize_postal("12345-6789") == "123456789"
    assert normalize_postal(None) == ""


def test_normalize_country_strips_and_uppercases() -> None:
    assert normalize_country(" de ") == "DE"


def test_rule_matches_address_written_differently() -> None:
    # given a rule written in upper case and an address typed carelessly
    r = rule("r", "t-uk", country="GB", postal_exact="SW1A 1AA")
    # then they still match
    assert rule_matches(r, Address(country=" gb", postal_code="sw1a-1aa"))


# --- precedence ---------------------------------------------------------------------------


def test_match_exact_beats_range_prefix_state_and_country() -> None:
    # given one rule of each kind, all matching 94105
    rules = [
        rule("country", "t-country"),
        rule("state", "t-state", state="CA"),
        rule("prefix", "t-prefix", postal_prefix="941"),
        rule("range", "t-range", postal_from="94100", postal_to="94199"),
        rule("exact", "t-exact", postal_exact="94105"),
    ]
    # then each time the most specific remaining rule wins
    assert match("94105", rules) == "t-exact"
    assert match("94105", rules[:4]) == "t-range"
    assert match("94105", rules[:3]) == "t-prefix"
    assert match("94105", rules[:2]) == "t-state"
    assert match("94105", rules[:1]) == "t-country"


def test_match_precedence_does_not_depend_on_rule_order() -> None:
    rules = [
        rule("exact", "t-exact", postal_exact="94105"),
        rule("range", "t-range", postal_from="94100", postal_to="94199"),
        rule("country", "t-country"),
    ]
    assert match("94105", rules) == match("94105", list(reversed(rules))) == "t-exact"


def test_match_longer_prefix_beats_shorter() -> None:
    rules = [rule("p2", "t-94", postal_prefix="94"), rule("p3", "t-941", postal_prefix="941")]
    assert match("94105", rules) == "t-941"
    assert match("94205", rules) == "t-94"


def test_rule_specificity_orders_levels() -> None:
    levels = [
        rule("c", "t"),
        rule("s", "t", state="CA"),
        rule("p", "t", postal_prefix="9"),
        rule("p2", "t", postal_prefix="94"),
        rule("r", "t", postal_from="90000", postal_to="99999"),
        rule("e", "t", postal_exact="94105"),
    ]
    keys = [rule_specificity(r) for r in levels]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_match_postal_rule_requires_country() -> None:
    # given a US rule for 10115 and a German address with the same postal code
    rules = [rule("us", "t-us", postal_exact="10115")]
    # then the rule does not apply abroad
    assert match("10115", rules, country="DE", state="") == DEFAULT


def test_match_postal_rule_requires_state_when_set() -> None:
    rules = [rule("ca", "t-ca", state="CA", postal_prefix="9")]
    assert match("97201", rules, state="OR") == DEFAULT
    assert match("94105", rules, state="CA") == "t-ca"


def test_match_postal_rule_skips_address_without_postal_code() -> None:
    rules = [rule("p", "t-p", postal_prefix="9"), rule("country", "t-country")]
    assert match("", rules) == "t-country"


def test_match_blank_criteria_count_as_not_set() -> None:
    # given a rule saved from a form that posted empty strings
    r = rule("blank", "t-us", postal_exact="", postal_prefix=" ")
    # then it behaves as a country rule
    assert rule_matches(r, Address(country="US", postal_code="94105"))
    assert rule_specificity(r) == rule_specificity(rule("c", "t"))


# --- ranges -------------------------------------------------------------------------------


def test_match_range_includes_both_boundaries() -> None:
    rules = [rule("r", "t-r", postal_from="94100", postal_to="94199")]
    assert match("94100", rules) == "t-r"
    assert match("94199", rules) == "t-r"
    assert match("94099", rules) == DEFAULT
    assert match("94200", rules) == DEFAULT


def test_match_range_covers_zip_plus_four_at_upper_boundary() -> None:
    rules = [rule("r", "t-r", postal_from="94100", postal_to="94199")]
    assert match("94199-1234", rules) == "t-r"
    assert match("94200-0001", rules) == DEFAULT


def test_match_range_compares_non_numeric_codes_lexicographically() -> None:
    # given a Canadian range of forward sortation areas K1A..K2C
    rules = [rule("r", "t-ottawa", country="CA", postal_from="K1A", postal_to="K2C")]
    assert match("K1A 0B1", rules, country="CA", state="ON") == "t-ottawa"
    assert match("K2C 3N4", rules, country="CA", state="ON") == "t-ottawa"
    assert match("K1B 1A1", rules, country="CA", state="ON") == "t-ottawa"
    assert match("K2D 1A1", rules, country="CA", state="ON") == DEFAULT
    assert match("K0A 1A1", rules, country="CA", state="ON") == DEFAULT


def test_match_half_open_range_is_unbounded_and_loses_to_closed_range() -> None:
    rules = [
        rule("a-open", "t-open", postal_from="90000"),
        rule("b-closed", "t-closed", postal_from="94000", postal_to="94999"),
    ]
    assert match("99999", rules) == "t-open"
    assert match("89999", rules) == DEFAULT
    assert match("94105", rules) == "t-closed"


def test_match_overlapping_ranges_narrower_wins() -> None:
    # given a wide range and a narrow one inside it
    rules = [
        rule("a-wide", "t-wide", postal_from="94000", postal_to="94999"),
        rule("z-narrow", "t-narrow", postal_from="94100", postal_to="94110"),
    ]
    # then inside both the narrow one wins although its id sorts last
    assert match("94105", rules) == "t-narrow"
    assert match("94500", rules) == "t-wide"


def test_match_range_width_is_numeric_not_lexicographic() -> None:
    # 94090..94110 spans 20 codes, 94100..94199 spans 99: the first is narrower even though
    # digit-by-digit it looks wider.
    rules = [
        rule("b", "t-99", postal_from="94100", postal_to="94199"),
        rule("a", "t-20", postal_from="94090", postal_to="94110"),
    ]
    assert match("94105", rules) == "t-20"


def test_match_equally_specific_rules_tie_break_on_rule_id() -> None:
    rules = [
        rule("rule-b", "t-b", postal_prefix="941"),
        rule("rule-a", "t-a", postal_prefix="941"),
    ]
    result = match_territory(
        Address(country="US", postal_code="94105"), rules, default_territory_id=DEFAULT
    )
    assert (result.territory_id, result.rule_id) == ("t-a", "rule-a")
    assert match("94105", list(reversed(rules))) == "t-a"


def test_match_same_level_rule_with_state_beats_rule_without() -> None:
    rules = [
        rule("a", "t-any", postal_prefix="941"),
        rule("b", "t-ca", postal_prefix="941", state="CA"),
    ]
    assert match("94105", rules) == "t-ca"


# --- explicit and default -----------------------------------------------------------------


def test_match_explicit_assignment_beats_exact_rule() -> None:
    rules = [rule("exact", "t-exact", postal_exact="94105")]
    result = match_territory(
        Address(country="US", postal_code="94105"),
        rules,
        explicit_territory_id="t-key-accounts",
        default_territory_id=DEFAULT,
    )
    assert (result.territory_id, result.reason, result.rule_id) == (
        "t-key-accounts",
        "explicit",
        None,
    )


def test_match_without_matching_rule_falls_back_to_default() -> None:
    rules = [rule("de", "t-de", country="DE")]
    result = match_territory(Address(country="FR"), rules, default_territory_id=DEFAULT)
    assert (result.territory_id, result.reason, result.rule_id) == (DEFAULT, "default", None)


def test_match_reports_rule_reason_and_id() -> None:
    result = match_territory(
        Address(country="DE"), [rule("de", "t-de", country="DE")], default_territory_id=DEFAULT
    )
    assert (result.reason, result.rule_id) == ("rule", "de")


# --- tree ---------------------------------------------------------------------------------


def test_subtree_ids_includes_root_and_descendants_only() -> None:
    assert subtree_ids(NODES, "r-eu") == {"r-eu", "a-de", "t-ber", "t-muc"}
    assert subtree_ids(NODES, "t-sf") == {"t-sf"}


def test_subtree_ids_unknown_root_raises_not_found() -> None:
    with pytest.raises(NotFound):
        subtree_ids(NODES, "nope")


def test_ancestor_chain_runs_from_territory_to_root() -> None:
    assert ancestor_chain(NODES, "t-ber") == ["t-ber", "a-de", "r-eu"]
    assert ancestor_chain(NODES, "r-eu") == ["r-eu"]


def test_ancestor_chain_detects_corrupt_cycle() -> None:
    nodes = [TerritoryNode("a", "b", "A", "area"), TerritoryNode("b", "a", "B", "area")]
    with pytest.raises(ValidationFailed) as error:
        ancestor_chain(nodes, "a")
    assert error.value.code == "territory_cycle"


def test_validate_parent_refuses_move_below_own_descendant() -> None:
    with pytest.raises(ValidationFailed) as error:
        validate_parent(NODES, "r-eu", "t-ber")
    assert error.value.code == "territory_cycle"


def test_validate_parent_refuses_self_as_parent() -> None:
    with pytest.raises(ValidationFailed):
        validate_parent(NODES, "a-de", "a-de")


def test_validate_parent_accepts_move_to_other_branch_or_root() -> None:
    validate_parent(NODES, "a-de", "r-na")
    validate_parent(NODES, "a-de", None)


def test_validate_parent_unknown_parent_raises_not_found() -> None:
    with pytest.raises(NotFound):
        validate_parent(NODES, "a-de", "nope")


# --- effective dating ---------------------------------------------------------------------

HANDOVER = [
    assignment("alice", "t-ber", date(2025, 1, 1), date(2026, 2, 15)),
    assignment("bob", "t-ber", date(2026, 2, 15)),
]


def test_active_on_end_date_is_exclusive() -> None:
    a = assignment("alice", "t-ber", date(2026, 1, 1), date(2026, 2, 1))
    assert active_on(a, date(2026, 1, 1))
    assert active_on(a, date(2026, 1, 31))
    assert not active_on(a, date(2026, 2, 1))
    assert not active_on(a, date(2025, 12, 31))


def test_owner_on_follows_handover_dates() -> None:
    assert owner_on(HANDOVER, "t-ber", date(2026, 2, 14)) == "alice"
    assert owner_on(HANDOVER, "t-ber", date(2026, 2, 15)) == "bob"
    assert owner_on(HANDOVER, "t-ber", date(2026, 3, 1)) == "bob"
    assert owner_on(HANDOVER, "t-ber", date(2024, 12, 31)) is None


def test_owner_on_overlapping_owners_latest_start_wins() -> None:
    # given two owner rows overlapping (legacy data), ids sorting against the start dates
    rows = [
        assignment("alice", "t-ber", date(2025, 1, 1), assignment_id="z"),
        assignment("bob", "t-ber", date(2026, 1, 1), assignment_id="a"),
    ]
    # then the one that started last owns the territory
    assert owner_on(rows, "t-ber", date(2026, 3, 1)) == "bob"
    assert owner_on(list(reversed(rows)), "t-ber", date(2026, 3, 1)) == "bob"


def test_owner_on_ignores_members_and_other_territories() -> None:
    rows = [
        assignment("carol", "t-ber", date(2025, 1, 1), role="member"),
        assignment("dave", "t-muc", date(2025, 1, 1)),
    ]
    assert owner_on(rows, "t-ber", date(2026, 3, 1)) is None


def test_reps_on_lists_owner_first_then_active_members() -> None:
    rows = [
        *HANDOVER,
        assignment("zoe", "t-ber", date(2025, 1, 1), role="member"),
        assignment("carol", "t-ber", date(2025, 1, 1), role="member"),
        assignment("ex", "t-ber", date(2025, 1, 1), date(2026, 1, 1), role="member"),
        assignment("mgr", "t-ber", date(2025, 1, 1), role="manager"),
    ]
    assert reps_on(rows, "t-ber", date(2026, 3, 1)) == ["bob", "carol", "zoe"]


def test_managers_on_lists_nearest_manager_first() -> None:
    rows = [
        assignment("vp", "r-eu", date(2025, 1, 1), role="manager"),
        assignment("de-lead", "a-de", date(2025, 1, 1), role="manager"),
        assignment("old-lead", "a-de", date(2024, 1, 1), date(2025, 1, 1), role="manager"),
        assignment("us-lead", "a-ca", date(2025, 1, 1), role="manager"),
    ]
    assert managers_on(NODES, rows, "t-ber", date(2026, 3, 1)) == ["de-lead", "vp"]
    assert managers_on(NODES, rows, "t-ber", date(2024, 6, 1)) == ["old-lead"]


def test_managers_on_lists_manager_of_several_levels_once_at_nearest() -> None:
    rows = [
        assignment("vp", "r-eu", date(2025, 1, 1), role="manager"),
        assignment("vp", "t-ber", date(2025, 1, 1), role="manager"),
        assignment("de-lead", "a-de", date(2025, 1, 1), role="manager"),
    ]
    assert managers_on(NODES, rows, "t-ber", date(2026, 3, 1)) == ["vp", "de-lead"]


def test_visible_territory_ids_manager_sees_whole_subtree() -> None:
    rows = [assignment("lead", "a-de", date(2025, 1, 1), role="manager")]
    visible = visible_territory_ids(NODES, rows, "lead", "manager", date(2026, 3, 1))
    assert visible == {"a-de", "t-ber", "t-muc"}


def test_visible_territory_ids_manager_sees_nothing_outside_dates() -> None:
    rows = [assignment("lead", "a-de", date(2025, 1, 1), date(2026, 1, 1), role="manager")]
    assert visible_territory_ids(NODES, rows, "lead", "manager", date(2026, 3, 1)) == set()


def test_visible_territory_ids_rep_sees_only_assigned_territories() -> None:
    rows = [
        *HANDOVER,
        assignment("alice", "t-muc", date(2025, 1, 1), role="member"),
        assignment("alice", "a-de", date(2025, 1, 1), role="manager"),
    ]
    # a rep role does not widen to subtrees, even with a stray manager row
    assert visible_territory_ids(NODES, rows, "alice", "rep", date(2026, 3, 1)) == {"t-muc"}
    assert visible_territory_ids(NODES, rows, "alice", "rep", date(2026, 1, 1)) == {
        "t-ber",
        "t-muc",
    }


def test_visible_territory_ids_admin_is_left_to_caller() -> None:
    with pytest.raises(ValidationFailed):
        visible_territory_ids(NODES, [], "root", "admin", date(2026, 3, 1))


# --- overlap ------------------------------------------------------------------------------


def test_check_no_overlap_refuses_second_owner_for_overlapping_dates() -> None:
    new = assignment("carol", "t-ber", date(2026, 3, 1), date(2026, 4, 1))
    with pytest.raises(Conflict) as error:
        check_no_overlap(HANDOVER, new)
    assert error.value.code == "owner_overlap"


def test_check_no_overlap_refuses_open_ended_owner_before_existing() -> None:
    existing = [assignment("alice", "t-ber", date(2026, 6, 1), date(2026, 7, 1))]
    with pytest.raises(Conflict):
        check_no_overlap(existing, assignment("bob", "t-ber", date(2026, 1, 1)))


def test_check_no_overlap_accepts_back_to_back_handover() -> None:
    existing = [assignment("alice", "t-ber", date(2025, 1, 1), date(2026, 2, 15))]
    check_no_overlap(existing, assignment("bob", "t-ber", date(2026, 2, 15)))


def test_check_no_overlap_accepts_members_and_other_territories() -> None:
    check_no_overlap(HANDOVER, assignment("carol", "t-ber", date(2026, 3, 1), role="member"))
    check_no_overlap(HANDOVER, assignment("carol", "t-muc", date(2026, 3, 1)))


def test_check_no_overlap_ignores_the_row_being_edited() -> None:
    existing = [assignment("alice", "t-ber", date(2025, 1, 1), assignment_id="a1")]
    edited = assignment("alice", "t-ber", date(2025, 1, 1), date(2026, 1, 1), assignment_id="a1")
    check_no_overlap(existing, edited)


def test_check_no_overlap_refuses_end_before_start() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_no_overlap([], assignment("bob", "t-ber", date(2026, 2, 1), date(2026, 2, 1)))
    assert error.value.code == "invalid_date_range"


# --- realignment --------------------------------------------------------------------------


def test_plan_realignment_lists_only_customers_that_move() -> None:
    # given three Berlin/Munich customers and a new rule moving 10115 to Munich
    on = date(2026, 3, 1)
    rules_after = [
        rule("de", "t-ber", country="DE"),
        rule("moved", "t-muc", country="DE", postal_exact="10115"),
    ]
    assignments_after = [
        assignment("bob", "t-ber", date(2026, 1, 1)),
        assignment("mia", "t-muc", date(2026, 1, 1)),
    ]
    customers = [
        CustomerPlacement("c-stay", Address("DE", postal_code="10117"), None, "t-ber", "bob"),
        CustomerPlacement("c-move", Address("DE", postal_code="10115"), None, "t-ber", "bob"),
        CustomerPlacement("c-pinned", Address("DE", postal_code="10115"), "t-ber", "t-ber", "bob"),
    ]
    # when
    moves = plan_realignment(customers, rules_after, assignments_after, NODES, DEFAULT, on)
    # then only the unpinned 10115 customer moves
    assert moves == [CustomerMove("c-move", "t-ber", "t-muc", "bob", "mia")]


def test_plan_realignment_lists_owner_change_within_same_territory() -> None:
    customers = [CustomerPlacement("c1", Address("DE"), None, "t-ber", "alice")]
    moves = plan_realignment(
        customers, [rule("de", "t-ber", country="DE")], HANDOVER, NODES, DEFAULT, date(2026, 3, 1)
    )
    assert moves == [CustomerMove("c1", "t-ber", "t-ber", "alice", "bob")]


def test_plan_realignment_refuses_rule_to_unknown_territory() -> None:
    customers = [CustomerPlacement("c1", Address("DE"), None, "t-ber", None)]
    with pytest.raises(ValidationFailed) as error:
        plan_realignment(
            customers, [rule("x", "t-gone", country="DE")], [], NODES, DEFAULT, date(2026, 3, 1)
        )
    assert error.value.code == "unknown_territory"


def test_split_by_reach_refuses_only_the_moves_out_of_reach_that_the_change_causes() -> None:
    from server.domain.territories import CustomerMove
    from server.domain.territory_scope import split_by_reach

    mine = CustomerMove("c1", "north", "south", "rita", "rob")
    taken = CustomerMove("c2", "seattle", "east", "rita", None)
    stale = CustomerMove("c3", "east", "east", "rob", None)
    kept, caused = split_by_reach([mine, taken, stale], [stale], {"north", "south", "default"})
    assert (kept, caused) == ([mine], [taken])
    assert split_by_reach([mine, taken], [], None) == ([mine, taken], [])
