"""One signed webhook request, to an address checked when its round is sent.

The host is resolved here, once a round, and every address it resolves to must be public,
unless the admin allowed private ones; the request then goes to the address that was
checked (the host name kept for the Host header and TLS), so a DNS answer that changes
between the check and the connection cannot lead it into the server's own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.domain.delivery import is_public_address, sign_webhook
from server.features.notifications.webhook_connections import (
    BadAnswer,
    Target,
    WebhookConnections,
    request_head,
)

__all__ = ["Route", "Routes", "SendResult", "send_webhook"]


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None


class RefusedAddress(Exception):
    pass


async def _pinned_address(host: str, port: int, allow_private: bool) -> str:
    try:
        # An address written in the URL needs no resolver (whose call takes a thread).
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise RefusedAddress(f"{host} does not resolve")
    if not allow_private:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise RefusedAddress(
                f"{host} resolves to a private, loopback or link-local address ({refused[0]});"
                " an admin must allow private addresses for this endpoint"
            )
    return addresses[0]


# The route's shared head, then each message's own headers and its body.
_MESSAGE_HEAD = (
    b"%swebhook-id: %s\r\nwebhook-timestamp: %d\r\nwebhook-signature: %s\r\n"
    b"content-length: %d\r\n\r\n%s"
)


@dataclass(frozen=True, slots=True)
class Route:
    """Where one endpoint's messages go this round: the checked address, and the request
    line and headers that every message to it shares, checked once."""

    target: Target
    head: bytes


class Routes:
    """The routes of one round of deliveries: each endpoint's URL is parsed, its host
    resolved and checked, and its shared request head built once, however many messages
    go to it, so a round costs one resolver call per host instead of one per message. A
    round lasts seconds; the next one checks anew, so a changed DNS answer is followed."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, bool], asyncio.Future[Route]] = {}

    async def route(self, url: str, allow_private: bool) -> Route:
        """The URL's route; raises RefusedAddress, OSError (no answer from the resolver)
        or ValueError (a URL that cannot be sent)."""
        key = (url, allow_private)
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = asyncio.ensure_future(_route(url, allow_private))
        # Shielded: one delivery timing out must not cancel the check the others await.
        return await asyncio.shield(route)


async def _route(url: str, allow_private: bool) -> Route:
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedAddress("not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await _pinned_address(host, port, allow_private)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = request_head(
        path,
        [
            ("host", parts.netloc.rsplit("@", 1)[-1]),
            ("content-type", "application/json"),
            ("user-agent", "Fieldsales-Webhooks/1"),
        ],
    )
    return Route(Target(parts.scheme, address, port, host), head)


async def send_webhook(
    url: str,
    *,
    secret: str,
    message_id: str,
    body: bytes,
    allow_private: bool,
    connections: WebhookConnections,
    routes: Routes | None = None,
) -> SendResult:
    started = time.perf_counter()

    def result(ok: bool, status: int | None, error: str | None) -> SendResult:
        return SendResult(ok, status, int((time.perf_counter() - started) * 1000), error)

    try:
        route = await (routes or Routes()).route(url, allow_private)
    except (RefusedAddress, OSError, ValueError) as exc:
        return result(False, None, str(exc))
    timestamp = int(time.time())
    # The message's own headers: an id the outbox made, digits and base64; nothing in
    # them can split the head.
    request = _MESSAGE_HEAD % (
        route.head,
        message_id.encode(),
        timestamp,
        sign_webhook(secret, message_id, timestamp, body).encode(),
        len(body),
        body,
    )
    try:
        status = await connections.send(route.target, request)
    except (OSError, TimeoutError, BadAnswer) as exc:
        return result(False, None, f"{type(exc).__name__}: {exc}"[:500])
    ok = 200 <= status < 300
    return result(ok, status, None if ok else f"answered {status}")
