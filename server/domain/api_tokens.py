"""API tokens of integration users, as pure rules.

A token is `fs_live_` followed by 256 random bits (URL-safe base64). The prefix lets a
secret scanner and a person recognise it, and lets the authentication tell it from a JWT
without trying to decode it. Only its SHA-256 is stored: the hash finds the token's row
again, and a copy of the table authenticates nobody. A token works until it expires or is
revoked; what it may do is the list of its scopes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

__all__ = [
    "SCOPES",
    "TOKEN_PREFIX",
    "TokenState",
    "hash_token",
    "looks_like_token",
    "new_token",
    "token_state",
]

TOKEN_PREFIX = "fs_live_"
_TOKEN_BYTES = 32

# Every scope a token can be given, with what it opens (shown on the admin page); a route
# names the one it needs. Reading asks for `:read`, creating, changing and acting on a
# record for `:write`.
SCOPES: dict[str, str] = {
    "catalog:read": "products and categories, their availability, and prices for any customer",
    "stock:read": "stock levels per warehouse and product, and the warehouses",
    "customers:read": "customers, their details and their history",
    "customers:write": "create and change customers",
    "quotes:read": "quotes, their revisions and the differences between them",
    "quotes:write": "create, edit, send, revise, accept and decline quotes",
    "orders:read": "orders, their shipments and returns, and the order export",
    "orders:write": (
        "place, amend and cancel orders; turn an accepted quote into an order; call off a "
        "blanket order"
    ),
    "returns:write": "authorise returns (RMA) of shipped, invoiced goods and receive them back",
    "invoices:read": "invoices (of every order, or of one), their payments and credits",
}


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(credential: str) -> bool:
    return credential.startswith(TOKEN_PREFIX)


class TokenState:
    ACTIVE = "active"  # authenticates
    EXPIRED = "expired"  # past its expiry
    REVOKED = "revoked"  # withdrawn by an admin


def token_state(*, expires: datetime | None, revoked: datetime | None, now: datetime) -> str:
    if revoked is not None:
        return TokenState.REVOKED
    if expires is not None and now >= expires:
        return TokenState.EXPIRED
    return TokenState.ACTIVE
