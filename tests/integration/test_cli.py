"""The `fieldsales` command, run as a user would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from server.cli import main

DEMO_EMAILS = ["admin@example.com", "manager@example.com", "rep1@example.com", "rep2@example.com", "rep3@example.com"]


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
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
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
    assert main(["user", "create", "--email", "real@corp.com", "--name", "Real", "--role", "admin", "--password", "s3cret-pass"]) == 0
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
