"""Kept-alive HTTP/1.1 connections for webhook deliveries, one pool per checked address.

The outbox worker shares the server process with the order desk, so what a delivery costs
in CPU is taken from placing orders. A general-purpose client (httpx over httpcore and
anyio) spent about a quarter of an order's cost on each POST; the protocol itself is h11's
(the HTTP/1.1 state machine httpx is built on), driven here straight over asyncio streams.

A connection goes back to its pool only when both sides finished their message cleanly;
one that the receiver closed while it sat idle fails on its next use, and that request is
tried once more on a fresh connection (a webhook carries its id, so a receiver that got
both can tell).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from dataclasses import dataclass

import h11

__all__ = ["Target", "WebhookConnections"]

# What is read of an answer's body before the connection is dropped instead of reused:
# only the status matters, and a receiver should not make the worker read megabytes.
_MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes: the address that was checked, and the name it was checked for
    (the Host header and, over TLS, the certificate's name)."""

    scheme: str
    address: str
    port: int
    host: str


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = h11.Connection(h11.CLIENT)

    async def post(self, path: str, headers: list[tuple[str, str]], body: bytes) -> int:
        protocol = self.protocol
        self.writer.write(
            protocol.send(h11.Request(method="POST", target=path, headers=headers))
            + protocol.send(h11.Data(data=body))
            + protocol.send(h11.EndOfMessage())
        )
        await self.writer.drain()
        status, read = 0, 0
        while True:
            event = protocol.next_event()
            if event is h11.NEED_DATA:
                protocol.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                read += len(event.data)
                if read > _MAX_BODY:
                    self.close()
                    return status
            elif isinstance(event, h11.EndOfMessage):
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("the receiver closed the connection")

    @property
    def open(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def ready_for_next(self) -> bool:
        """Whether both messages ended cleanly (then the next request may follow)."""
        if not (self.open and self.protocol.our_state is self.protocol.their_state is h11.DONE):
            return False
        self.protocol.start_next_cycle()
        return True

    def close(self) -> None:
        self.writer.close()


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

    async def post(self, target: Target, path: str, headers: dict[str, str], body: bytes) -> int:
        """POST `body` and return the answer's status; raises OSError or TimeoutError when
        no answer came, h11.ProtocolError when the answer was not HTTP."""
        fields = [
            ("host", headers.get("host", target.host)),
            *((k, v) for k, v in headers.items() if k != "host"),
            ("content-length", str(len(body))),
        ]
        async with asyncio.timeout(self.timeout):
            while self._idle[target]:
                connection = self._idle[target].pop()
                if not connection.open:
                    connection.close()
                    continue
                try:
                    return await self._use(target, connection, path, fields, body)
                except (OSError, h11.ProtocolError):
                    # Closed by the receiver while idle: a fresh connection is tried below.
                    connection.close()
            return await self._use(target, await self._connect(target), path, fields, body)

    async def _use(
        self,
        target: Target,
        connection: _Connection,
        path: str,
        fields: list[tuple[str, str]],
        body: bytes,
    ) -> int:
        try:
            status = await connection.post(path, fields, body)
        except BaseException:
            connection.close()
            raise
        if len(self._idle[target]) < self.idle_per_target and connection.ready_for_next():
            self._idle[target].append(connection)
        else:
            connection.close()
        return status

    async def _connect(self, target: Target) -> _Connection:
        tls: ssl.SSLContext | None = None
        if target.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                target.address,
                target.port,
                ssl=tls,
                server_hostname=target.host if tls is not None else None,
            ),
            self.connect_timeout,
        )
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
