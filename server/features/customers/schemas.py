"""Request and response shapes of the customers API.

Inputs refuse unknown fields. New fields always get a default, because phones that were
offline for a week still send the shape they knew.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server.domain.text import ONE_LINE_PATTERN

__all__ = [
    "AddressIn",
    "AddressOut",
    "ContactIn",
    "ContactOut",
    "CustomerCreateIn",
    "CustomerDetail",
    "CustomerPage",
    "CustomerSummary",
    "CustomerUpdateIn",
    "CustomerUpdateOut",
    "DuplicateCandidate",
]

Status = Literal["prospect", "active", "on_hold", "inactive"]
Terms = Literal["due_on_receipt", "net_15", "net_30", "net_45", "net_60"]
# What a client may declare; the server decides the channel (server/domain/channels.py).
Channel = Literal["field", "phone", "web", "api", "edi", "import"]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]
Short = Annotated[str, Meta(max_length=200)]
ShortName = Annotated[str, Meta(max_length=200, pattern=ONE_LINE_PATTERN)]
Cents = Annotated[int, Meta(ge=0, le=10**13)]
Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]


class AddressIn(msgspec.Struct, forbid_unknown_fields=True):
    country: Annotated[str, Meta(min_length=2, max_length=2)]
    state: Annotated[str, Meta(max_length=40)] = ""
    city: Annotated[str, Meta(max_length=100)] = ""
    postal_code: Annotated[str, Meta(max_length=20)] = ""
    street: Short = ""
    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    role: Short = ""
    email: Annotated[str, Meta(max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = ""
    phone: Annotated[str, Meta(max_length=40, pattern=r"^[0-9+()\-.\s]*$")] = ""


class CustomerCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    legal_name: Name
    billing_address: AddressIn
    id: Uuid | None = None  # phones create ids offline
    trading_name: ShortName = ""
    tax_id: Annotated[str, Meta(max_length=40)] = ""
    status: Status = "prospect"
    payment_terms: Terms = "net_30"
    # Not sent: the configured default. null: no limit (a manager's choice).
    credit_limit_cents: Cents | UnsetType | None = UNSET
    price_list_id: Uuid | None = None
    tax_exempt: bool = False
    notes: Annotated[str, Meta(max_length=4000)] = ""
    contacts: Annotated[list[ContactIn], Meta(max_length=20)] = []
    shipping_addresses: Annotated[list[AddressIn], Meta(max_length=20)] = []
    explicit_territory_id: Uuid | None = None
    channel: Channel = "field"
    # The rep looked at the duplicate candidates and says this is a different customer.
    confirm_new: bool = False


class CustomerUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    base_version: Annotated[int, Meta(ge=1)]
    legal_name: Name | UnsetType = UNSET
    trading_name: ShortName | UnsetType = UNSET
    tax_id: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    status: Status | UnsetType = UNSET
    payment_terms: Terms | UnsetType = UNSET
    credit_limit_cents: Cents | UnsetType | None = UNSET
    price_list_id: Uuid | UnsetType | None = UNSET
    tax_exempt: bool | UnsetType = UNSET
    notes: Annotated[str, Meta(max_length=4000)] | UnsetType = UNSET
    explicit_territory_id: Uuid | UnsetType | None = UNSET
    billing_address: AddressIn | UnsetType = UNSET


class AddressOut(msgspec.Struct):
    id: str
    kind: str
    is_default: bool
    country: str
    state: str
    city: str
    postal_code: str
    street: str
    latitude: float | None
    longitude: float | None


class ContactOut(msgspec.Struct):
    id: str
    name: str
    role: str
    email: str
    phone: str


class CustomerSummary(msgspec.Struct):
    id: str
    number: str
    legal_name: str
    trading_name: str
    status: str
    city: str
    postal_code: str
    territory_id: str
    owner_id: str | None
    version: int


class CustomerPage(msgspec.Struct):
    items: list[CustomerSummary]
    total: int
    limit: int
    offset: int


class CustomerDetail(msgspec.Struct):
    id: str
    number: str
    legal_name: str
    trading_name: str
    tax_id: str
    status: str
    payment_terms: str
    credit_limit_cents: int | None  # None: no limit
    price_list_id: str | None
    tax_exempt: bool
    notes: str
    territory_id: str
    territory_name: str
    territory_reason: str
    explicit_territory_id: str | None
    owner_id: str | None
    owner_name: str | None
    created_by: str | None
    channel: str
    version: int
    created_at: str
    updated_at: str
    addresses: list[AddressOut]
    contacts: list[ContactOut]


class CustomerUpdateOut(msgspec.Struct):
    customer: CustomerDetail
    applied: list[str]
    overwritten_by_server: list[str]


class DuplicateCandidate(msgspec.Struct):
    reasons: list[str]
    # Customers outside the caller's scope are reported without their details.
    id: str | None = None
    number: str | None = None
    legal_name: str | None = None
    city: str | None = None
