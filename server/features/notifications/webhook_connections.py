"""Kept-alive HTTP/1.1 connections for webhook deliveries, one pool per checked address.

The outbox worker shares the server process with the order desk, so what a delivery costs
in CPU is taken from placing orders. A general-purpose client (httpx over httpcore and
anyio) spent about a quarter of an order's cost on each POST, and h11's pure-Python state
machine over asyncio streams still a tenth. So a connection here is an asyncio protocol:
the request, whose every part the sender made itself, is written as one buffer, and the
answer is parsed by httptools (the C parser, llhttp, that uvicorn serves with).

A connection goes back to its pool only when the answer ended cleanly and the receiver
keeps the connection alive; one that the receiver closed while it sat idle fails on its
next use, and that request is tried once more on a fresh connection (a webhook carries
its id, so a receiver that got both can tell).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httptools

__all__ = ["BadAnswer", "Target", "WebhookConnections", "request_head"]

# What is read of an answer's body before the connection is dropped instead of reused:
# only the status matters, and a receiver should not make the worker read megabytes.
_MAX_BODY = 64 * 1024


class BadAnswer(Exception):
    """What came back is not an HTTP/1.1 answer."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes: the address that was checked, and the name it was checked for
    (the Host header and, over TLS, the certificate's name)."""

    scheme: str
    address: str
    port: int
    host: str


def request_head(path: str, fields: list[tuple[str, str]]) -> bytes:
    """A POST's request line and `fields` as header lines, each ended by CRLF. Every
    value comes from the sender or the endpoint's URL; a control character or a space
    where none may be would split or end the head, so such a request is refused before
    anything is written."""
    if not path.startswith("/") or not path.isprintable() or " " in path:
        raise ValueError(f"the request target {path!r} cannot be sent")
    lines = [f"POST {path} HTTP/1.1\r\n"]
    for name, value in fields:
        if not value.isprintable() or not name.isprintable() or ":" in name or " " in name:
            raise ValueError(f"the header {name!r} cannot be sent")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1")


class _Connection(asyncio.Protocol):
    """One connection, one request at a time; httptools calls the `on_*` methods."""

    def __init__(self) -> None:
        # uvloop's transports (the loop the server runs on) are not asyncio.Transport
        # subclasses, though they have its methods.
        self.transport: Any = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[int] | None = None
        self.status = 0
        self.body_read = 0
        self.reusable = False
        self.closed = False
        # When the request in flight gives up waiting (the event loop's clock).
        self.deadline = 0.0

    # -- asyncio ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._settle(error=BadAnswer(f"the receiver's answer is not HTTP/1.1 ({exc})"))
            self.close()

    def eof_received(self) -> bool | None:
        return None  # the transport closes; connection_lost settles what is waiting

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.status:
            # An answer whose body runs to the end of the connection ends here.
            self._settle(status=self.status)
        else:
            self._settle(error=ConnectionResetError("the receiver closed the connection"))

    # -- httptools --------------------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body_read += len(body)
        if self.body_read > _MAX_BODY:
            self._settle(status=self.status)
            self.close()

    def on_message_complete(self) -> None:
        self.reusable = self.parser.should_keep_alive()
        self._settle(status=self.status)

    # -- the pool's side --------------------------------------------------------------------

    def _settle(self, *, status: int = 0, error: BaseException | None = None) -> None:
        answer = self.answer
        if answer is None or answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(status)

    async def post(self, request: bytes) -> int:
        if self.closed or self.transport is None:
            raise ConnectionResetError("the receiver closed the connection")
        self.answer = asyncio.get_running_loop().create_future()
        self.status, self.body_read, self.reusable = 0, 0, False
        # A webhook's request is a few kilobytes: the transport buffers what the socket
        # does not take at once, so there is nothing to wait for before the answer.
        self.transport.write(request)
        try:
            return await self.answer
        finally:
            self.answer = None

    @property
    def open(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def ready_for_next(self) -> bool:
        """Whether the answer ended cleanly and the connection stays open for the next."""
        return self.reusable and self.open

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def time_out(self) -> None:
        self._settle(error=TimeoutError("no answer in the time allowed"))
        self.close()


class WebhookConnections:
    """The worker's connections, reused across rounds; closed when the worker stops."""

    def __init__(
        self, *, connect_timeout: float = 5.0, timeout: float = 10.0, idle_per_target: int = 8
    ) -> None:
        # `idle_per_target`: as many as the worker sends at once, or each round would open
        # again the connections it closed at the end of the last.
        self.connect_timeout, self.timeout = connect_timeout, timeout
        self.idle_per_target = idle_per_target
        self._idle: dict[Target, list[_Connection]] = defaultdict(list)
        self._tls: ssl.SSLContext | None = None
        # The requests waiting for an answer, their deadlines checked by one timer for all
        # of them: a timer of its own for each request (asyncio.timeout) cost more than
        # writing the request.
        self._in_flight: set[_Connection] = set()
        self._watch: asyncio.TimerHandle | None = None
        self._tick = min(1.0, max(0.01, timeout / 10))

    async def post(self, target: Target, path: str, headers: dict[str, str], body: bytes) -> int:
        """POST `body` and return the answer's status; raises OSError or TimeoutError when
        no answer came, BadAnswer when the answer was not HTTP, ValueError when the request
        cannot be written."""
        fields = [
            ("host", headers.get("host", target.host)),
            *((k, v) for k, v in headers.items() if k != "host"),
            ("content-length", str(len(body))),
        ]
        return await self.send(target, request_head(path, fields) + b"\r\n" + body)

    async def send(self, target: Target, request: bytes) -> int:
        """Send a whole request, made with `request_head`, and return the answer's status;
        raises as `post` does. The time allowed (`timeout`) covers the whole request, a
        second try on a fresh connection included."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        idle = self._idle[target]
        while idle:
            connection = idle.pop()
            if not connection.open:
                continue
            try:
                return await self._use(target, connection, request, deadline)
            except TimeoutError:
                raise
            except (OSError, BadAnswer):
                pass  # closed by the receiver while idle: a fresh connection is tried below
        connection = await self._connect(target, deadline)
        return await self._use(target, connection, request, deadline)

    async def _use(
        self, target: Target, connection: _Connection, request: bytes, deadline: float
    ) -> int:
        connection.deadline = deadline
        self._in_flight.add(connection)
        if self._watch is None:
            self._watch = asyncio.get_running_loop().call_later(self._tick, self._time_out)
        try:
            status = await connection.post(request)
        except BaseException:
            connection.close()
            raise
        finally:
            self._in_flight.discard(connection)
        if len(self._idle[target]) < self.idle_per_target and connection.ready_for_next():
            self._idle[target].append(connection)
        else:
            connection.close()
        return status

    def _time_out(self) -> None:
        """Every tick while requests wait: those past their deadline fail with
        TimeoutError (and their connections close)."""
        self._watch = None
        now = asyncio.get_running_loop().time()
        for connection in [c for c in self._in_flight if c.deadline <= now]:
            self._in_flight.discard(connection)
            connection.time_out()
        if self._in_flight:
            self._watch = asyncio.get_running_loop().call_later(self._tick, self._time_out)

    async def _connect(self, target: Target, deadline: float) -> _Connection:
        tls: ssl.SSLContext | None = None
        if target.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        left = deadline - asyncio.get_running_loop().time()
        _, connection = await asyncio.wait_for(
            asyncio.get_running_loop().create_connection(
                _Connection,
                target.address,
                target.port,
                ssl=tls,
                server_hostname=target.host if tls is not None else None,
            ),
            max(0.0, min(self.connect_timeout, left)),
        )
        return connection

    async def aclose(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
