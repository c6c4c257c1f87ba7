"""Request and response shapes of the territories API.

Inputs refuse unknown fields, so a misspelt criterion ("postcode_prefix") is an error
instead of a rule that silently matches a whole country.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server.domain.territories import Assignment, TerritoryRule
from server.domain.text import ONE_LINE_PATTERN

__all__ = [
    "AssignmentEndIn",
    "AssignmentIn",
    "AssignmentOut",
    "CustomerMoveOut",
    "OpenDocumentOut",
    "OwnerOut",
    "PlannedChanges",
    "RealignmentChanges",
    "RealignmentIn",
    "RealignmentOut",
    "RealignmentPreview",
    "RuleIn",
    "RuleOut",
    "TerritoryDetail",
    "TerritoryIn",
    "TerritoryOut",
    "TerritoryRef",
    "TerritoryTree",
    "TerritoryUpdateIn",
    "UnassignedCustomer",
    "UnassignedPage",
    "UserRef",
]

Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
Kind = Literal["region", "area", "territory"]
Role = Literal["owner", "member", "manager"]
Postal = Annotated[str, Meta(min_length=1, max_length=20)]


class TerritoryIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
    name: Annotated[str, Meta(min_length=1, max_length=120, pattern=ONE_LINE_PATTERN)]
    kind: Kind
    parent_id: Uuid | None = None


class TerritoryUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: (
        Annotated[str, Meta(min_length=1, max_length=120, pattern=ONE_LINE_PATTERN)] | UnsetType
    ) = UNSET
    kind: Kind | UnsetType = UNSET
    # null moves the territory to the top level; leaving the field out keeps its parent.
    parent_id: Uuid | UnsetType | None = UNSET


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """One address criterion set; at most one of exact, prefix or range."""

    territory_id: Uuid
    country: Annotated[str, Meta(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
    state: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    postal_exact: Postal | None = None
    postal_prefix: Postal | None = None
    postal_from: Postal | None = None
    postal_to: Postal | None = None


class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    territory_id: Uuid
    user_id: Uuid
    role: Role
    # In a realignment a missing valid_from means "from the effective date".
    valid_from: date | None = None
    valid_to: date | None = None  # exclusive; None = open end


class AssignmentEndIn(msgspec.Struct, forbid_unknown_fields=True):
    on: date  # the first day the assignment no longer holds


class RealignmentChanges(msgspec.Struct, forbid_unknown_fields=True):
    add_rules: Annotated[list[RuleIn], Meta(max_length=500)] = []
    remove_rule_ids: Annotated[list[Uuid], Meta(max_length=500)] = []
    add_assignments: Annotated[list[AssignmentIn], Meta(max_length=500)] = []
    end_assignment_ids: Annotated[list[Uuid], Meta(max_length=500)] = []


class RealignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    effective_on: date
    changes: RealignmentChanges
    description: Annotated[str, Meta(max_length=2000)] = ""


class PlannedChanges(msgspec.Struct):
    """A draft as stored: new rules and assignments get their ids when drafted, because ties
    between equally specific rules go to the lowest id, and the preview must pick the same
    winner that apply will."""

    add_rules: list[TerritoryRule] = []
    remove_rule_ids: list[str] = []
    add_assignments: list[Assignment] = []
    end_assignment_ids: list[str] = []


class UserRef(msgspec.Struct):
    id: str
    full_name: str


class TerritoryRef(msgspec.Struct):
    id: str
    code: str
    name: str


class TerritoryOut(msgspec.Struct):
    id: str
    parent_id: str | None
    code: str
    name: str
    kind: str
    is_default: bool
    depth: int  # 0 for a root of the caller's view, so clients can indent without recursion
    owner: UserRef | None
    managers: list[UserRef]
    customer_count: int


class TerritoryTree(msgspec.Struct):
    on: date
    default_territory_id: str | None
    unassigned_count: int | None  # None for reps, who have no unassigned list
    territories: list[TerritoryOut]


class RuleOut(msgspec.Struct):
    id: str
    territory_id: str
    country: str
    state: str | None
    postal_exact: str | None
    postal_prefix: str | None
    postal_from: str | None
    postal_to: str | None
    active: bool
    created_at: datetime


class AssignmentOut(msgspec.Struct):
    id: str
    territory_id: str
    user: UserRef
    role: str
    valid_from: date
    valid_to: date | None
    active: bool  # on the day asked: today unless the request names one


class TerritoryDetail(msgspec.Struct):
    territory: TerritoryOut
    path: list[TerritoryRef]  # root first, this territory last
    children: list[TerritoryRef]
    reps: list[UserRef]  # owner first
    rules: list[RuleOut]  # active rules
    assignments: list[AssignmentOut]  # every assignment ever made, newest first


class OwnerOut(msgspec.Struct):
    territory_id: str
    on: date
    owner: UserRef | None


class UnassignedCustomer(msgspec.Struct):
    id: str
    number: str
    legal_name: str
    country: str
    state: str
    postal_code: str
    city: str
    created_at: datetime


class UnassignedPage(msgspec.Struct):
    default_territory_id: str | None
    total: int
    items: list[UnassignedCustomer]


class CustomerMoveOut(msgspec.Struct):
    customer_id: str
    number: str
    legal_name: str
    from_territory: TerritoryRef
    to_territory: TerritoryRef
    from_owner: UserRef | None
    to_owner: UserRef | None


class RealignmentOut(msgspec.Struct):
    id: str
    status: str  # draft | applied
    description: str
    effective_on: date
    changes: PlannedChanges
    created_by: str
    created_at: datetime
    applied_at: datetime | None


class OpenDocumentOut(msgspec.Struct):
    """An open quote or order of a moving customer: a quote goes to the new territory and
    owner, a placed order keeps the territory and rep it was placed with."""

    kind: str  # quote | order
    id: str
    number: str
    status: str
    customer_id: str
    territory_id: str
    rep_id: str | None
    new_territory_id: str
    new_rep_id: str | None


class RealignmentPreview(msgspec.Struct):
    realignment: RealignmentOut
    moves: list[CustomerMoveOut]
    moved_count: int
    open_documents: list[OpenDocumentOut] = []
    open_document_count: int = 0
