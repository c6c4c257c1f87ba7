"""The `fieldsales` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.cli import main

DEMO_EMAILS = [
    "admin@example.com",
    "manager@example.com",
    "rep1@example.com",
    "rep2@example.com",
    "rep3@example.com",
]


def _env(tmp_path: Path, url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env["FIELDSALES_DATA_DIR"] = str(tmp_path / "data")
    if url:
        env["FIELDSALES_DATABASE_URL"] = url
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_demo_prints_url_and_logins_and_serves(tmp_path: Path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            lines.append(line)
            if "rep3@example.com" in line:
                break
        output = "".join(lines)
        assert f"http://localhost:{port}/" in output
        for email in DEMO_EMAILS:
            assert email in output
        assert "demo1234" in output
        assert "Today the reps placed 18 orders: 5 await approval;" in output
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/readyz", timeout=1
                ) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server never became ready")
        secret = (tmp_path / "data" / "secret_key").read_text()
        assert len(secret) >= 32
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_demo_is_refused_when_real_users_exist(tmp_path: Path, monkeypatch, capsys):
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert (
        main(
            [
                "user",
                "create",
                "--email",
                "real@corp.com",
                "--name",
                "Real",
                "--role",
                "admin",
                "--password",
                "s3cret-pass",
            ]
        )
        == 0
    )
    assert main(["demo"]) == 2
    assert "other than the demo ones" in capsys.readouterr().err


def test_db_upgrade_then_demo_loads_once(tmp_path: Path, monkeypatch, capsys):
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["db", "upgrade"]) == 0
    assert main(["demo"]) == 0
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Demo data: loaded." in out and "Demo data: already present." in out


def _login_status(port: int, email: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        method="POST",
        data=json.dumps({"email": email, "password": "wrong"}).encode(),
        headers={"content-type": "application/json", "x-forwarded-for": forwarded_for},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_served_login_limit_holds_across_workers_and_forged_forwarded_for(tmp_path: Path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--workers", "2", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server never became ready")
        # From loopback, as a local attacker would: a new forwarded address each time, and
        # connections spread over both worker processes.
        statuses = [
            _login_status(port, f"who{i}@example.com", f"198.51.100.{i}") for i in range(12)
        ]
        assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429], statuses
    finally:
        proc.terminate()
        proc.wait(timeout=30)
