"""API tokens and channels as pure rules: format, hashing, state, scopes, the channel."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta

import pytest

from server.domain.actor import CurrentUser
from server.domain.api_tokens import (
    SCOPES,
    TOKEN_PREFIX,
    TokenState,
    hash_token,
    looks_like_token,
    new_token,
    token_state,
)
from server.domain.channels import channel_for
from server.features.integrations.schemas import Scope

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
STAFF = CurrentUser("u1", "rep@corp.test", "Rep", "rep")
BRIDGE = CurrentUser(
    "u2", "i@x.invalid", "EDI", "integration", scopes=frozenset({"orders:read"}), channel="edi"
)


def test_new_tokens_are_prefixed_random_and_hashed_hex():
    first, second = new_token(), new_token()
    assert first.startswith(TOKEN_PREFIX) and first != second
    assert len(first) - len(TOKEN_PREFIX) >= 43  # 256 bits in URL-safe base64
    assert looks_like_token(first) and not looks_like_token("eyJhbGciOi.jwt")
    assert len(hash_token(first)) == 64 and hash_token(first) != hash_token(second)


@pytest.mark.parametrize(
    ("expires", "revoked", "state"),
    [
        (None, None, TokenState.ACTIVE),
        (NOW + timedelta(seconds=1), None, TokenState.ACTIVE),
        (NOW, None, TokenState.EXPIRED),
        (None, NOW - timedelta(days=1), TokenState.REVOKED),
        (NOW - timedelta(days=1), NOW - timedelta(days=2), TokenState.REVOKED),
    ],
)
def test_token_state(expires, revoked, state):
    assert token_state(expires=expires, revoked=revoked, now=NOW) == state


def test_the_input_scopes_are_exactly_the_domains():
    assert set(typing.get_args(Scope)) == set(SCOPES)


def test_scopes_limit_tokens_not_staff():
    assert BRIDGE.may("orders:read") and not BRIDGE.may("orders:write")
    assert STAFF.may("orders:write")  # staff are checked by role instead


@pytest.mark.parametrize(
    ("user", "edge", "declared", "channel"),
    [
        (BRIDGE, "api", "web", "edi"),
        (STAFF, "sync", "web", "phone"),
        (STAFF, "page", "phone", "web"),
        (STAFF, "api", "field", "phone"),
        (STAFF, "api", "phone", "phone"),
        (STAFF, "api", "api", "web"),
        (STAFF, "api", "edi", "web"),
        (STAFF, "api", None, "web"),
    ],
)
def test_the_channel_is_the_callers(user, edge, declared, channel):
    assert channel_for(user, edge, declared) == channel
