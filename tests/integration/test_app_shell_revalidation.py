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
