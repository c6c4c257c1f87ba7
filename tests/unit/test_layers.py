"""The layers keep to their imports: a pure domain, a framework-free sync protocol, and
direct statements reachable only through a unit of work."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _offenders(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        bad = sorted(
            n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in forbidden)
        )
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_domain_imports_no_framework_and_no_database() -> None:
    assert (
        _offenders(
            _modules("server/domain"),
            (
                "sqlalchemy",
                "litestar",
                "aiosqlite",
                "asyncpg",
                "server.db",
                "server.features",
                "server.security",
            ),
        )
        == {}
    )


def test_sync_imports_neither_litestar_nor_entity_services() -> None:
    assert _offenders(_modules("sync"), ("litestar", "server.security", "server.features")) == {}


def test_only_the_database_layer_imports_the_direct_runner() -> None:
    outside = [p for p in _modules("server", "sync", "bench") if "server/db" not in p.as_posix()]
    assert _offenders(outside, ("server.db.direct",)) == {}


@pytest.mark.parametrize("needle", ["session.info"])
def test_only_the_database_layer_touches_session_state(needle: str) -> None:
    outside = [p for p in _modules("server", "sync") if "server/db" not in p.as_posix()]
    assert [str(p.relative_to(ROOT)) for p in outside if needle in p.read_text()] == []


def test_the_checks_see_the_modules_they_guard() -> None:
    # A moved folder would make every check above pass on nothing.
    assert len(_modules("server/domain")) > 5 and len(_modules("sync")) > 3
    assert "sqlalchemy.ext.asyncio" in _imports(ROOT / "server/db/engine.py")
