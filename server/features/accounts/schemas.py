"""Request and response shapes of the accounts API."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server.domain.text import ONE_LINE_PATTERN

__all__ = [
    "LoginIn",
    "PasswordResetIn",
    "RefreshIn",
    "TokenOut",
    "UserCreateIn",
    "UserOut",
    "UserUpdateIn",
    "UserWithPasswordOut",
]

Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, Meta(min_length=1, max_length=512)]
# Checked by the service (server/domain/users.py), so an unknown role is answered with
# its own code and the roles there are, not as a malformed request.
Role = Annotated[str, Meta(min_length=1, max_length=20)]
# A percentage as a decimal string ("12.5"); range and precision are the service's rule.
Percent = Annotated[str, Meta(min_length=1, max_length=12)]
NewPassword = Annotated[str, Meta(min_length=8, max_length=512)]


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
    discount_limit_percent: str = "0"


class UserPage(msgspec.Struct):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class UserWithPasswordOut(UserOut):
    """A user just created or given a new password. `one_time_password` is there only when
    the server generated it: this answer is the one time it is shown."""

    one_time_password: str | None = None


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
    # Left out: the server generates a one-time password and answers it once.
    password: NewPassword | None = None
    # Left out: the role's default (rep 10, manager 30, admin 100).
    discount_limit_percent: Percent | None = None


class UserUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    full_name: (
        Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)] | UnsetType
    ) = UNSET
    role: Role | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    discount_limit_percent: Percent | UnsetType = UNSET


class PasswordResetIn(msgspec.Struct, forbid_unknown_fields=True):
    # Left out: the server generates a temporary password and answers it once.
    password: NewPassword | None = None
