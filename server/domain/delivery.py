"""Rules of delivering messages to other systems: retry timing, signatures, addresses.

Pure functions: the worker that sends (server.features.notifications) asks them when to
try again, how to sign, and whether an address may be called at all.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import secrets
from datetime import datetime, timedelta

__all__ = [
    "FIRST_RETRY_SECONDS",
    "LONGEST_RETRY_SECONDS",
    "gives_up",
    "is_public_address",
    "new_webhook_secret",
    "retry_delay",
    "sign_webhook",
    "signing_key",
]

FIRST_RETRY_SECONDS = 5.0
LONGEST_RETRY_SECONDS = 3600.0
_SECRET_PREFIX = "whsec_"


def retry_delay(attempts: int, jitter: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from 5 seconds up to an
    hour, times a jitter factor in [0.5, 1] (`jitter` in [0, 1)) so that receivers coming
    back from an outage are not hit by every sender at the same moment."""
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    exponent = min(max(attempts - 1, 0), 30)
    base = min(FIRST_RETRY_SECONDS * 2**exponent, LONGEST_RETRY_SECONDS)
    return timedelta(seconds=base * (0.5 + jitter / 2))


def gives_up(first_tried: datetime, now: datetime, window: timedelta) -> bool:
    """Retried for `window` (a day by default) since the message was due, then failed."""
    return now - first_tried >= window


def new_webhook_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and base64 of 32 bytes."""
    return _SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(_SECRET_PREFIX))


def sign_webhook(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header's value: `v1,` and base64 of the HMAC-SHA256 of
    `id.timestamp.body` under the secret's key (Standard Webhooks, symmetric)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.digest(signing_key(secret), signed, "sha256")
    return "v1," + base64.b64encode(digest).decode()


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified
    addresses (and IPv4 addresses mapped into IPv6): a webhook must not reach them unless
    an admin allowed it, or it would be a way into the server's own network."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
