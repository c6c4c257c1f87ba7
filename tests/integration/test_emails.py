"""E-mails to customers through a real local SMTP server (aiosmtpd), and kept for admins
when no SMTP server is configured."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.db.models import EmailMessage, OutboxMessage, PortalLink
from server.domain.portal import hash_token
from server.features.notifications.worker import OutboxWorker
from tests.conftest import browser_client
from tests.factories import bearer, login
from tests.fulfilment_factories import place, ship
from tests.integration.test_back_office_pages import _log_in as log_in
from tests.integration.test_outbox import world
from tests.integration.test_webhooks import drain
from tests.portal_factories import open_link, token_of


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], MimeMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, MimeMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def _parts(mime: MimeMessage) -> tuple[str, str]:
    text = mime.get_body(preferencelist=("plain",))
    html = mime.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


async def test_the_order_confirmation_and_shipping_notice_reach_the_customer(
    client, db, backend, smtp_server
):
    url, inbox = smtp_server
    w = await world(client, db)
    worker = OutboxWorker(db, backend.settings(smtp_url=url, mail_from="sales@fieldsales.test"))
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    await drain(worker)

    [(recipients, mime)] = inbox.messages
    assert recipients == ["pat@harbor.test"]
    assert mime["To"] == "pat@harbor.test"
    assert mime["From"] == "sales@fieldsales.test"
    assert mime["Subject"] == f"Order {order['number']} confirmed"
    text, html = _parts(mime)
    assert "Harbor &lt;View&gt; &amp; Bistro" in html
    assert "<View>" not in html
    assert "Harbor <View> & Bistro" in text
    assert order["number"] in text and order["number"] in html

    await ship(client, w["admin"], order["id"], w["w1"], carrier="UPS", tracking_number="1Z9")
    await drain(worker)
    assert len(inbox.messages) == 2
    _, notice = inbox.messages[1]
    assert notice["Subject"] == f"Order {order['number']} has shipped"
    assert "tracking number 1Z9" in _parts(notice)[0]
    async with db.read() as unit:
        kept = (await unit.session.scalars(select(EmailMessage))).all()
    assert sorted(e.status for e in kept) == ["sent", "sent"]


async def test_an_unreachable_smtp_server_leaves_the_email_to_retry(client, db, backend):
    w = await world(client, db)
    worker = OutboxWorker(db, backend.settings(smtp_url=f"smtp://127.0.0.1:{_free_port()}"))
    await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    await drain(worker)
    async with db.read() as unit:
        [email] = (
            await unit.session.scalars(
                select(OutboxMessage).where(OutboxMessage.destination == "email")
            )
        ).all()
        assert (await unit.session.scalars(select(EmailMessage))).all() == []
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.last_error


async def test_without_smtp_the_admin_page_shows_the_email_as_not_sent(
    client, db, backend, browser
):
    w = await world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    await drain(OutboxWorker(db, backend.settings()))
    await log_in(browser, "admin@corp.test")
    page = await browser.get("/admin/emails")
    assert page.status_code == 200
    assert 'data-testid="no-smtp"' in page.text
    assert f"Order {order['number']} confirmed" in page.text
    assert "kept, not sent" in page.text
    [listed] = (await client.get("/api/emails", headers=w["admin"])).json()
    assert (listed["recipient"], listed["status"], listed["sent_at"]) == (
        "pat@harbor.test",
        "kept",
        None,
    )


def _portal_link(text: str) -> str:
    match = re.search(r"https://sales\.example\.test/p/\S+", text)
    assert match is not None, text
    return match.group(0)


async def test_quote_and_order_emails_carry_a_portal_link_that_opens_the_document(
    client, db, backend, smtp_server, app
):
    url, inbox = smtp_server
    w = await world(client, db)
    settings = backend.settings(smtp_url=url, public_url="https://sales.example.test")
    worker = OutboxWorker(db, settings)
    rep = bearer(await login(client, "rep1@corp.test"))
    quote = await client.post(
        "/api/quotes",
        json={"customer_id": w["customer"], "lines": [{"product_id": w["widget"], "quantity": 1}]},
        headers=rep,
    )
    assert (await client.post(f"/api/quotes/{quote.json()['id']}/send", headers=rep)).is_success
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    await drain(worker)

    # Sent side by side, so in either order.
    subjects = {str(m["Subject"]): m for _, m in inbox.messages}
    quote_mail = subjects[f"Your quote {quote.json()['number']}"]
    order_mail = subjects[f"Order {order['number']} confirmed"]
    for mail, path in ((quote_mail, "/p/quotes/"), (order_mail, "/p/orders/")):
        text, html = _parts(mail)
        link = _portal_link(text)
        assert f'href="{link}"' in html
        # Each e-mail's link opens its own document on the portal, for the customer.
        async with browser_client(app) as customer:
            opened = await open_link(customer, link)
            assert opened.status_code == 303, opened.text
            assert opened.headers["location"].startswith(path)
            page = await customer.get(opened.headers["location"])
            assert page.status_code == 200
            number = quote.json()["number"] if path == "/p/quotes/" else order["number"]
            assert number in page.text
    async with db.read() as unit:
        links = (await unit.session.scalars(select(PortalLink))).all()
    assert sorted((bool(x.quote_id), bool(x.order_id)) for x in links) == [
        (False, True),
        (True, False),
    ]
    # The token travels in the e-mail only; the table keeps its hash.
    sent = {token_of(_portal_link(_parts(m)[0])) for _, m in inbox.messages}
    assert {hash_token(t) for t in sent} == {x.token_hash for x in links}
    assert not sent & {x.token_hash for x in links}


async def test_without_a_public_url_emails_carry_no_portal_link(client, db, backend, smtp_server):
    url, inbox = smtp_server
    w = await world(client, db)
    await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    await drain(OutboxWorker(db, backend.settings(smtp_url=url)))
    [(_, mail)] = inbox.messages
    assert "/p/" not in _parts(mail)[0]
    async with db.read() as unit:
        assert (await unit.session.scalars(select(PortalLink))).all() == []
