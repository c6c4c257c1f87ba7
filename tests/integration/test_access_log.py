"""The access log records the status each client was actually sent, for every request."""

from __future__ import annotations

import logging

import pytest

from tests.factories import bearer, login, seed_world


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fieldsales.access"]


def _line_for(caplog: pytest.LogCaptureFixture, method: str, path: str) -> list[str]:
    return [line.split()[2] for line in _logged(caplog) if line.startswith(f"{method} {path} ")]


async def test_access_log_records_refusals_made_before_a_route_runs(client, db, caplog):
    world = await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    with caplog.at_level(logging.INFO, logger="fieldsales.access"):
        unauthenticated = await client.get("/api/customers")
        nul = await client.get("/api/customers", params={"q": "a\u0000b"}, headers=rep)
        unknown = await client.get("/api/no-such-thing", headers=rep)
        wrong_method = await client.delete("/api/auth/me", headers=rep)
        await client.get("/api/auth/me", headers=rep)
    assert [
        unauthenticated.status_code,
        nul.status_code,
        unknown.status_code,
        wrong_method.status_code,
    ] == [401, 422, 404, 405]
    assert _line_for(caplog, "GET", "/api/customers") == ["401", "422"]
    assert _line_for(caplog, "GET", "/api/no-such-thing") == ["404"]
    assert _line_for(caplog, "DELETE", "/api/auth/me") == ["405"]
    assert next(
        line for line in _logged(caplog) if line.startswith("GET /api/auth/me 200 ")
    ).endswith(f"user={world.rep1.id}")
    assert not [line for line in _logged(caplog) if " 500 " in line]
