"""`fieldsales db backup` and `db restore` on the embedded database, run as an operator
would, against a real server taking orders: the copy is consistent and holds every order
acknowledged before the backup began; a restore refuses while the server runs."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env["FIELDSALES_DATA_DIR"] = str(tmp_path / "data")
    return env


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(port: int, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "db", *args],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _start(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            _call(port, "GET", "/readyz")
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    pytest.fail("the server never became ready")


def _order_numbers(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {row[0] for row in conn.execute("SELECT number FROM sales_orders")}
    finally:
        conn.close()


def test_backup_under_load_then_restore_once_the_server_is_stopped(tmp_path: Path):
    port = _port()
    server = _start(tmp_path, port)
    acknowledged: list[tuple[float, str]] = []
    stop = threading.Event()
    try:
        token = _call(
            port,
            "POST",
            "/api/auth/login",
            {"email": "manager@example.com", "password": "demo1234"},
        )["access_token"]
        customers = _call(port, "GET", "/api/customers?limit=20&status=active", token=token)
        products = _call(port, "GET", "/api/products?limit=5", token=token)
        customer_ids = [c["id"] for c in customers["items"]]
        product_ids = [p["id"] for p in products["items"]]

        def place_orders() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                body = {
                    "customer_id": customer_ids[n % len(customer_ids)],
                    "lines": [{"product_id": p, "quantity": 1} for p in product_ids[:3]],
                }
                try:
                    placed = _call(port, "POST", "/api/orders", body, token)
                except urllib.error.HTTPError:
                    continue  # a refusal (credit, stock) is no acknowledgement
                acknowledged.append((time.monotonic(), placed["number"]))

        writers = [threading.Thread(target=place_orders) for _ in range(3)]
        for writer in writers:
            writer.start()
        while len(acknowledged) < 30:
            time.sleep(0.05)
        began = time.monotonic()
        backup_path = tmp_path / "backups" / "fieldsales-1.db"
        backup_path.parent.mkdir()
        backed_up = _cli(tmp_path, "backup", str(backup_path))
        assert backed_up.returncode == 0, backed_up.stderr
        while len([a for a in acknowledged if a[0] > began]) < 10:
            time.sleep(0.05)  # orders keep being taken after the backup too
        stop.set()
        for writer in writers:
            writer.join()

        before = {number for at, number in acknowledged if at < began}
        in_copy = _order_numbers(backup_path)
        assert before <= in_copy

        again = _cli(tmp_path, "backup", str(backup_path))
        assert again.returncode == 2 and "exists already" in again.stderr

        refused = _cli(tmp_path, "restore", str(backup_path))
        assert refused.returncode == 2
        assert "server is running" in refused.stderr
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)

    live = tmp_path / "data" / "fieldsales.db"
    everything = _order_numbers(live)
    assert {number for _, number in acknowledged} <= everything
    assert everything - in_copy  # orders placed after the backup, which a restore drops

    restored = _cli(tmp_path, "restore", str(backup_path))
    assert restored.returncode == 0, restored.stderr
    assert _order_numbers(live) == in_copy

    port = _port()
    server = _start(tmp_path, port)  # and a server runs on the restored database
    try:
        token = _call(
            port, "POST", "/api/auth/login", {"email": "admin@example.com", "password": "demo1234"}
        )["access_token"]
        assert _call(port, "GET", "/api/orders?limit=1", token=token)["total"] == len(in_copy)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_damaged_backup_is_never_restored(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    live = data / "fieldsales.db"
    conn = sqlite3.connect(live)
    conn.execute("CREATE TABLE kept (x)")
    conn.execute("INSERT INTO kept VALUES (1)")
    conn.commit()
    conn.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x01" * 4096)
    result = _cli(tmp_path, "restore", str(damaged))
    assert result.returncode == 2
    assert "not a readable SQLite database" in result.stderr or "integrity" in result.stderr
    conn = sqlite3.connect(live)
    assert conn.execute("SELECT x FROM kept").fetchall() == [(1,)]
    conn.close()
