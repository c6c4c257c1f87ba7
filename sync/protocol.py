"""Protocol v1 messages. New fields always get defaults: old phones send old shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "MAX_MUTATIONS_PER_PUSH",
    "MAX_PUSH_BYTES",
    "PROTOCOL",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Change",
    "DeviceIn",
    "DeviceOut",
    "Mutation",
    "Outcome",
    "PullResponse",
    "PushRequest",
    "PushResponse",
]

PROTOCOL = 1
# Schema versions of the phone's local data this server can still talk to.
SUPPORTED_SCHEMA_VERSIONS = (1,)

# The largest push: this many mutations, in a body of at most this many bytes. The body
# limit holds the largest push of the largest documents: 500 orders of 200 lines each with
# every text field at its longest (tests/unit/test_push_limits.py). Phones send 100 at a time.
MAX_MUTATIONS_PER_PUSH = 500
MAX_PUSH_BYTES = 20 * 1024 * 1024

OutcomeStatus = Literal["accepted", "needs_approval", "rejected"]

# Seqs and versions are counted by phones in JavaScript numbers: whole numbers are exact up
# to 2**53 - 1, which also fits the databases' 64-bit integers.
_COUNT = Meta(ge=1, le=2**53 - 1)


class Mutation(msgspec.Struct, forbid_unknown_fields=True):
    seq: Annotated[int, _COUNT]
    type: Annotated[str, Meta(pattern=r"^[a-z_]+\.[a-z_]+(@[0-9]+)?$")]
    entity_id: Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
    args: dict[str, Any] = {}
    base_version: Annotated[int, _COUNT] | None = None
    client_ts: str | None = None


class PushRequest(msgspec.Struct, forbid_unknown_fields=True):
    protocol: int
    schema_version: int
    device_id: str
    mutations: Annotated[list[Mutation], Meta(max_length=MAX_MUTATIONS_PER_PUSH)]
    # Outcomes up to this seq have reached the phone and may be forgotten after retention.
    ack_up_to: Annotated[int, Meta(ge=0, le=2**53 - 1)] | None = None


class Outcome(msgspec.Struct):
    seq: int
    type: str
    entity_id: str
    status: OutcomeStatus
    duplicate: bool = False
    code: str | None = None
    message: str | None = None
    result: dict[str, Any] = {}


class PushResponse(msgspec.Struct):
    device_id: str
    last_seq: int
    outcomes: list[Outcome]
    # Set when the batch stopped at a gap: the seq the server expects next.
    expected_seq: int | None = None


class Change(msgspec.Struct):
    entity_type: str
    entity_id: str
    op: Literal["upsert", "delete"]
    data: dict[str, Any] | None = None


class PullResponse(msgspec.Struct):
    protocol: int
    schema_version: int
    cursor: str
    has_more: bool
    changes: list[Change]
    # What the user may see changed since the cursor was given: this page starts a full
    # snapshot, and whatever the phone pulled before that the snapshot does not bring
    # again (by the page with has_more false) is no longer visible to them.
    reset: bool = False


class DeviceIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=120)] = ""
    protocol: int = PROTOCOL
    schema_version: int = 1


class DeviceOut(msgspec.Struct):
    device_id: str
    last_seq: int
    protocol: int
    schema_version: int
