"""The customer portal over HTTP: links stored as hashes, scoped, expiring and revocable;
the token swapped for a cookie that reaches only the portal; a quote accepted by name."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import httpx
from sqlalchemy import select, text, update

from server.db.models import AuditEvent, PortalLink
from server.db.types import utcnow
from server.domain.portal import hash_token
from tests.billing_factories import open_shop, place
from tests.conftest import browser_client
from tests.factories import PASSWORD
from tests.fulfilment_factories import ship as ship_through_api
from tests.portal_factories import create_link, open_link, token_of


async def _log_in(browser: httpx.AsyncClient, email: str) -> None:
    await browser.get("/login")
    logged_in = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert logged_in.status_code == 303


async def _sent_quote(client: httpx.AsyncClient, shop) -> dict:
    body = {"customer_id": shop.customer["id"], "lines": [{"product_id": shop.even, "quantity": 2}]}
    quote = (await client.post("/api/quotes", json=body, headers=shop.rep)).json()
    sent = await client.post(f"/api/quotes/{quote['id']}/send", headers=shop.rep)
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


async def test_an_order_link_opens_the_order_with_its_shipment_and_invoice(client, app, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 2, shop.odd: 3})
    shipped = await ship_through_api(
        client,
        shop.admin,
        order["id"],
        shop.catalog.warehouse_ids[0],
        [(order["lines"][0]["id"], 2)],
        carrier="UPS",
        tracking_number="1Z999",
    )
    shipment = shipped["id"]
    invoiced = await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    invoice = invoiced.json()["invoice"]

    created = await create_link(client, shop.rep, order_id=order["id"])
    assert created["url"].startswith("http://testserver/p/")
    token = token_of(created["url"])
    assert len(token) >= 43  # 256 random bits, URL-safe

    async with browser_client(app) as customer:
        opened = await open_link(customer, created["url"])
        # The token is swapped for a cookie and the browser sent to a URL without it.
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/p/orders/{order['id']}"
        assert token not in opened.headers["location"]
        cookie = opened.headers["set-cookie"]
        assert "fs_portal=" in cookie and "HttpOnly" in cookie and "Path=/p" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert token not in cookie
        assert opened.headers["referrer-policy"] == "no-referrer"
        assert opened.headers["cache-control"] == "no-store"

        page = await customer.get(f"/p/orders/{order['id']}")
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert order["number"] in page.text
        assert "Order placed" in page.text and "Order confirmed" in page.text
        assert "https://www.ups.com/track?tracknum=1Z999" in page.text
        assert invoice["number"] in page.text
        assert f"/p/invoices/{invoice['id']}/print" in page.text

        paid = await client.post(
            "/api/payments",
            json={
                "customer_id": shop.customer["id"],
                "amount_cents": invoice["total_cents"],
                "method": "card",
                "received_on": date.today().isoformat(),
                "allocations": [
                    {"invoice_id": invoice["id"], "amount_cents": invoice["total_cents"]}
                ],
            },
            headers=shop.admin,
        )
        assert paid.status_code == 201, paid.text
        after = await customer.get(f"/p/orders/{order['id']}")
        # The invoice is settled; the order is not, as its other line is not invoiced yet.
        invoices = after.text.split('data-testid="invoices"')[1].split("</ul>")[0]
        assert 'data-testid="invoice-balance">paid</span>' in invoices
        assert '<li class="done" data-step="invoiced">' in after.text
        assert '<li class="todo" data-step="paid">' in after.text and "partly paid" in after.text

        printed = await customer.get(f"/p/invoices/{invoice['id']}/print")
        assert printed.status_code == 200
        assert invoice["number"] in printed.text and "Balance due" in printed.text
        assert printed.headers["cache-control"] == "no-store"

    listed = await client.get(
        "/api/portal-links", params={"order_id": order["id"]}, headers=shop.rep
    )
    assert listed.status_code == 200
    [link] = listed.json()
    assert link["state"] == "active" and link["last_used_at"] is not None
    assert "url" not in link and token not in listed.text


async def test_only_the_hash_of_a_token_is_stored_and_no_log_line_holds_it(client, app, db, caplog):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    caplog.set_level(logging.INFO)
    created = await create_link(client, shop.rep, order_id=order["id"])
    token = token_of(created["url"])
    async with browser_client(app) as customer:
        await open_link(customer, created["url"])
    async with db.read() as unit:
        [stored] = (await unit.session.execute(select(PortalLink))).scalars().all()
        assert stored.token_hash == hash_token(token)
        dump = [
            str(row)
            for table in ("portal_links", "audit_events", "login_counters")
            for row in (await unit.session.execute(text(f"SELECT * FROM {table}"))).all()
        ]
    assert not any(token in row for row in dump)
    # The test's own HTTP client logs the URL it asked for; the server logs none of it.
    server_log = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")
    assert token not in server_log
    assert "/p/[token]" in server_log


async def test_an_order_link_cannot_open_another_order_of_the_same_customer(client, app, db):
    shop = await open_shop(client, db)
    mine = await place(client, shop, {shop.even: 1})
    other = await place(client, shop, {shop.odd: 1})
    created = await create_link(client, shop.rep, order_id=mine["id"])
    async with browser_client(app) as customer:
        await open_link(customer, created["url"])
        assert (await customer.get(f"/p/orders/{mine['id']}")).status_code == 200
        refused = await customer.get(f"/p/orders/{other['id']}")
        assert refused.status_code == 404
        assert other["number"] not in refused.text
        # The customer list is for customer links only: an order link goes to its order.
        home = await customer.get("/p/")
        assert home.status_code == 303 and home.headers["location"] == f"/p/orders/{mine['id']}"


async def test_a_customer_link_lists_its_orders_and_quotes_and_no_other_customers(client, app, db):
    shop = await open_shop(client, db)
    ours = await place(client, shop, {shop.even: 1})
    quote = await _sent_quote(client, shop)
    from tests.sales_factories import create_customer

    stranger = await create_customer(client, shop.admin, "Other Outfitters")
    theirs = await place(client, shop, {shop.even: 1}, customer_id=stranger["id"])
    created = await create_link(client, shop.admin, customer_id=shop.customer["id"])
    async with browser_client(app) as customer:
        opened = await open_link(customer, created["url"])
        assert opened.headers["location"] == "/p/"
        home = await customer.get("/p/")
        assert home.status_code == 200
        assert home.headers["content-type"].startswith("text/html")
        assert ours["number"] in home.text and quote["number"] in home.text
        assert theirs["number"] not in home.text
        assert (await customer.get(f"/p/orders/{ours['id']}")).status_code == 200
        assert (await customer.get(f"/p/orders/{theirs['id']}")).status_code == 404


async def test_the_portal_cookie_opens_no_api_and_no_staff_page(client, app, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    created = await create_link(client, shop.admin, customer_id=shop.customer["id"])
    async with browser_client(app) as customer:
        opened = await open_link(customer, created["url"])
        portal_cookie = customer.cookies.get("fs_portal")
        assert portal_cookie
    # Sent everywhere by hand (a browser would send it under /p only): it is no login.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as raw:
        for path in ("/api/orders", f"/api/orders/{order['id']}", "/api/customers"):
            answer = await raw.get(path, headers={"cookie": f"fs_portal={portal_cookie}"})
            assert answer.status_code == 401, (path, answer.status_code)
            bearer = await raw.get(path, headers={"authorization": f"Bearer {portal_cookie}"})
            assert bearer.status_code == 401, (path, bearer.status_code)
            as_access = await raw.get(path, headers={"cookie": f"fs_access={portal_cookie}"})
            assert as_access.status_code == 401, (path, as_access.status_code)
        page = await raw.get(
            f"/orders/{order['id']}",
            headers={"cookie": f"fs_portal={portal_cookie}", "accept": "text/html"},
        )
        assert page.status_code in (302, 303, 401)
        assert order["number"] not in page.text
    assert opened.status_code == 303


async def test_a_revoked_link_stops_at_once_also_for_an_open_session(client, app, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    created = await create_link(client, shop.rep, order_id=order["id"])
    async with browser_client(app) as customer:
        await open_link(customer, created["url"])
        assert (await customer.get(f"/p/orders/{order['id']}")).status_code == 200
        revoked = await client.post(
            f"/api/portal-links/{created['link']['id']}/revoke", headers=shop.rep
        )
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
        assert (await customer.get(f"/p/orders/{order['id']}")).status_code == 404
    async with browser_client(app) as again:
        reopened = await open_link(again, created["url"])
        assert reopened.status_code == 404 and "fs_portal" not in reopened.headers.get(
            "set-cookie", ""
        )
    twice = await client.post(f"/api/portal-links/{created['link']['id']}/revoke", headers=shop.rep)
    assert twice.status_code == 409


async def test_an_expired_link_opens_nothing(client, app, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    created = await create_link(client, shop.rep, order_id=order["id"])
    expires = created["link"]["expires_at"]
    assert expires.startswith((utcnow() + timedelta(days=90)).date().isoformat())
    async with db.write() as uow:
        await uow.session.execute(
            update(PortalLink).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with browser_client(app) as customer:
        assert (await open_link(customer, created["url"])).status_code == 404
    listed = await client.get(
        "/api/portal-links", params={"order_id": order["id"]}, headers=shop.rep
    )
    assert listed.json()[0]["state"] == "expired"


async def test_links_follow_the_scope_of_the_documents(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    from tests.factories import bearer, login

    stranger = bearer(await login(client, "rep2@corp.test"))
    refused = await client.post(
        "/api/portal-links", json={"order_id": order["id"]}, headers=stranger
    )
    assert refused.status_code == 404
    both = await client.post(
        "/api/portal-links",
        json={"order_id": order["id"], "customer_id": shop.customer["id"]},
        headers=shop.rep,
    )
    assert both.status_code == 422
    created = await create_link(client, shop.rep, order_id=order["id"])
    other_revokes = await client.post(
        f"/api/portal-links/{created['link']['id']}/revoke", headers=stranger
    )
    assert other_revokes.status_code == 404
    no_key = await client.get("/api/portal-links", params={"order_id": order["id"]})
    assert no_key.status_code == 401


async def test_guessing_tokens_is_rate_limited_by_address(client, app, db, backend):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    created = await create_link(client, shop.rep, order_id=order["id"])
    async with browser_client(app) as guesser:
        for n in range(20):
            bad = await guesser.get(f"/p/not-a-token-{n:02d}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
            assert bad.status_code == 404
            assert bad.headers["cache-control"] == "no-store"
        throttled = await guesser.get("/p/yet-another-guess")
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
        # Past the limit even the right token waits: a guess cannot be told from it.
        assert (await open_link(guesser, created["url"])).status_code == 429


async def test_a_customer_accepts_a_sent_quote_by_typing_their_name(client, browser, app, db):
    shop = await open_shop(client, db)
    quote = await _sent_quote(client, shop)
    created = await create_link(client, shop.rep, quote_id=quote["id"])
    async with browser_client(app) as customer:
        opened = await open_link(customer, created["url"])
        assert opened.headers["location"] == f"/p/quotes/{quote['id']}"
        page = await customer.get(f"/p/quotes/{quote['id']}")
        assert "Accept quote" in page.text
        csrf = customer.cookies.get("fs_csrf") or ""
        forged = await customer.post(f"/p/quotes/{quote['id']}/accept", data={"name": "Dana Buyer"})
        assert forged.status_code == 403
        unsigned = await customer.post(
            f"/p/quotes/{quote['id']}/accept", data={"name": " ", "_csrf_token": csrf}
        )
        assert unsigned.status_code == 422
        accepted = await customer.post(
            f"/p/quotes/{quote['id']}/accept", data={"name": "Dana Buyer", "_csrf_token": csrf}
        )
        assert accepted.status_code == 303, accepted.text
        after = await customer.get(f"/p/quotes/{quote['id']}")
        assert "You accepted this quote" in after.text and "Accept quote" not in after.text
    state = (await client.get(f"/api/quotes/{quote['id']}", headers=shop.rep)).json()
    assert state["status"] == "accepted"
    async with db.read() as unit:
        event = (
            await unit.session.execute(
                select(AuditEvent).where(
                    AuditEvent.entity_id == quote["id"], AuditEvent.action == "accept"
                )
            )
        ).scalar_one()
    assert event.actor_id is None
    assert event.data["signed_by"] == "Dana Buyer"
    assert event.data["client_address"] == "127.0.0.1"
    assert event.data["portal_link_id"] == created["link"]["id"]
    # The rep reads it on the quote's history.
    await _log_in(browser, "rep1@corp.test")
    staff = await browser.get(f"/quotes/{quote['id']}")
    assert "by the customer through a portal link" in staff.text
    assert "Signed “Dana Buyer” from 127.0.0.1" in staff.text


async def test_a_customer_declines_a_quote_with_a_reason(client, app, db):
    shop = await open_shop(client, db)
    quote = await _sent_quote(client, shop)
    created = await create_link(client, shop.admin, customer_id=shop.customer["id"])
    async with browser_client(app) as customer:
        await open_link(customer, created["url"])
        csrf = customer.cookies.get("fs_csrf") or ""
        declined = await customer.post(
            f"/p/quotes/{quote['id']}/decline",
            data={"reason": "Found it cheaper", "_csrf_token": csrf},
        )
        assert declined.status_code == 303
    state = (await client.get(f"/api/quotes/{quote['id']}", headers=shop.rep)).json()
    assert state["status"] == "declined"


async def test_the_order_page_creates_lists_and_revokes_links(client, browser, app, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    await _log_in(browser, "rep1@corp.test")
    csrf = {"_csrf_token": browser.cookies.get("fs_csrf") or ""}
    page = await browser.get(f"/orders/{order['id']}")
    assert "No links yet." in page.text
    created = await browser.post(f"/orders/{order['id']}/portal-links", data=csrf)
    assert created.status_code == 200
    url = re.search(r'data-testid="portal-url" type="text" readonly value="([^"]+)"', created.text)
    assert url is not None and "/p/" in url.group(1)
    again = await browser.get(f"/orders/{order['id']}")
    assert url.group(1) not in again.text and "never opened" in again.text
    async with browser_client(app) as customer:
        assert (await open_link(customer, url.group(1))).status_code == 303
    listed = (
        await client.get("/api/portal-links", params={"order_id": order["id"]}, headers=shop.rep)
    ).json()
    [link] = listed
    assert "last opened" in (await browser.get(f"/orders/{order['id']}")).text
    revoked = await browser.post(
        f"/orders/{order['id']}/portal-links/{link['id']}/revoke", data=csrf
    )
    assert revoked.status_code == 303
    assert "revoked" in (await browser.get(f"/orders/{order['id']}")).text
    async with browser_client(app) as customer:
        assert (await open_link(customer, url.group(1))).status_code == 404


async def test_the_link_lifetime_follows_the_setting(backend, db):
    from server.app import create_app
    from tests.conftest import api_client

    app = create_app(backend.settings(portal_link_days=7), db)
    async with api_client(app) as client:
        shop = await open_shop(client, db)
        created = await create_link(client, shop.admin, customer_id=shop.customer["id"])
    expires = created["link"]["expires_at"]
    assert expires.startswith((utcnow() + timedelta(days=7)).date().isoformat())
