"""E-mails to customers through a real local SMTP server (aiosmtpd), and kept for admins
when no SMTP server is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.db.models import EmailMessage, OutboxMessage
from server.features.notifications.worker import OutboxWorker
from tests.fulfilment_factories import place, ship
from tests.integration.test_back_office_pages import _log_in as log_in
from tests.integration.test_outbox import world
from tests.integration.test_webhooks import drain


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
