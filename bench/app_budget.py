"""Budgets of the rep's app (issue 6), measured in real Chromium against a real server.

1. Size: the HTML, CSS and JavaScript a first visit to /app fetches, gzip-compressed
   (level 6, what a typical reverse proxy sends). Budget: under 100 KB.
2. Time: the home page interactive on an emulated slow-4G phone (Chromium DevTools:
   400 kbit/s down and up, 400 ms round trip, CPU slowed 4x), from navigation start until
   the page has run its modules (DOMContentLoaded: every control is wired; the budget's
   figure), and until the signed-in rep's greeting shows (the first answer from the API on
   screen; printed beside it). Measured cold
   (empty cache, no service worker; the median of 3 fresh phones) and warm (the next visit,
   served by the worker). Budget: under 2 s cold.

Run from the repository root (needs /usr/bin/chromium):

    .venv/bin/python bench/app_budget.py

Prints both figures and exits 1 when a budget is missed.
"""

from __future__ import annotations

import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SIZE_BUDGET_BYTES = 100 * 1024
TIME_BUDGET_S = 2.0
SLOW_4G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
CPU_SLOWDOWN = 4
SHELL_TYPES = {"document", "stylesheet", "script"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env["FIELDSALES_DATA_DIR"] = data_dir
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not become ready")


def _signed_in_context(browser, base: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=base, is_mobile=True, has_touch=True
    )
    # The API login sets the same HttpOnly cookies as the form, without loading other pages
    # into the cache first.
    answer = context.request.post(
        "/api/auth/login", data={"email": "rep1@example.com", "password": "demo1234"}
    )
    assert answer.ok, answer.text()
    return context


def shell_size(browser, base: str) -> tuple[int, int, list[tuple[str, int, int]]]:  # type: ignore[no-untyped-def]
    context = _signed_in_context(browser, base)
    page = context.new_page()
    bodies: dict[str, bytes] = {}

    def keep(response):  # type: ignore[no-untyped-def]
        if response.request.resource_type in SHELL_TYPES and "/api/" not in response.url:
            try:
                bodies[response.url] = response.body()
            except Exception:
                pass

    page.on("response", keep)
    page.goto("/app", wait_until="networkidle")
    context.close()
    rows = [
        (url.removeprefix(base), len(body), len(gzip.compress(body, 6)))
        for url, body in sorted(bodies.items())
    ]
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


def _interactive_seconds(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    page.goto("/app", wait_until="domcontentloaded", timeout=60_000)
    wired = time.perf_counter() - started
    page.get_by_role("heading", name="Hello, Sam").wait_for(timeout=60_000)
    return wired, time.perf_counter() - started


def _throttled_page(browser, base: str):  # type: ignore[no-untyped-def]
    context = _signed_in_context(browser, base)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page


def interactive_times(
    browser, base: str, runs: int = 3
) -> tuple[tuple[float, float], tuple[float, float]]:  # type: ignore[no-untyped-def]
    cold = []
    for _ in range(runs):
        context, page = _throttled_page(browser, base)
        cold.append(_interactive_seconds(page))
        context.close()
    context, page = _throttled_page(browser, base)
    _interactive_seconds(page)
    # Let the first sync and the worker's precache finish, then come back as a rep would.
    page.locator("body[data-sync-state='ok']").wait_for(state="attached", timeout=300_000)
    deadline = time.monotonic() + 300
    while (
        not page.evaluate("navigator.serviceWorker.controller !== null")
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    warm = _interactive_seconds(page)
    context.close()
    median = (statistics.median(c[0] for c in cold), statistics.median(c[1] for c in cold))
    return median, warm


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data_dir:
        proc, base = _start_server(data_dir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                raw, compressed, rows = shell_size(browser, base)
                cold, warm = interactive_times(browser, base)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    for path, size, gz in rows:
        print(f"  {path:<45} {size:>8} B  {gz:>7} B gzip")
    size_ok = compressed < SIZE_BUDGET_BYTES
    time_ok = cold[0] < TIME_BUDGET_S
    print(
        f"app shell first load: {compressed / 1024:.1f} KB gzip ({raw / 1024:.1f} KB raw), "
        f"budget {SIZE_BUDGET_BYTES // 1024} KB: {'ok' if size_ok else 'MISSED'}"
    )
    print(
        f"home on slow 4G (400 kbit/s, 400 ms RTT), CPU/{CPU_SLOWDOWN}: "
        f"cold: interactive {cold[0]:.2f} s, greeting shown {cold[1]:.2f} s; "
        f"warm (service worker): interactive {warm[0]:.2f} s, greeting shown {warm[1]:.2f} s; "
        f"budget {TIME_BUDGET_S:.0f} s cold: {'ok' if time_ok else 'MISSED'}"
    )
    return 0 if size_ok and time_ok else 1


if __name__ == "__main__":
    sys.exit(main())
