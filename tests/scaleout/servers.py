"""Real server processes, started as an operator starts them (`python -m server.cli serve`),
each with a data directory of its own like a container, with the environment that
compose.yaml gives its app processes; always stopped by the test that started them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
TEST_SECRET = "scaleout-secret-" + "y" * 40
READY_SECONDS = 120

_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`, from `given`."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if given.get(name):
            return given[name]
        if kind == "-":
            return rest
        raise AssertionError(f"compose.yaml needs {name}: {rest}")

    return _VARIABLE.sub(one, value)


def compose_environment(database_url: str, **overrides: str) -> dict[str, str]:
    """The FIELDSALES_* environment compose.yaml gives its app processes, with the test's
    own database in place of the compose network's and the test's secret."""
    spec = yaml.safe_load(COMPOSE_FILE.read_text())
    apps = {name: s for name, s in spec["services"].items() if name.startswith("app")}
    assert len(apps) >= 2, "compose.yaml runs at least two app processes"
    environments = [dict(s["environment"]) for s in apps.values()]
    assert all(e == environments[0] for e in environments), "every process gets the same env"
    env = {
        k: _interpolate(str(v), {"FIELDSALES_SECRET_KEY": TEST_SECRET})
        for k, v in environments[0].items()
    }
    assert env["FIELDSALES_DATABASE_URL"].startswith("postgresql+asyncpg://")
    env["FIELDSALES_DATABASE_URL"] = database_url
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _process_env(settings: dict[str, str], data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env.update(settings)
    env["FIELDSALES_DATA_DIR"] = str(data_dir)
    return env


def run_cli(settings: dict[str, str], data_dir: Path, *args: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=_process_env(settings, data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@dataclass
class Server:
    """One `fieldsales serve` process on a port of its own; start, kill -9, start again."""

    settings: dict[str, str]
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def start(self, *extra: str) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port), *extra],
                env=_process_env(self.settings, self.data_dir),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server never became ready: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing, as when the machine or the OOM killer stops it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def start_all(servers: list[Server], *extra: str) -> None:
    """Start the processes together (each upgrades the schema first, as `serve` does)."""
    for server in servers:
        server.start(*extra)
    for server in servers:
        server.wait_ready()


async def fetch_all(url: str, sql: str, **params: Any) -> list[Any]:
    """Rows straight from the database, as an operator's query would see them."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
