"""Favourite customers through the sync protocol: starred by a push, pulled back, the
user's own, and only for customers they may see."""

from __future__ import annotations

from sqlalchemy import func, select

from server.db.models import CustomerFavourite
from sync.client import SyncClient
from tests.factories import customer_body, login, seed_world


async def _phone(http, email: str) -> SyncClient:
    tokens = await login(http, email)
    phone = SyncClient(http=http, access_token=tokens["access_token"])
    await phone.register()
    return phone


async def _customer(http, name: str, **fields) -> str:
    admin = await login(http, "admin@corp.test")
    answer = await http.post(
        "/api/customers",
        headers={"Authorization": f"Bearer {admin['access_token']}"},
        json=customer_body(name, status="active", confirm_new=True, **fields),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _favourites(phone: SyncClient, user_id: str) -> list[str]:
    entity = phone.store.get("favourite_customers", {}).get(user_id)
    return list(entity["customer_ids"]) if entity else []


async def test_a_star_is_kept_once_and_pulled_back_by_the_users_other_phones(client, db):
    world = await seed_world(db)
    customer_id = await _customer(client, "Starred Stores")
    phone = await _phone(client, "rep1@corp.test")
    other_phone = await _phone(client, "rep1@corp.test")
    colleague = await _phone(client, "rep2@corp.test")
    await other_phone.pull_all()
    await colleague.pull_all()

    # when the same star is sent twice (a retried push) and the push is repeated
    phone.enqueue("customer.favourite", {"favourite": True}, entity_id=customer_id)
    phone.enqueue("customer.favourite", {"favourite": True}, entity_id=customer_id)
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"]

    # then it is stored once, and the user's other phone pulls it; a colleague's does not
    async with db.read() as unit:
        rows = await unit.session.scalar(select(func.count()).select_from(CustomerFavourite))
    assert rows == 1
    await other_phone.pull_all()
    assert _favourites(other_phone, world.rep1.id) == [customer_id]
    await colleague.pull_all()
    assert set(colleague.store["favourite_customers"]) == {world.rep2.id}
    assert _favourites(colleague, world.rep2.id) == []

    # when the user unstars it, the other phone hears of that too
    phone.enqueue("customer.favourite", {"favourite": False}, entity_id=customer_id)
    assert (await phone.push()).json()["outcomes"][0]["status"] == "accepted"
    await other_phone.pull_all()
    assert _favourites(other_phone, world.rep1.id) == []


async def test_a_customer_the_user_may_not_see_cannot_be_starred(client, db):
    await seed_world(db)
    elsewhere = await _customer(client, "Southern Supplies", state="CA", postal="94105")
    phone = await _phone(client, "rep1@corp.test")
    phone.enqueue("customer.favourite", {"favourite": True}, entity_id=elsewhere)
    phone.enqueue("customer.favourite", {"favourite": "yes", "extra": 1}, entity_id=elsewhere)
    outcomes = (await phone.push()).json()["outcomes"]
    assert [(o["status"], o["code"]) for o in outcomes] == [
        ("rejected", "customer_not_found"),
        ("rejected", "invalid_mutation"),
    ]
    async with db.read() as unit:
        rows = await unit.session.scalar(select(func.count()).select_from(CustomerFavourite))
    assert rows == 0
