"""Request and response shapes of the accounts API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server.domain.text import ONE_LINE_PATTERN

__all__ = ["LoginIn", "RefreshIn", "TokenOut", "UserCreateIn", "UserOut", "UserUpdateIn"]

Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, Meta(min_length=1, max_length=512)]
Role = Literal["rep", "manager", "admin"]


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    # Not pattern-checked: a mistyped address must get the same answer as a wrong password.
    email: Annotated[str, Meta(min_length=1, max_length=254)]
    password: Password
    device_name: Annotated[str, Meta(max_length=120)] = ""
    # Given at an earlier login on this client: lets it past the account's back-off after
    # failed logins by others (browsers send it as a cookie instead).
    device_token: Annotated[str, Meta(max_length=2000)] | None = None


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    # Optional: browsers send the refresh token as an HttpOnly cookie instead.
    refresh_token: str | None = None


class UserOut(msgspec.Struct):
    id: str
    email: str
    full_name: str
    role: str
    active: bool


class TokenOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: UserOut
    device_token: str = ""


class UserCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    full_name: Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]
    role: Role
    password: Annotated[str, Meta(min_length=8, max_length=512)]


class UserUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    full_name: (
        Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)] | UnsetType
    ) = UNSET
    role: Role | UnsetType = UNSET
    active: bool | UnsetType = UNSET
