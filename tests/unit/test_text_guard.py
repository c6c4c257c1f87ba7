"""The NUL guard reads a body in whatever chunks the server hands it."""

from __future__ import annotations

import pytest

from server.domain.errors import ValidationFailed
from server.http.text_guard import NulTextGuard


async def _read_through(
    chunks: list[bytes], path: str = "/api/customers", query: bytes = b""
) -> bytes:
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    read = b""

    async def receive():
        return messages.pop(0)

    async def app(scope, receive_, send):
        nonlocal read
        while True:
            message = await receive_()
            read += message["body"]
            if not message["more_body"]:
                return

    guard = NulTextGuard(app, exempt_paths=("/api/sync/v1/push",))
    await guard({"type": "http", "path": path, "query_string": query}, receive, None)
    return read


@pytest.mark.parametrize("cut", range(1, 7))
async def test_an_escaped_nul_split_between_chunks_is_still_refused(cut):
    body = b'{"legal_name": "A\\u0000B"}'
    at = body.index(b"\\u0000") + cut
    with pytest.raises(ValidationFailed):
        await _read_through([body[:at], body[at:]])


async def test_clean_bodies_pass_whole_and_the_sync_push_is_left_to_the_sync_engine():
    body = b'{"legal_name": "A\\\\u00 B"}'
    assert await _read_through([body[:10], body[10:]]) == body
    assert (
        await _read_through([b'{"x": "\\u0000"}'], path="/api/sync/v1/push") == b'{"x": "\\u0000"}'
    )
    with pytest.raises(ValidationFailed):
        await _read_through([b"a,b\n1,\x002\n"])
    with pytest.raises(ValidationFailed):
        await _read_through([b""], query=b"q=a%00b")
