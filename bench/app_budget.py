"""The rep's first load (issue 21), measured in real Chromium against a real server.

1. Bytes on the wire: everything a new phone downloads from opening the login page until
   the first sync is complete and the service worker has precached the app: the login
   page, the shell, the worker's precache and the first pull. Counted as Chromium saw them
   (encoded bodies plus headers, `Request.sizes()`), the worker's own requests included;
   an answer the worker serves from its cache costs nothing on the wire and is not counted.
   Budget: 150 KB.
2. Time: on an emulated slow-4G phone (Chromium DevTools: 400 kbit/s down and up, 400 ms
   round trip, CPU slowed 4x), from tapping "Log in" on the login page until the home page
   shows the rep's data (`body[data-home='data']`: the greeting and the first page of the
   first pull on screen). Printed beside it: until the whole first sync is in
   (`data-sync-state='ok'`). The median of 3 fresh phones (empty cache, no worker).
   Budget: 3 s.

Run from the repository root (needs /usr/bin/chromium):

    .venv/bin/python bench/app_budget.py

Prints the figures, the machine's speed (bench/machine.py) and the heaviest downloads, and
exits 1 when a budget is missed.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_speed

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BYTES_BUDGET = 150 * 1024
TIME_BUDGET_S = 3.0
SLOW_4G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
CPU_SLOWDOWN = 4
RUNS = 3


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


def _phone(browser, base: str):  # type: ignore[no-untyped-def]
    return browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=base, is_mobile=True, has_touch=True
    )


def _log_in(page) -> float:  # type: ignore[no-untyped-def]
    """Fills the login form, taps "Log in"; returns the moment of the tap. The login page
    has fetched all it asks for first, as it has by the time a rep has typed an e-mail
    address and a password."""
    page.goto("/login", wait_until="networkidle", timeout=60_000)
    page.get_by_label("E-mail").fill("rep1@example.com")
    page.get_by_label("Password").fill("demo1234")
    tapped = time.perf_counter()
    page.get_by_role("button", name="Log in").click()
    return tapped


def _kind(url: str, from_worker: bool) -> str:
    if from_worker:
        return "worker precache"
    if "/api/sync/v1/pull" in url:
        return "first pull"
    if "/api/" in url:
        return "other API"
    if url.endswith("/login"):
        return "login page"
    return "shell"


def first_load_bytes(browser, base: str) -> tuple[int, dict[str, int], list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    context = _phone(browser, base)
    finished = []
    context.on("requestfinished", lambda request: finished.append(request))
    page = context.new_page()
    _log_in(page)
    page.locator("body[data-sync-state='ok']").wait_for(state="attached", timeout=120_000)
    deadline = time.monotonic() + 120
    while (
        not page.evaluate("navigator.serviceWorker.controller !== null")
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    page.wait_for_timeout(500)
    per_kind: dict[str, int] = defaultdict(int)
    rows = []
    for request in finished:
        response = request.response()
        if response is None or response.from_service_worker:
            continue
        sizes = request.sizes()
        wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        url = request.url.removeprefix(base)
        kind = _kind(url, request.service_worker is not None)
        per_kind[kind] += wire
        rows.append((f"{kind}: {response.status} {url}", wire))
    context.close()
    rows.sort(key=lambda r: -r[1])
    return sum(per_kind.values()), dict(per_kind), rows


def login_to_home_seconds(browser, base: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    context = _phone(browser, base)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    tapped = _log_in(page)
    page.locator("body[data-home='data']").wait_for(state="attached", timeout=120_000)
    with_data = time.perf_counter() - tapped
    page.locator("body[data-sync-state='ok']").wait_for(state="attached", timeout=300_000)
    synced = time.perf_counter() - tapped
    context.close()
    return with_data, synced


def main() -> int:
    from playwright.sync_api import sync_playwright

    speed = machine_speed()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, base = _start_server(data_dir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                total, per_kind, rows = first_load_bytes(browser, base)
                runs = int(os.environ.get("BENCH_RUNS", RUNS))
                times = [login_to_home_seconds(browser, base) for _ in range(runs)]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    for url, wire in rows[: int(os.environ.get("BENCH_ROWS", "12"))]:
        print(f"  {url[:72]:<72} {wire:>8} B")
    print("  " + ", ".join(f"{k}: {v / 1024:.1f} KB" for k, v in sorted(per_kind.items())))
    with_data = statistics.median(t[0] for t in times)
    synced = statistics.median(t[1] for t in times)
    bytes_ok = total <= BYTES_BUDGET
    time_ok = with_data <= TIME_BUDGET_S
    print(f"machine speed: {speed:.2f} s (bench/machine.py)")
    print(
        f"first load on the wire: {total / 1024:.1f} KB, "
        f"budget {BYTES_BUDGET // 1024} KB: {'ok' if bytes_ok else 'MISSED'}"
    )
    print(
        f"tap 'Log in' to home with data on slow 4G (400 kbit/s, 400 ms RTT), "
        f"CPU/{CPU_SLOWDOWN}, median of {len(times)}: {with_data:.2f} s "
        f"(runs {', '.join(f'{t[0]:.2f}' for t in times)}); whole first sync "
        f"{synced:.2f} s; budget {TIME_BUDGET_S:.0f} s: {'ok' if time_ok else 'MISSED'}"
    )
    return 0 if bytes_ok and time_ok else 1


if __name__ == "__main__":
    sys.exit(main())
