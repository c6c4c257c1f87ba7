"""Where a read request's time goes: cProfile over the ASGI app, in process.

Loads the demo data into a temporary SQLite database, logs in as rep1 and calls one path
through the app many times (several requests in flight, like clients do), then prints the
profile's top functions by their own time and by cumulative time.

    .venv/bin/python bench/profile_reads.py /api/customers?limit=50 --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import secrets
import tempfile
import time
from typing import Any


async def _call(
    app: Any, method: str, path: str, token: str, body: bytes = b""
) -> tuple[int, bytes]:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _run(path: str, requests: int, in_flight: int, sort: str, top: int) -> None:
    import msgspec

    from server.app import create_app
    from server.config import load_settings
    from server.db.engine import Database
    from server.db.migrate import upgrade
    from server.demo.loader import load_demo

    settings = load_settings()
    await upgrade(settings.database_url)
    loader = Database(settings.database_url)
    await load_demo(loader)
    await loader.dispose()
    app = create_app(settings)
    status, answer = await _call(
        app,
        "POST",
        "/api/auth/login",
        "",
        msgspec.json.encode({"email": "rep1@example.com", "password": "demo1234"}),
    )
    token = msgspec.json.decode(answer)["access_token"]
    status, answer = await _call(app, "GET", path, token)
    print(f"{path}: {status}, {len(answer)} bytes")
    for _ in range(50):
        await _call(app, "GET", path, token)

    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await _call(app, "GET", path, token)

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    profile.disable()
    elapsed = time.perf_counter() - started
    print(
        f"{requests} requests in {elapsed:.2f} s (profiled): {elapsed / requests * 1000:.2f} ms each"
    )
    stats = pstats.Stats(profile)
    stats.sort_stats(sort).print_stats(top)
    await app.state.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fs-profile-") as tmp:
        os.environ.update(
            FIELDSALES_DATA_DIR=tmp,
            FIELDSALES_SECRET_KEY=secrets.token_urlsafe(48),
            FIELDSALES_LOG_LEVEL="WARNING",
        )
        asyncio.run(_run(args.path, args.requests, args.in_flight, args.sort, args.top))


if __name__ == "__main__":
    main()
