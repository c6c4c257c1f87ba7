"""The e-mails events send to customers, rendered from Jinja templates (HTML, escaped, and a
plain-text alternative), and sending them over SMTP.

Without `FIELDSALES_SMTP_URL` nothing is sent: the worker keeps each e-mail, marked as kept,
for admins to read on the e-mails page.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from server.config import Settings
from server.db.models import Customer, CustomerContact
from server.db.unit_of_work import ReadUnit
from server.domain.money import from_cents

__all__ = [
    "EMAIL_EVENTS",
    "Recipient",
    "Recipients",
    "RenderedEmail",
    "render_email",
    "send_smtp",
]

_TEMPLATES = Path(__file__).resolve().parents[3] / "pwa" / "templates" / "email"
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    # The templates ship with the code: no need to stat each one before every render.
    auto_reload=False,
)

# The events that e-mail the customer, with the template and subject of each.
EMAIL_EVENTS = {
    "quote.sent": ("quote_sent", "Your quote {number}"),
    "order.confirmed": ("order_confirmed", "Order {number} confirmed"),
    "order.shipped": ("order_shipped", "Order {number} has shipped"),
}


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    to: str
    subject: str
    text: str
    html: str

    def payload(self) -> dict[str, Any]:
        return {"to": self.to, "subject": self.subject, "text": self.text, "html": self.html}


@dataclass(frozen=True, slots=True)
class Recipient:
    customer: str
    contact: str
    email: str


@dataclass(frozen=True, slots=True)
class Recipients:
    """Who receives the e-mails of a batch of events: each customer's name and the first of
    its contacts (by name) that has an e-mail address, read in two queries for the batch."""

    by_customer: dict[str, Recipient]

    def of(self, event_type: str, payload: dict[str, Any]) -> Recipient | None:
        """Who receives the event's e-mail, if it sends one and has someone to send it to."""
        if event_type not in EMAIL_EVENTS:
            return None
        return self.by_customer.get(str(payload.get("customer_id")))

    @classmethod
    async def load(cls, unit: ReadUnit, events: Iterable[Any]) -> Recipients:
        wanted = sorted(
            {
                str(event.payload["customer_id"])
                for event in events
                if event.event_type in EMAIL_EVENTS and event.payload.get("customer_id")
            }
        )
        if not wanted:
            return cls({})
        names = {
            customer_id: trading or legal
            for customer_id, trading, legal in (
                await unit.session.execute(
                    select(Customer.id, Customer.trading_name, Customer.legal_name).where(
                        Customer.id.in_(wanted)
                    )
                )
            )
        }
        contacts = await unit.session.execute(
            select(CustomerContact.customer_id, CustomerContact.name, CustomerContact.email)
            .where(CustomerContact.customer_id.in_(wanted), CustomerContact.email != "")
            .order_by(CustomerContact.customer_id, CustomerContact.name, CustomerContact.id)
        )
        found: dict[str, Recipient] = {}
        for customer_id, name, email in contacts:
            if customer_id in names and customer_id not in found:
                found[customer_id] = Recipient(names[customer_id], name, email)
        return cls(found)


def render_email(
    event_type: str,
    payload: dict[str, Any],
    recipients: Recipients,
    *,
    portal_url: str | None = None,
) -> RenderedEmail | None:
    """The customer's e-mail for the event, or None (no e-mail for this event, or the
    customer has no contact with an e-mail address), with the customer's portal link to
    the document when there is one."""
    recipient = recipients.of(event_type, payload)
    template = EMAIL_EVENTS.get(event_type)
    if template is None or recipient is None:
        return None
    name, subject = template
    context = {
        "customer": recipient.customer,
        "contact": recipient.contact,
        "portal_url": portal_url,
        "total": f"{from_cents(int(payload.get('total_cents', 0)))} {payload.get('currency', '')}",
        **payload,
    }
    return RenderedEmail(
        to=recipient.email,
        subject=subject.format(number=payload["number"]),
        text=_env.get_template(f"{name}.txt").render(context),
        html=_env.get_template(f"{name}.html").render(context),
    )


def _mime(settings: Settings, email: dict[str, Any], message_id: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = settings.mail_from
    mime["To"] = email["to"]
    mime["Subject"] = email["subject"]
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    mime["Message-ID"] = f"<{message_id}@{domain}>"
    mime.set_content(email["text"])
    mime.add_alternative(email["html"], subtype="html")
    return mime


def _send_now(settings: Settings, mime: MimeMessage) -> None:
    url = urlsplit(settings.smtp_url)
    host = url.hostname or "localhost"
    username = unquote(url.username or "") or settings.smtp_username
    password = unquote(url.password or "") or settings.smtp_password
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if url.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(host, url.port or 465, timeout=30, context=context)
    elif url.scheme == "smtp":
        smtp = smtplib.SMTP(host, url.port or 587, timeout=30)
    else:
        raise ValueError("FIELDSALES_SMTP_URL must start with smtp:// or smtps://")
    with smtp:
        if url.scheme == "smtp":
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif username:
                # Credentials never travel in the clear.
                raise smtplib.SMTPException("the server does not offer STARTTLS")
        if username:
            smtp.login(username, password)
        smtp.send_message(mime)


async def send_smtp(settings: Settings, email: dict[str, Any], message_id: str) -> None:
    """Send over SMTP on a thread (smtplib blocks); raises when the server refuses."""
    await asyncio.to_thread(_send_now, settings, _mime(settings, email, message_id))
