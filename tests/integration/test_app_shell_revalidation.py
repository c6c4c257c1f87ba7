"""A file the phone already holds is revalidated with a 304, so the service worker's
precache costs headers, not the files again; a changed or unknown ETag gets the file."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/static/js/store.js", "/app", "/app/orders/new"])
async def test_a_matching_etag_is_answered_304_without_a_body(client, path):
    first = await client.get(path, headers={"accept-encoding": "br"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "br"
    etag = first.headers["etag"]

    again = await client.get(path, headers={"accept-encoding": "br", "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b"" and "content-encoding" not in again.headers
    assert again.headers["etag"] == etag

    other = await client.get(path, headers={"if-none-match": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content


async def test_a_static_file_streamed_in_several_chunks_is_compressed_and_kept(client):
    """The API docs' bundle (over 1 MB) streams in chunks; compressed, it used to wait for
    the client to leave before answering."""
    import asyncio

    path = "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js"
    plain = await client.get(path)
    assert plain.status_code == 200 and len(plain.content) > 1024 * 1024
    for _ in range(2):  # compressed once, then served from what was kept
        packed = await asyncio.wait_for(client.get(path, headers={"accept-encoding": "br"}), 20)
        assert packed.status_code == 200 and packed.headers["content-encoding"] == "br"
        assert int(packed.headers["content-length"]) < len(plain.content) / 3
        assert packed.content == plain.content  # decoded by the client
