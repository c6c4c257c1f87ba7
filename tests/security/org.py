"""A sales organisation with two territories and one of every object in each.

Territory A is North (Rita, rep_a, and Mia, manager_a), territory B is South (Rob, rep_b,
and Ben, manager_b). Everything is made through the API by the people who would make it,
so the rows are the ones the product writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from server.config import load_settings
from server.db.engine import Database
from server.db.models import TerritoryAssignment, TerritoryRule
from server.db.models.outbox import OutboxMessage
from server.db.types import new_id
from server.features.notifications.worker import OutboxWorker
from tests.factories import PASSWORD, World, bearer, login, make_user, seed_world
from tests.fulfilment_factories import place, ship
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock

__all__ = ["ACTORS", "Org", "Side", "browser_login", "build_org"]

ACTORS = ("rep_a", "rep_b", "manager_a", "manager_b", "admin", "anonymous")
EMAILS = {
    "rep_a": "rep1@corp.test",
    "rep_b": "rep2@corp.test",
    "manager_a": "mia.manager@corp.test",
    "manager_b": "ben.manager@corp.test",
    "admin": "admin@corp.test",
}


@dataclass
class Side:
    """One territory's objects, by kind; `markers` are texts only this side's rows carry."""

    territory: str
    ids: dict[str, str] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)


@dataclass
class Org:
    world: World
    headers: dict[str, dict[str, str]]  # actor -> Authorization header ({} for anonymous)
    a: Side
    b: Side
    shared: dict[str, str]  # objects of no territory: product, price list, user, import job

    def side(self, name: str) -> Side:
        return self.a if name == "a" else self.b


async def build_org(client: httpx.AsyncClient, db: Database) -> Org:
    world = await seed_world(db)
    manager_a = await make_user(db, role="manager", email=EMAILS["manager_a"], name="Mia North")
    manager_b = await make_user(db, role="manager", email=EMAILS["manager_b"], name="Ben South")
    since = date.today() - timedelta(days=30)
    async with db.write() as uow:
        uow.session.add_all(
            [
                TerritoryAssignment(
                    id=new_id(),
                    territory_id=territory,
                    user_id=user.id,
                    role="manager",
                    valid_from=since,
                )
                for territory, user in ((world.north, manager_a), (world.south, manager_b))
            ]
        )
    catalog = await seed_catalog(db)
    product = await add_product(db, catalog, "HAM-1", price_cents=1000, floor_cents=100)
    await set_stock(db, catalog.warehouse_ids[0], product, 1000)
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for actor, email in EMAILS.items():
        headers[actor] = bearer(await login(client, email))

    # A webhook endpoint with one delivery: registered before the orders below, the worker's
    # pass fans their events out to it (its loopback address is refused at send time, so
    # nothing leaves).
    hook = await client.post(
        "/api/webhooks",
        json={"url": "https://127.0.0.1:9/fieldsales", "description": "matrix"},
        headers=headers["admin"],
    )
    assert hook.status_code == 201, hook.text
    a = await _side(client, db, headers, "a", world.north, product, catalog.warehouse_ids[0])
    b = await _side(client, db, headers, "b", world.south, product, catalog.warehouse_ids[0])
    job = await client.post(
        "/api/imports/products",
        content=b"sku,name,category_code\nNEW-1,New thing,TOOLS\n",
        headers={**headers["admin"], "content-type": "text/csv"},
    )
    assert job.status_code in (200, 201, 202), job.text
    # A user of no territory for the account routes to change, deactivate and reactivate.
    user = await client.post(
        "/api/users",
        json={"email": "sam.spare@corp.test", "full_name": "Sam Spare", "role": "rep"},
        headers=headers["admin"],
    )
    assert user.status_code == 201, user.text
    await OutboxWorker(db, load_settings()).run_once()
    async with db.read() as unit:
        delivery = await unit.session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.destination == f"webhook:{hook.json()['id']}")
            .limit(1)
        )
    assert delivery is not None
    integration = await client.post(
        "/api/integrations",
        json={"name": "Matrix bridge", "scopes": ["orders:read"]},
        headers=headers["admin"],
    )
    assert integration.status_code == 201, integration.text
    await _commission(client, headers, [(a, "rep_a"), (b, "rep_b")])
    shared = {
        "api_token": integration.json()["integration"]["id"],
        "webhook": hook.json()["id"],
        "delivery": delivery,
        "product": product,
        "price_list": catalog.base_list_id,
        "price_list_code": "BASE",
        "user": user.json()["id"],
        "import_job": job.headers["location"].rsplit("/", 1)[1],
        "warehouse": catalog.warehouse_ids[0],
    }
    return Org(world, headers, a, b, shared)


async def _side(
    client: httpx.AsyncClient,
    db: Database,
    headers: dict[str, dict[str, str]],
    name: str,
    territory: str,
    product: str,
    warehouse: str,
) -> Side:
    rep, manager = headers[f"rep_{name}"], headers[f"manager_{name}"]
    where = (
        {"state": "WA", "postal": "98101", "city": "Seattle"}
        if name == "a"
        else {"state": "CA", "postal": "94105", "city": "San Francisco"}
    )
    label = "Northwind" if name == "a" else "Southgate"
    side = Side(territory)
    customer = await create_customer(client, headers["admin"], f"{label} Traders", **where)
    assert customer["territory_id"] == territory, customer
    side.ids["customer"] = customer["id"]
    side.markers |= {customer["id"], customer["number"], f"{label} Traders"}

    quote = await client.post(
        "/api/quotes",
        json={"customer_id": customer["id"], "lines": [{"product_id": product, "quantity": 2}]},
        headers=rep,
    )
    assert quote.status_code == 201, quote.text
    side.ids["quote"] = quote.json()["id"]
    side.markers |= {quote.json()["id"], quote.json()["number"]}

    confirmed = await place(client, rep, customer["id"], [(product, 5)], po_number=f"PO-{label}")
    discounted = {"product_id": product, "quantity": 1, "discount_percent": "60"}
    answer = await client.post(
        "/api/orders", json={"customer_id": customer["id"], "lines": [discounted]}, headers=rep
    )
    assert answer.status_code == 201, answer.text
    waiting = answer.json()
    assert waiting["status"] == "pending_approval", waiting
    for key, order in (("order", confirmed), ("waiting_order", waiting)):
        side.ids[key] = order["id"]
        side.markers |= {order["id"], order["number"]}
    side.ids["order_line"] = confirmed["lines"][0]["id"]
    side.ids["waiting_line"] = waiting["lines"][0]["id"]
    shipment = await ship(client, headers["admin"], confirmed["id"], warehouse)
    side.ids["shipment"] = shipment["id"]
    await _bill_and_return(client, headers, side, rep)
    await _blanket(client, side, rep, customer["id"], product)
    link = await client.post("/api/portal-links", json={"order_id": confirmed["id"]}, headers=rep)
    assert link.status_code == 201, link.text
    side.ids["portal_link"] = link.json()["link"]["id"]

    async with db.read() as unit:
        side.ids["assignment"] = str(
            await unit.session.scalar(
                select(TerritoryAssignment.id).where(
                    TerritoryAssignment.territory_id == territory,
                    TerritoryAssignment.role == "owner",
                )
            )
        )
        side.ids["rule"] = str(
            await unit.session.scalar(
                select(TerritoryRule.id).where(TerritoryRule.territory_id == territory)
            )
        )
    side.ids["territory"] = territory
    side.ids["rep"] = (await client.get("/api/auth/me", headers=rep)).json()["id"]

    # A realignment the side's manager drafts for their own territory.
    draft = await client.post(
        "/api/realignments",
        json={
            "effective_on": date.today().isoformat(),
            "description": f"{label} tidy-up",
            "changes": {
                "add_rules": [
                    {"territory_id": territory, "country": "US", "postal_exact": f"0000{name}"}
                ]
            },
        },
        headers=manager,
    )
    assert draft.status_code == 201, draft.text
    side.ids["realignment"] = draft.json()["id"]

    device = await client.post("/api/sync/v1/devices", json={"name": f"{label} phone"}, headers=rep)
    assert device.status_code == 201, device.text
    side.ids["device"] = device.json()["device_id"]
    return side


async def _bill_and_return(
    client: httpx.AsyncClient, headers: dict[str, dict[str, str]], side: Side, rep: dict[str, str]
) -> None:
    """The shipped order invoiced by the back office, and one unit on a return the rep took."""
    invoice = await client.post(
        f"/api/shipments/{side.ids['shipment']}/invoice", headers=headers["admin"]
    )
    assert invoice.status_code in (200, 201), invoice.text
    summary = invoice.json()["invoice"]
    side.ids["invoice"] = summary["id"]
    side.markers |= {summary["id"], summary["number"]}
    rma = await client.post(
        f"/api/orders/{side.ids['order']}/returns",
        json={"reason": "Dented", "lines": [{"line_id": side.ids["order_line"], "quantity": 1}]},
        headers=rep,
    )
    assert rma.status_code in (200, 201), rma.text
    side.ids["return"] = rma.json()["id"]
    side.markers |= {rma.json()["id"], rma.json()["number"]}


async def _blanket(
    client: httpx.AsyncClient, side: Side, rep: dict[str, str], customer: str, product: str
) -> None:
    """A confirmed blanket order with one line that call-offs draw on."""
    answer = await client.post(
        "/api/orders",
        json={
            "customer_id": customer,
            "order_type": "blanket",
            "valid_from": date.today().isoformat(),
            "valid_to": (date.today() + timedelta(days=60)).isoformat(),
            "lines": [{"product_id": product, "quantity": 20}],
        },
        headers=rep,
    )
    assert answer.status_code == 201, answer.text
    blanket = answer.json()
    assert blanket["status"] == "confirmed", blanket
    side.ids["blanket"] = blanket["id"]
    side.ids["blanket_line"] = blanket["blanket"]["lines"][0]["id"]
    side.markers |= {blanket["id"], blanket["number"]}


async def _commission(
    client: httpx.AsyncClient,
    headers: dict[str, dict[str, str]],
    sides: list[tuple[Side, str]],
) -> None:
    """A plan, each side's order credited under it (re-credited by clearing its split),
    and each rep's question about a line of theirs."""
    plan = await client.post(
        "/api/commission/plans",
        json={
            "code": "MATRIX",
            "name": "Matrix plan",
            "valid_from": (date.today() - timedelta(days=400)).isoformat(),
            "basis": "booked",
            "default_rate": "5",
        },
        headers=headers["admin"],
    )
    assert plan.status_code == 201, plan.text
    for side, rep in sides:
        credited = await client.put(
            f"/api/commission/orders/{side.ids['order']}/splits",
            json={"splits": []},
            headers=headers["admin"],
        )
        assert credited.status_code == 200, credited.text
        statement = await client.get(
            "/api/commission/statements",
            params={"rep_id": side.ids["rep"], "period": date.today().isoformat()[:7]},
            headers=headers[rep],
        )
        entry = statement.json()["entries"][0]
        side.ids["entry"] = entry["id"]
        dispute = await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "Is this rate right?"},
            headers=headers[rep],
        )
        assert dispute.status_code == 201, dispute.text
        side.ids["dispute"] = dispute.json()["id"]


async def browser_login(browser: httpx.AsyncClient, email: str) -> None:
    await browser.get("/login")
    answer = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert answer.status_code == 303, answer.text


def csrf_form(browser: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    return {"_csrf_token": browser.cookies.get("fs_csrf") or "", **fields}
