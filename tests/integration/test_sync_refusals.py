"""A phone's bad mutation gets a verdict of its own; it never blocks the phone's outbox.

A push refused as a whole (a 4xx or 5xx) is sent again and again by the phone, and every
mutation queued behind it waits with it. So what is wrong with one mutation (a value the
database cannot hold, text with a NUL) is that mutation's rejection, and what is wrong with
the push itself is refused before anything of it is applied.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from server.db.models import Customer, Quote
from tests.factories import bearer, customer_body, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock

WA = {
    "country": "US",
    "state": "WA",
    "city": "Seattle",
    "postal_code": "98101",
    "street": "1 Main St",
}


async def _device(client, headers) -> str:
    response = await client.post("/api/sync/v1/devices", json={"name": "phone"}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["device_id"])


def _push(device_id: str, mutations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "protocol": 1,
        "schema_version": 1,
        "device_id": device_id,
        "mutations": mutations,
        **extra,
    }


def _create(seq: int, name: str, **args: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "customer.create",
        "entity_id": str(uuid.uuid4()),
        "args": {**customer_body(name, confirm_new=True), **args},
    }


async def _named(db, name: str) -> int:
    async with db.read() as unit:
        return int(
            await unit.session.scalar(
                select(func.count()).select_from(Customer).where(Customer.legal_name == name)
            )
        )


async def _sales(client, db) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    headers = {
        w: bearer(await login(client, f"{w}@corp.test")) for w in ("manager", "rep1", "rep2")
    }
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    big = await add_product(db, catalog, "BIG-1", price_cents=10**12)
    for product in (widget, big):
        await set_stock(db, catalog.warehouse_ids[0], product, 10)
    customer = await create_customer(client, headers["manager"], "Harbor View Bistro")
    return {"h": headers, "widget": widget, "big": big, "customer": customer}


async def test_a_mutation_the_database_could_not_hold_is_rejected_and_the_rest_applied(client, db):
    s = await _sales(client, db)
    rep = s["h"]["rep1"]
    device = await _device(client, rep)
    too_large = {
        "seq": 1,
        "type": "order.place",
        "entity_id": str(uuid.uuid4()),
        "args": {
            "customer_id": s["customer"]["id"],
            "lines": [{"product_id": s["big"], "quantity": 10**7}],
        },
    }
    response = await client.post(
        "/api/sync/v1/push",
        headers=rep,
        json=_push(
            device,
            [
                too_large,
                _create(2, "Nul\u0000 Cafe"),
                _create(3, "Corner Cafe"),
            ],
        ),
    )
    assert response.status_code == 200, response.text
    outcomes = response.json()["outcomes"]
    assert [(o["status"], o["code"]) for o in outcomes] == [
        ("rejected", "amount_too_large"),
        ("rejected", "invalid_text"),
        ("accepted", None),
    ]
    assert await _named(db, "Corner Cafe") == 1


async def test_a_push_that_cannot_be_read_is_refused_before_anything_is_applied(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    device = await _device(client, rep)
    for extra, mutation in (
        ({"ack_up_to": 10**19}, _create(1, "Ack Cafe")),
        ({}, {**_create(1, "Seq Cafe"), "seq": 2**53}),
    ):
        response = await client.post(
            "/api/sync/v1/push", headers=rep, json=_push(device, [mutation], **extra)
        )
        assert response.status_code == 400 and response.json()["code"] == "invalid_request", (
            response.text
        )
    assert await _named(db, "Ack Cafe") == 0 and await _named(db, "Seq Cafe") == 0


async def test_arguments_nested_deeply_are_judged_like_any_others(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    device = await _device(client, rep)
    nested = json.dumps(str(uuid.uuid4()))
    for _ in range(700):
        nested = f"[{nested}]"
    # A rejected creation first, so the next mutation's arguments are searched for it.
    body = (
        '{"protocol":1,"schema_version":1,"device_id":"' + device + '","mutations":['
        '{"seq":1,"type":"customer.create","entity_id":"'
        + str(uuid.uuid4())
        + '","args":{"legal_name":""}},'
        '{"seq":2,"type":"customer.update","entity_id":"'
        + str(uuid.uuid4())
        + '","base_version":1,'
        '"args":{"notes":' + nested + "}}]}"
    )
    response = await client.post(
        "/api/sync/v1/push", content=body, headers={**rep, "content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:300]
    assert [o["status"] for o in response.json()["outcomes"]] == ["rejected", "rejected"]


async def test_a_creation_refused_because_its_id_exists_does_not_orphan_what_exists(client, db):
    s = await _sales(client, db)
    rep = s["h"]["rep1"]
    device = await _device(client, rep)
    order_id = str(uuid.uuid4())
    place = {
        "customer_id": s["customer"]["id"],
        "lines": [{"product_id": s["widget"], "quantity": 1}],
    }
    first = await client.post(
        "/api/sync/v1/push",
        headers=rep,
        json=_push(
            device,
            [
                {"seq": 1, "type": "order.place", "entity_id": order_id, "args": place},
                {"seq": 2, "type": "order.place", "entity_id": order_id, "args": place},
                {
                    "seq": 3,
                    "type": "order.cancel",
                    "entity_id": order_id,
                    "args": {"reason": "changed their mind"},
                },
            ],
        ),
    )
    outcomes = first.json()["outcomes"]
    assert [o["code"] for o in outcomes[:2]] == [None, "order_id_taken"]
    assert outcomes[2]["status"] == "accepted", outcomes[2]
    # The same holds in a later push, where the refusal is read back from the stored outcomes.
    customer_id = str(uuid.uuid4())
    create = {
        "seq": 4,
        "type": "customer.create",
        "entity_id": customer_id,
        "args": customer_body("Twice Cafe", confirm_new=True),
    }
    await client.post(
        "/api/sync/v1/push", headers=rep, json=_push(device, [create, {**create, "seq": 5}])
    )
    later = await client.post(
        "/api/sync/v1/push",
        headers=rep,
        json=_push(
            device,
            [
                {
                    "seq": 6,
                    "type": "customer.update",
                    "entity_id": customer_id,
                    "base_version": 1,
                    "args": {"notes": "Back door"},
                },
            ],
        ),
    )
    assert later.json()["outcomes"][0]["status"] == "accepted", later.json()


async def test_saving_a_quote_the_rep_cannot_see_answers_as_if_there_were_none(client, db):
    s = await _sales(client, db)
    south = await create_customer(
        client,
        s["h"]["rep2"],
        "Southern Bakery",
        billing_address={**WA, "state": "CA", "postal_code": "94100", "city": "SF"},
    )
    quote_id = str(uuid.uuid4())
    lines = [{"product_id": s["widget"], "quantity": 1}]
    other = await _device(client, s["h"]["rep2"])
    await client.post(
        "/api/sync/v1/push",
        headers=s["h"]["rep2"],
        json=_push(
            other,
            [
                {
                    "seq": 1,
                    "type": "quote.save",
                    "entity_id": quote_id,
                    "args": {"customer_id": south["id"], "lines": lines},
                }
            ],
        ),
    )
    device = await _device(client, s["h"]["rep1"])
    response = await client.post(
        "/api/sync/v1/push",
        headers=s["h"]["rep1"],
        json=_push(
            device,
            [
                {
                    "seq": 1,
                    "type": "quote.save",
                    "entity_id": quote_id,
                    "args": {"customer_id": s["customer"]["id"], "lines": lines},
                }
            ],
        ),
    )
    assert response.json()["outcomes"][0]["code"] == "quote_not_found"
    async with db.read() as unit:
        quote = await unit.session.get(Quote, quote_id)
        assert quote is not None and quote.customer_id == south["id"]


async def test_a_cursor_this_database_never_gave_starts_the_phone_over(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    created = await client.post(
        "/api/customers", json=customer_body("Harbor View Bistro"), headers=rep
    )
    assert created.status_code == 201
    too_big = await client.get(
        "/api/sync/v1/pull", params={"cursor": "99999999999999999999"}, headers=rep
    )
    assert too_big.status_code == 422 and too_big.json()["code"] == "cursor_invalid"
    # A position past the database's head (a cursor from a restored backup): a fresh snapshot.
    ahead = await client.get("/api/sync/v1/pull", params={"cursor": str(2**62)}, headers=rep)
    assert ahead.status_code == 200 and ahead.json()["reset"] is True
    customers = [c for c in ahead.json()["changes"] if c["entity_type"] == "customer"]
    assert [c["entity_id"] for c in customers] == [created.json()["id"]]


async def test_push_of_a_hundred_large_orders_is_accepted(client, db):
    s = await _sales(client, db)
    rep = s["h"]["rep1"]
    device = await _device(client, rep)
    lines = [{"product_id": s["widget"], "quantity": 1, "discount_percent": "0.00"}] * 140
    orders = [
        {
            "seq": n,
            "type": "order.place",
            "entity_id": str(uuid.uuid4()),
            "args": {
                "customer_id": s["customer"]["id"],
                "lines": lines,
                "client_total_cents": 154000,
                "notes": "Deliver to the back door, ring twice.",
            },
        }
        for n in range(1, 101)
    ]
    body = json.dumps(_push(device, orders)).encode()
    assert len(body) > 1_400_000  # more than the limit of any other request
    response = await client.post(
        "/api/sync/v1/push", content=body, headers={**rep, "content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["outcomes"]) == 100


async def test_push_over_the_limit_is_answered_413_after_its_body_is_read(app, client, db):
    await seed_world(db)
    token = (await login(client, "rep1@corp.test"))["access_token"]
    chunk = b" " * (1024 * 1024)
    chunks = [
        b'{"protocol": 1, "schema_version": 1, "device_id": "d", "mutations": []',
        *[chunk] * 24,
        b"}",
    ]
    unread = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if unread:
            return {"type": "http.request", "body": unread.pop(0), "more_body": bool(unread)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            # What a server answers before the body is read, the client still sending it
            # meets as a reset connection.
            assert not unread, f"answered with {len(unread)} chunks of the body unread"
        sent.append(message)

    size = sum(len(c) for c in chunks)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/sync/v1/push",
        "raw_path": b"/api/sync/v1/push",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(size).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
    }
    await app(scope, receive, send)
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    assert start["status"] == 413
    assert (b"content-type", b"application/problem+json") in start["headers"]
    assert json.loads(body)["code"] == "body_too_large"


async def test_push_with_broken_or_control_text_in_one_mutation_applies_the_others(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    device = await _device(client, rep)
    mutations = [
        _create(1, "First Cafe"),
        _create(2, "X \udfff Y"),
        _create(3, "\x1b[31mRed Cafe"),
        _create(4, "Last Cafe", notes="half a pair \ud83d"),
    ]
    mutations.append(_create(5, "Fifth Cafe"))
    # json.dumps writes the lone surrogate as the escape a phone's JSON.stringify sends.
    body = json.dumps(_push(device, mutations))
    assert "\\udfff" in body
    response = await client.post(
        "/api/sync/v1/push", content=body, headers={**rep, "content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:300]
    assert [(o["status"], o["code"]) for o in response.json()["outcomes"]] == [
        ("accepted", None),
        ("rejected", "invalid_text"),
        ("rejected", "invalid_text"),
        ("rejected", "invalid_text"),
        ("accepted", None),
    ]
    assert await _named(db, "First Cafe") == 1 and await _named(db, "Fifth Cafe") == 1
    # Outside a mutation's arguments the push itself is unreadable: refused whole, nothing applied.
    broken_device = json.dumps(_push(device[:-1] + "\udfff", [_create(6, "Sixth Cafe")]))
    refused = await client.post(
        "/api/sync/v1/push",
        content=broken_device,
        headers={**rep, "content-type": "application/json"},
    )
    assert refused.status_code in (400, 422) and refused.json()["code"] in (
        "invalid_request",
        "invalid_text",
    )
    assert await _named(db, "Sixth Cafe") == 0
