"""Schemathesis over the whole OpenAPI document, as a rep, a manager and an admin.

Every operation is called with the document's examples, the coverage phase's boundary and
schema-violating values, fuzzed values and stateful sequences (an id one call answers used
by the next), on SQLite and on PostgreSQL. The run is seeded and bounded, so it finds the
same things on every machine. Any server error, an answer the document does not list, a
body or content type that does not match it, schema-violating input that is accepted or a
login-only operation answering without a login fails the test with the request to replay.
"""

from __future__ import annotations

import asyncio

import pytest

from server.app import create_app
from server.db.engine import Database
from tests.conftest import Backend, api_client
from tests.factories import PASSWORD, bearer, login, seed_world
from tests.fulfilment_factories import place
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock
from tests.security.schema_fuzzer import Finding, FuzzPlan, fuzz, login_in_process, stop_apps

# Ending the session would log the run out halfway; logging out is attacked in
# test_token_attacks.py instead.
NOT_FUZZED = ("/api/auth/logout",)

# The admin reaches every operation, so the admin's run also walks the coverage phase's
# boundary and schema-violating values (the same for every role, since input is checked
# before access); the rep's and the manager's runs fuzz and chain calls for answers that
# differ by role and scope. Bounded so that all six runs take about two minutes in CI.
PLANS = {
    "admin": FuzzPlan(
        phases=("examples", "coverage", "fuzzing", "stateful"),
        max_examples=4,
        excluded_paths=NOT_FUZZED,
    ),
    "manager": FuzzPlan(
        phases=("examples", "fuzzing", "stateful"), max_examples=3, excluded_paths=NOT_FUZZED
    ),
    "rep": FuzzPlan(
        phases=("examples", "fuzzing", "stateful"), max_examples=3, excluded_paths=NOT_FUZZED
    ),
}
EMAILS = {"admin": "admin@corp.test", "manager": "manager@corp.test", "rep": "rep1@corp.test"}


def tolerated(finding: Finding) -> bool:
    """Findings left to the framework, each for the reason given."""
    # Litestar converts request bodies with msgspec's lax mode (`strict=False`): a JSON 0 or
    # 1 is taken as false or true and 56.0 as 56. The value is still checked against the
    # field's type and constraints, so nothing outside the schema's range is stored.
    return (
        finding.check == "negative_data_rejection"
        and "Incorrect type" in finding.message
        and finding.status is not None
        and finding.status < 300
    )


async def _seed(backend: Backend) -> None:
    """Rows for the fuzzer to find in lists: customers, products with stock, an order."""
    db = Database(backend.url)
    try:
        await seed_world(db)
        catalog = await seed_catalog(db)
        hammer = await add_product(db, catalog, "HAM-1", price_cents=1250)
        await set_stock(db, catalog.warehouse_ids[0], hammer, 50)
        app = create_app(backend.settings(log_level="WARNING"), db)
        async with api_client(app) as client:
            rep = bearer(await login(client, "rep1@corp.test"))
            customer = await create_customer(client, rep, "Acme Tools")
            await place(client, rep, customer["id"], [(hammer, 2)])
    finally:
        await db.dispose()


@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_no_server_error_and_every_answer_as_documented(backend: Backend, role: str) -> None:
    asyncio.run(_seed(backend))
    # A database handle of its own: schemathesis calls the app on its own event loop.
    app = create_app(backend.settings(log_level="WARNING"), Database(backend.url))
    try:
        token = login_in_process(app, EMAILS[role], PASSWORD)
        result = fuzz(app, token, PLANS[role], tolerated=tolerated)
    finally:
        stop_apps()
    assert result.errors == [], "\n".join(result.errors)
    assert result.findings == [], "\n\n".join(str(f) for f in result.findings)
    # The run reached the app in every phase, and got past authentication.
    assert set(result.cases_by_phase) >= {"fuzzing", "stateful"}, result.cases_by_phase
    assert ("coverage" in result.cases_by_phase) == ("coverage" in PLANS[role].phases)
    assert sum(n for status, n in result.statuses.items() if status < 300) > 20, result.statuses
