"""Real headless Chromium against a real server process on loopback.

The server runs `fieldsales serve --demo --no-orders` on a fresh SQLite data directory, as
a new user starts it but without the demo's day of orders. Tests skip loudly without
Chromium, and fail instead in CI (FIELDSALES_REQUIRE_ALL_BACKENDS=1).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server(data_dir: Path, *demo_options: str) -> Iterator[str]:
    """`fieldsales serve --demo` on a fresh data directory, until the block ends; its URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env["FIELDSALES_DATA_DIR"] = str(data_dir)
    # Every browser test logs in against this one server from one address; the login
    # throttle is tested on its own (tests/integration/test_auth_tokens.py).
    env["FIELDSALES_LOGIN_RATE_LIMIT"] = "1000"
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", *demo_options, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The demo data without its day of orders: these tests count, price and earn on what
    # they place themselves (test_demo_day.py opens the demo with its day).
    with demo_server(tmp_path_factory.mktemp("live"), "--no-orders") as url:
        yield url


# Function-scoped on purpose: Playwright's sync API runs an event loop in this thread while
# it is open, which would break the asyncio-based tests that run after these.
@pytest.fixture
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM}"
        if os.environ.get("FIELDSALES_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail(message + " (required here)")
        pytest.skip("SKIPPED LOUDLY: " + message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium: object, live_server: str) -> Iterator[object]:
    context = chromium.new_context(
        viewport=PHONE, base_url=live_server, is_mobile=True, has_touch=True
    )  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
