"""The worker's HTTP/1.1 connections against real receivers on 127.0.0.1: kept alive
between deliveries, a fresh one when the receiver closed the old, bounded in time and in
what is read, and TLS that checks the receiver's certificate."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import uvloop

from server.features.notifications.webhook_connections import Target, WebhookConnections
from server.features.notifications.webhook_sender import Routes, SendResult, send_webhook

Answer = Callable[[bytes], Awaitable[bytes | None]]


class Receiver:
    """A raw HTTP/1.1 server: counts connections and requests; `answer` builds each
    response from the request head (None: close without answering)."""

    def __init__(self, answer: Answer, *, close_after_each: bool = False) -> None:
        self.answer, self.close_after_each = answer, close_after_each
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                response = await self.answer(head)
                if response is None:
                    break
                writer.write(response)
                await writer.drain()
                if self.close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close_idle(self) -> None:
        for writer in self.writers:
            writer.close()


async def no_content(head: bytes) -> bytes:
    return b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


async def serve(receiver: Receiver, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=tls)


async def deliver(server: asyncio.Server, pool: WebhookConnections) -> SendResult:
    """One signed webhook to the receiver, through the sender the worker uses."""
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks"
    try:
        return await send_webhook(
            url,
            secret="whsec_" + "A" * 44,
            message_id="msg_1",
            body=b"{}",
            allow_private=True,
            connections=pool,
        )
    finally:
        await pool.aclose()


def target(server: asyncio.Server, scheme: str = "http", host: str = "127.0.0.1") -> Target:
    return Target(scheme, "127.0.0.1", server.sockets[0].getsockname()[1], host)


async def test_deliveries_to_one_receiver_share_one_kept_alive_connection():
    receiver = Receiver(no_content)
    async with await serve(receiver) as server:
        pool = WebhookConnections()
        statuses = [await pool.post(target(server), "/hooks", {}, b"{}") for _ in range(5)]
        await pool.aclose()
    assert statuses == [204] * 5
    assert (receiver.connections, len(receiver.requests)) == (1, 5)


async def test_a_connection_the_receiver_closed_while_idle_is_replaced():
    receiver = Receiver(no_content)
    async with await serve(receiver) as server:
        pool = WebhookConnections()
        assert await pool.post(target(server), "/hooks", {}, b"{}") == 204
        receiver.close_idle()
        await asyncio.sleep(0.05)
        assert await pool.post(target(server), "/hooks", {}, b'{"n":2}') == 204
        await pool.aclose()
    assert receiver.connections == 2
    assert receiver.requests[-1].endswith(b'{"n":2}')


async def test_a_receiver_that_closes_after_each_answer_is_still_served():
    receiver = Receiver(no_content, close_after_each=True)
    async with await serve(receiver) as server:
        pool = WebhookConnections()
        statuses = [await pool.post(target(server), "/hooks", {}, b"{}") for _ in range(3)]
        await pool.aclose()
    assert statuses == [204] * 3
    assert receiver.connections == 3


async def test_a_chunked_answer_with_a_body_is_read_and_the_connection_reused():
    async def chunked(head: bytes) -> bytes:
        return b"HTTP/1.1 202 Accepted\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"

    receiver = Receiver(chunked)
    async with await serve(receiver) as server:
        pool = WebhookConnections()
        statuses = [await pool.post(target(server), "/hooks", {}, b"{}") for _ in range(2)]
        await pool.aclose()
    assert statuses == [202, 202]
    assert receiver.connections == 1


async def test_a_huge_answer_is_not_read_to_its_end():
    async def huge(head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n" + b"x" * 200_000

    receiver = Receiver(huge)
    async with await serve(receiver) as server:
        pool = WebhookConnections(timeout=5)
        assert await pool.post(target(server), "/hooks", {}, b"{}") == 200
        assert await pool.post(target(server), "/hooks", {}, b"{}") == 200
        await pool.aclose()
    assert receiver.connections == 2  # the first was dropped, not kept with a body unread


async def test_a_receiver_that_never_answers_times_out_as_a_failed_attempt():
    async def silent(head: bytes) -> bytes | None:
        await asyncio.sleep(30)
        return None

    receiver = Receiver(silent)
    async with await serve(receiver) as server:
        result = await deliver(server, WebhookConnections(timeout=0.5))
    assert not result.ok and result.status_code is None
    assert result.error is not None and result.error.startswith("TimeoutError")
    assert result.duration_ms < 3000


async def test_a_kept_alive_connection_that_stops_answering_times_out_once_not_twice():
    """The time allowed covers the whole request: a receiver that answered before on the
    same connection, then goes silent, fails the request when that time is up, and it is
    not sent again on a fresh connection to wait as long a second time."""
    answered = 0

    async def silent_once(head: bytes) -> bytes | None:
        nonlocal answered
        answered += 1
        if answered == 2:
            await asyncio.sleep(30)
        return await no_content(head)

    receiver = Receiver(silent_once)
    async with await serve(receiver) as server:
        pool = WebhookConnections(timeout=0.5)
        assert await pool.post(target(server), "/hooks", {}, b"{}") == 204
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            await pool.post(target(server), "/hooks", {}, b"{}")
        waited = time.perf_counter() - started
        # The silent connection was dropped; the next request opens another.
        assert await pool.post(target(server), "/hooks", {}, b"{}") == 204
        await pool.aclose()
    assert 0.5 <= waited < 0.9
    assert (receiver.connections, len(receiver.requests)) == (2, 3)


async def test_an_answer_that_is_not_http_is_a_failed_attempt():
    async def garbage(head: bytes) -> bytes:
        return b"SSH-2.0-OpenSSH\r\n\r\n"

    receiver = Receiver(garbage)
    async with await serve(receiver) as server:
        result = await deliver(server, WebhookConnections())
    assert not result.ok and result.status_code is None and result.error


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*command, "-keyout", str(key), "-out", str(cert), "-subj", "/CN=receiver.test"],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_tls_to_a_receiver_whose_certificate_is_not_trusted_is_refused(self_signed):
    receiver = Receiver(no_content)
    async with await serve(receiver, tls=self_signed) as server:
        pool = WebhookConnections()
        with pytest.raises(ssl.SSLCertVerificationError):
            await pool.post(target(server, "https", "receiver.test"), "/hooks", {}, b"{}")
        await pool.aclose()
    assert receiver.requests == []


async def test_connections_opened_for_parallel_deliveries_are_all_kept_for_the_next():
    async def slow(head: bytes) -> bytes:
        await asyncio.sleep(0.05)
        return await no_content(head)

    receiver = Receiver(slow)
    async with await serve(receiver) as server:
        pool = WebhookConnections(idle_per_target=10)
        for _ in range(3):  # three rounds of ten at once
            statuses = await asyncio.gather(
                *(pool.post(target(server), "/hooks", {}, b"{}") for _ in range(10))
            )
            assert statuses == [204] * 10
        await pool.aclose()
    assert receiver.connections == 10


async def test_a_target_that_would_split_the_request_is_refused_before_anything_is_sent():
    receiver = Receiver(no_content)
    async with await serve(receiver) as server:
        pool = WebhookConnections()
        for path, headers in (
            ("/hooks HTTP/1.1\r\nx-injected: 1", {}),
            ("/hooks and more", {}),
            ("/hooks", {"webhook-id": "msg_1\r\nx-injected: 1"}),
        ):
            with pytest.raises(ValueError):
                await pool.post(target(server), path, headers, b"{}")
        port = server.sockets[0].getsockname()[1]
        refused = await send_webhook(
            f"http://127.0.0.1:{port}/hooks and more",
            secret="whsec_" + "A" * 44,
            message_id="msg_1",
            body=b"{}",
            allow_private=True,
            connections=pool,
        )
        await pool.aclose()
    assert not refused.ok and refused.error is not None and "cannot be sent" in refused.error
    assert (receiver.connections, receiver.requests) == (0, [])


async def test_a_round_resolves_each_host_once_however_many_messages_go_to_it(monkeypatch):
    loop = asyncio.get_running_loop()
    resolved: list[str] = []
    real = loop.getaddrinfo

    async def counted(host: str, *args: object, **kwargs: object) -> object:
        resolved.append(host)
        return await real(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", counted)
    receiver = Receiver(no_content)
    async with await serve(receiver) as server:
        url = f"http://localhost:{server.sockets[0].getsockname()[1]}/hooks"
        pool, routes = WebhookConnections(), Routes()

        async def one(n: int) -> SendResult:
            return await send_webhook(
                url,
                secret="whsec_" + "A" * 44,
                message_id=f"msg_{n}",
                body=b"{}",
                allow_private=True,
                connections=pool,
                routes=routes,
            )

        results = await asyncio.gather(*(one(n) for n in range(6)))
        await pool.aclose()
    assert [r.status_code for r in results] == [204] * 6
    assert resolved == ["localhost"]
    assert len(receiver.requests) == 6


def test_deliveries_work_on_uvloop_the_loop_the_server_runs_on():
    async def deliver_twice() -> tuple[list[int], int]:
        receiver = Receiver(no_content)
        async with await serve(receiver) as server:
            pool = WebhookConnections()
            statuses = [await pool.post(target(server), "/hooks", {}, b"{}") for _ in range(2)]
            await pool.aclose()
        return statuses, receiver.connections

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(deliver_twice()) == ([204, 204], 1)
