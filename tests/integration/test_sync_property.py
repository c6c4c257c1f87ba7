"""Property: whatever the interleaving of pushes, retries, lost answers and pulls from
several phones, every distinct mutation is applied exactly once and every phone's pulled
replica converges to what the server says that user may see."""

from __future__ import annotations

import asyncio
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.app import create_app
from server.db.engine import Database
from server.db.models import Customer
from sync.client import LostResponse, SyncClient
from tests.conftest import api_client
from tests.factories import customer_body, login, seed_world

PHONES = [
    ("rep1@corp.test", "WA", "98101"),
    ("rep1@corp.test", "WA", "98102"),
    ("rep2@corp.test", "CA", "94105"),
]

step = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2)),
    st.tuples(st.just("update"), st.integers(0, 2)),
    st.tuples(st.just("push"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("pull"), st.integers(0, 2)),
)


async def _scenario(url: str, settings_obj, steps: list[tuple]) -> None:
    db = Database(url)
    app = create_app(settings_obj, db)
    tag = uuid.uuid4().hex[:8]
    try:
        async with api_client(app) as http:
            phones = []
            for email, _, _ in PHONES:
                tokens = await login(http, email)
                phone = SyncClient(http=http, access_token=tokens["access_token"])
                await phone.register()
                phones.append(phone)
            created: dict[int, list[str]] = {0: [], 1: [], 2: []}
            names: list[str] = []
            for action in steps:
                kind, index = action[0], action[1]
                phone = phones[index]
                if kind == "create":
                    name = f"P{tag} {len(names)}"
                    names.append(name)
                    _, state, postal = PHONES[index]
                    item = phone.enqueue(
                        "customer.create",
                        customer_body(
                            name, state=state, postal=postal, confirm_new=True, contacts=[]
                        ),
                    )
                    created[index].append(item.entity_id)
                elif kind == "update" and created[index]:
                    phone.enqueue(
                        "customer.update",
                        {"notes": f"note {len(phone.outbox)}"},
                        entity_id=created[index][-1],
                        base_version=1,
                    )
                elif kind == "push":
                    phone.lose_next_responses = 1 if action[2] else 0
                    try:
                        await phone.push()
                    except LostResponse:
                        pass
                elif kind == "pull":
                    await phone.pull_all(limit=4)
            for phone in phones:
                phone.lose_next_responses = 0
                await phone.flush()
                assert not phone.pending
                assert all(item.outcome["status"] == "accepted" for item in phone.outbox), [
                    i.outcome for i in phone.outbox
                ]
            async with db.read() as unit:
                for name in names:
                    count = await unit.session.scalar(
                        select(func.count())
                        .select_from(Customer)
                        .where(Customer.legal_name == name)
                    )
                    assert count == 1, name
            for phone in phones:
                await phone.pull_all(limit=4)
                server = await http.get(
                    "/api/customers", params={"limit": 200}, headers=phone.headers
                )
                expected = {c["id"]: c["version"] for c in server.json()["items"]}
                replica = {i: c["version"] for i, c in phone.store.get("customer", {}).items()}
                assert replica == expected
    finally:
        await db.dispose()


def test_random_interleavings_apply_every_mutation_exactly_once_and_converge(backend):
    # Every example signs its phones in again from the same address; the login limit is
    # not what this test is about.
    url, settings_obj = backend.url, backend.settings(login_rate_limit=10_000)

    async def seed() -> None:
        db = Database(url)
        await seed_world(db)
        await db.dispose()

    asyncio.run(seed())

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(step, min_size=4, max_size=14))
    def run(steps: list[tuple]) -> None:
        asyncio.run(_scenario(url, settings_obj, steps))

    run()
