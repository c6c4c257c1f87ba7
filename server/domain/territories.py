"""Territory rules: which territory an address belongs to, who owns it on a date, who sees it.

Everything here is a plain function over plain data; callers load rules, nodes and
assignments, call these, and persist the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from server.domain.errors import Conflict, NotFound, ValidationFailed

__all__ = [
    "ASSIGNMENT_ROLES",
    "Address",
    "Assignment",
    "CustomerMove",
    "CustomerPlacement",
    "TerritoryMatch",
    "TerritoryNode",
    "TerritoryRule",
    "active_on",
    "ancestor_chain",
    "check_no_overlap",
    "managers_on",
    "match_territory",
    "normalize_country",
    "normalize_postal",
    "normalize_state",
    "owner_on",
    "plan_realignment",
    "reps_on",
    "rule_matches",
    "rule_specificity",
    "subtree_ids",
    "validate_parent",
    "visible_territory_ids",
]

ASSIGNMENT_ROLES = ("owner", "member", "manager")

# Specificity levels, most specific highest.
_EXACT, _RANGE, _PREFIX, _STATE, _COUNTRY = 4, 3, 2, 1, 0


class Address(msgspec.Struct, frozen=True):
    country: str
    state: str = ""
    postal_code: str = ""
    city: str = ""


class TerritoryRule(msgspec.Struct, frozen=True):
    id: str
    territory_id: str
    country: str
    state: str | None = None
    postal_exact: str | None = None
    postal_prefix: str | None = None
    postal_from: str | None = None  # inclusive
    postal_to: str | None = None  # inclusive


class TerritoryNode(msgspec.Struct, frozen=True):
    id: str
    parent_id: str | None
    name: str
    kind: str  # "region" | "area" | "territory"


class Assignment(msgspec.Struct, frozen=True):
    id: str
    territory_id: str
    user_id: str
    role: str  # one of ASSIGNMENT_ROLES
    valid_from: date  # inclusive
    valid_to: date | None  # exclusive, so a handover ends one row on the day the next starts


class TerritoryMatch(msgspec.Struct, frozen=True):
    territory_id: str
    reason: str  # "explicit" | "rule" | "default"
    rule_id: str | None


class CustomerPlacement(msgspec.Struct, frozen=True):
    customer_id: str
    address: Address
    explicit_territory_id: str | None
    territory_id: str
    owner_id: str | None


class CustomerMove(msgspec.Struct, frozen=True):
    customer_id: str
    from_territory_id: str
    to_territory_id: str
    from_owner_id: str | None
    to_owner_id: str | None


# --- normalisation ------------------------------------------------------------------------


def normalize_postal(code: str | None) -> str:
    """Comparison form of a postal code: 'sw1a 1aa' and 'SW1A1AA' are the same code."""
    if not code:
        return ""
    return "".join(ch for ch in code.upper() if not ch.isspace() and ch != "-")


def normalize_country(value: str | None) -> str:
    return (value or "").strip().upper()


def normalize_state(value: str | None) -> str:
    return (value or "").strip().upper()


def _digits(value: str) -> bool:
    # str.isdigit() alone accepts '²' and other non-ASCII digits that int() rejects.
    return value.isascii() and value.isdigit()


def _compare_postal(code: str, bound: str) -> int:
    """-1/0/1 for code vs a range bound.

    A code longer than the bound is compared by its leading characters, so a range ending
    at '12999' still covers the ZIP+4 code '12999-1234'.
    """
    head = code[: len(bound)]
    if _digits(head) and _digits(bound) and len(head) == len(bound):
        a, b = int(head), int(bound)
        return (a > b) - (a < b)
    return (head > bound) - (head < bound)


def _range_width(low: str, high: str) -> int:
    """How many codes a range spans, only ever used to rank ranges against each other."""
    if _digits(low) and _digits(high) and len(low) == len(high):
        return int(high) - int(low)
    # Non-numeric codes: read each padded string as a number in base 0x110000 (one digit per
    # code point), which preserves lexicographic order and so gives a stable width.
    size = max(len(low), len(high))

    def value(text: str) -> int:
        return int.from_bytes(text.ljust(size, "\0").encode("utf-32-be"), "big")

    return value(high) - value(low)


# --- rules --------------------------------------------------------------------------------


def _criteria(rule: TerritoryRule) -> tuple[str, str, str, str, str]:
    # Blank strings count as "not set", so a form that posts '' never creates a rule that
    # only matches addresses without a postal code.
    return (
        normalize_state(rule.state),
        normalize_postal(rule.postal_exact),
        normalize_postal(rule.postal_prefix),
        normalize_postal(rule.postal_from),
        normalize_postal(rule.postal_to),
    )


def rule_specificity(rule: TerritoryRule) -> tuple[int, int, int, int]:
    """A sort key where larger means more specific.

    (level, prefix length, -range width, has state): postal exact > postal range > postal
    prefix (longer beats shorter) > state > country. Within a level a narrower range and then
    a rule that also pins the state win. Equal keys are settled by rule id in match_territory.
    """
    state, exact, prefix, low, high = _criteria(rule)
    has_state = int(bool(state))
    if exact:
        return (_EXACT, 0, 0, has_state)
    if low or high:
        # A half-open range is unbounded on its missing side, hence the widest possible.
        width = _range_width(low, high) if low and high else 1 << 64
        return (_RANGE, 0, -width, has_state)
    if prefix:
        return (_PREFIX, len(prefix), 0, has_state)
    return (_STATE if state else _COUNTRY, 0, 0, has_state)


def rule_matches(rule: TerritoryRule, address: Address) -> bool:
    """True when every criterion the rule sets holds for the address (country always)."""
    return _criteria_hold(normalize_country(rule.country), _criteria(rule), address)


def _criteria_hold(
    country: str, criteria: tuple[str, str, str, str, str], address: Address
) -> bool:
    if country != normalize_country(address.country):
        return False
    state, exact, prefix, low, high = criteria
    if state and state != normalize_state(address.state):
        return False
    postal = normalize_postal(address.postal_code)
    if (exact or prefix or low or high) and not postal:
        return False
    if exact and postal != exact:
        return False
    if prefix and not postal.startswith(prefix):
        return False
    if low and _compare_postal(postal, low) < 0:
        return False
    return not (high and _compare_postal(postal, high) > 0)


class RuleBook:
    """Rules prepared for many matches: each one's criteria normalised once, and the rules
    kept most specific first (ties by rule id), so the first that holds is the answer."""

    def __init__(self, rules: Iterable[TerritoryRule]) -> None:
        ranked = sorted(rules, key=lambda r: (tuple(-k for k in rule_specificity(r)), r.id))
        self._rules = [(rule, normalize_country(rule.country), _criteria(rule)) for rule in ranked]

    def match(
        self,
        address: Address,
        *,
        explicit_territory_id: str | None = None,
        default_territory_id: str,
    ) -> TerritoryMatch:
        """The territory for an address: explicit assignment, else most specific rule, else
        default."""
        if explicit_territory_id:
            return TerritoryMatch(
                territory_id=explicit_territory_id, reason="explicit", rule_id=None
            )
        for rule, country, criteria in self._rules:
            if _criteria_hold(country, criteria, address):
                return TerritoryMatch(
                    territory_id=rule.territory_id, reason="rule", rule_id=rule.id
                )
        return TerritoryMatch(territory_id=default_territory_id, reason="default", rule_id=None)


def match_territory(
    address: Address,
    rules: Iterable[TerritoryRule],
    *,
    explicit_territory_id: str | None = None,
    default_territory_id: str,
) -> TerritoryMatch:
    """The territory for an address: explicit assignment, else most specific rule, else default.

    Ties between equally specific rules go to the lowest rule id, so the answer never depends
    on the order the database returned the rules in. (`RuleBook` for many addresses.)
    """
    return RuleBook(rules).match(
        address,
        explicit_territory_id=explicit_territory_id,
        default_territory_id=default_territory_id,
    )


# --- tree ---------------------------------------------------------------------------------


def _by_id(nodes: Iterable[TerritoryNode]) -> dict[str, TerritoryNode]:
    return {node.id: node for node in nodes}


def subtree_ids(nodes: Iterable[TerritoryNode], root_id: str) -> set[str]:
    """root_id and every territory below it."""
    children: dict[str | None, list[str]] = {}
    known: set[str] = set()
    for node in nodes:
        known.add(node.id)
        children.setdefault(node.parent_id, []).append(node.id)
    if root_id not in known:
        raise NotFound(f"territory {root_id} does not exist", details={"id": root_id})
    seen: set[str] = set()
    stack = [root_id]
    while stack:  # the seen-check also keeps a corrupt cyclic tree from looping forever
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(children.get(current, ()))
    return seen


def ancestor_chain(nodes: Iterable[TerritoryNode], territory_id: str) -> list[str]:
    """[territory_id, parent, ..., root]."""
    index = _by_id(nodes)
    chain: list[str] = []
    current: str | None = territory_id
    while current is not None:
        node = index.get(current)
        if node is None:
            raise NotFound(f"territory {current} does not exist", details={"id": current})
        if current in chain:
            raise ValidationFailed(
                "territory tree has a cycle", code="territory_cycle", details={"chain": chain}
            )
        chain.append(current)
        current = node.parent_id
    return chain


def validate_parent(
    nodes: Iterable[TerritoryNode], node_id: str, new_parent_id: str | None
) -> None:
    """Refuse a move that would put a territory below itself."""
    index = _by_id(nodes)
    if new_parent_id is None:
        return
    if new_parent_id not in index:
        raise NotFound(f"territory {new_parent_id} does not exist", details={"id": new_parent_id})
    if node_id in index and new_parent_id in subtree_ids(index.values(), node_id):
        raise ValidationFailed(
            f"territory {new_parent_id} is inside {node_id}; moving {node_id} below it "
            "would make a cycle",
            code="territory_cycle",
            details={"id": node_id, "parent_id": new_parent_id},
        )


# --- effective-dated assignments ----------------------------------------------------------


def active_on(assignment: Assignment, on: date) -> bool:
    return assignment.valid_from <= on and (assignment.valid_to is None or on < assignment.valid_to)


def _active(
    assignments: Iterable[Assignment], territory_id: str, on: date, roles: tuple[str, ...]
) -> list[Assignment]:
    return [
        a
        for a in assignments
        if a.territory_id == territory_id and a.role in roles and active_on(a, on)
    ]


def owner_on(assignments: Iterable[Assignment], territory_id: str, on: date) -> str | None:
    """The owning rep on a date; if owner rows overlap, the most recently started one."""
    owners = _active(assignments, territory_id, on, ("owner",))
    if not owners:
        return None
    return max(owners, key=lambda a: (a.valid_from, a.id)).user_id


def reps_on(assignments: Iterable[Assignment], territory_id: str, on: date) -> list[str]:
    """Owner first, then the other reps (owners or members) by user id, each once."""
    rows = list(assignments)
    owner = owner_on(rows, territory_id, on)
    others = {a.user_id for a in _active(rows, territory_id, on, ("owner", "member"))}
    if owner:
        others.discard(owner)
    return ([owner] if owner else []) + sorted(others)


def managers_on(
    nodes: Iterable[TerritoryNode], assignments: Iterable[Assignment], territory_id: str, on: date
) -> list[str]:
    """The manager chain, nearest first: a manager of an ancestor also manages this territory."""
    rows = list(assignments)
    chain: list[str] = []
    for level in ancestor_chain(nodes, territory_id):
        for user_id in sorted({a.user_id for a in _active(rows, level, on, ("manager",))}):
            if user_id not in chain:
                chain.append(user_id)
    return chain


def visible_territory_ids(
    nodes: Iterable[TerritoryNode],
    assignments: Iterable[Assignment],
    user_id: str,
    role: str,
    on: date,
) -> set[str]:
    """Territories a rep or manager may see on a date. Admins are the caller's business.

    Any user sees the territories they work as owner/member; a manager also sees the whole
    subtree of each territory they manage.
    """
    if role not in ("rep", "manager"):
        raise ValidationFailed(
            f"visibility for role {role!r} is decided by the caller", code="unsupported_role"
        )
    node_list = list(nodes)
    known = {node.id for node in node_list}
    mine = [a for a in assignments if a.user_id == user_id and active_on(a, on)]
    visible = {a.territory_id for a in mine if a.role in ("owner", "member")}
    if role == "manager":
        for a in mine:
            # A manager row on a deleted territory grants nothing rather than locking the
            # manager out of everything else with a NotFound.
            if a.role == "manager" and a.territory_id in known:
                visible |= subtree_ids(node_list, a.territory_id)
    return visible


def check_no_overlap(existing: Iterable[Assignment], new: Assignment) -> None:
    """Refuse a malformed assignment or a second owner of a territory for overlapping dates."""
    if new.role not in ASSIGNMENT_ROLES:
        raise ValidationFailed(f"unknown assignment role {new.role!r}", code="invalid_role")
    if new.valid_to is not None and new.valid_to <= new.valid_from:
        raise ValidationFailed(
            f"assignment ends ({new.valid_to}) on or before it starts ({new.valid_from})",
            code="invalid_date_range",
        )
    if new.role != "owner":
        return
    for other in existing:
        if other.id == new.id or other.role != "owner" or other.territory_id != new.territory_id:
            continue
        starts_before_other_ends = other.valid_to is None or new.valid_from < other.valid_to
        other_starts_before_new_ends = new.valid_to is None or other.valid_from < new.valid_to
        if starts_before_other_ends and other_starts_before_new_ends:
            raise Conflict(
                f"territory {new.territory_id} already has owner {other.user_id} from "
                f"{other.valid_from} to {other.valid_to or 'open end'}",
                code="owner_overlap",
                details={"territory_id": new.territory_id, "assignment_id": other.id},
            )


# --- realignment --------------------------------------------------------------------------


def plan_realignment(
    customers: Iterable[CustomerPlacement],
    rules_after: Iterable[TerritoryRule],
    assignments_after: Iterable[Assignment],
    nodes: Iterable[TerritoryNode],
    default_territory_id: str,
    on: date,
) -> list[CustomerMove]:
    """Preview which customers would change territory or owner, sorted by customer id."""
    rules, rows = list(rules_after), list(assignments_after)
    known = {node.id for node in nodes}
    moves: list[CustomerMove] = []
    for placement in customers:
        match = match_territory(
            placement.address,
            rules,
            explicit_territory_id=placement.explicit_territory_id,
            default_territory_id=default_territory_id,
        )
        # A rule that points at a missing territory is a setup mistake the preview must show.
        if match.territory_id not in known:
            raise ValidationFailed(
                f"customer {placement.customer_id} would move to unknown territory "
                f"{match.territory_id}",
                code="unknown_territory",
                details={"territory_id": match.territory_id, "rule_id": match.rule_id},
            )
        owner = owner_on(rows, match.territory_id, on)
        if match.territory_id != placement.territory_id or owner != placement.owner_id:
            moves.append(
                CustomerMove(
                    customer_id=placement.customer_id,
                    from_territory_id=placement.territory_id,
                    to_territory_id=match.territory_id,
                    from_owner_id=placement.owner_id,
                    to_owner_id=owner,
                )
            )
    return sorted(moves, key=lambda m: m.customer_id)
