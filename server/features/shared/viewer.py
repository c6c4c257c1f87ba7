"""How the desktop and manager pages show money, times and their navigation to a viewer.

Times are stored in UTC; people read them in their own zone. The browser names its zone
in the `tz` cookie (`pwa/static/js/page-frame.js`, from `Intl.DateTimeFormat`), and pages
convert on the server with zoneinfo, falling back to UTC for a missing or unknown zone.
Every time shown is labelled with its zone, and every amount with its currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import pass_context
from jinja2.runtime import Context

from server.domain.money import from_cents

__all__ = [
    "DEFAULT_CURRENCY",
    "TZ_COOKIE",
    "NavItem",
    "local_time",
    "money_in",
    "nav_items",
    "register_template_helpers",
    "viewer_zone",
]

TZ_COOKIE = "tz"
# Every document carries its currency; amounts without one (a product's list price on a
# page with no document) are in the system's currency.
DEFAULT_CURRENCY = "USD"
# IANA names: "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+3", "UTC".
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,3}$")


def viewer_zone(cookies: Mapping[str, str]) -> tzinfo:
    """The viewer's zone from the cookie; UTC when it is missing, malformed or unknown."""
    name = cookies.get(TZ_COOKIE, "")
    if not name or len(name) > 64 or not _ZONE_NAME.match(name):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_label(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or "UTC"


def local_time(value: str | datetime | None, zone: tzinfo) -> str:
    """A stored UTC timestamp (naive means UTC) in the viewer's zone, labelled, no seconds."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone_label(zone)}"


def money_in(cents: int | None, currency: str | None = None) -> str:
    """An amount in minor units as people read it, with its currency: `1,234.50 USD`."""
    return f"{from_cents(int(cents or 0)):,.2f} {currency or DEFAULT_CURRENCY}"


class NavItem:
    """One entry of the navigation: where it goes and whether it is the current page."""

    def __init__(self, href: str, text: str, current: bool, group: str) -> None:
        self.href, self.text, self.current, self.group = href, text, current, group


# (href, text, roles that see it, group). Reps have their own app; the pages they share
# with managers (customers, orders, quotes, catalog) are listed for them too.
_ENTRIES: tuple[tuple[str, str, frozenset[str], str], ...] = (
    ("/", "Home", frozenset({"rep", "manager", "admin"}), "Sales"),
    ("/manager/dashboard", "Dashboard", frozenset({"manager", "admin"}), "Sales"),
    ("/customers", "Customers", frozenset({"rep", "manager", "admin"}), "Sales"),
    ("/orders", "Orders", frozenset({"rep", "manager", "admin"}), "Sales"),
    ("/orders/new", "New order", frozenset({"manager", "admin"}), "Sales"),
    ("/quotes", "Quotes", frozenset({"rep", "manager", "admin"}), "Sales"),
    ("/quotes/new", "New quote", frozenset({"manager", "admin"}), "Sales"),
    ("/approvals", "Approvals", frozenset({"manager", "admin"}), "Sales"),
    ("/manager/commission", "Commission", frozenset({"manager", "admin"}), "Sales"),
    ("/territories", "Territories", frozenset({"manager", "admin"}), "Sales"),
    ("/catalog", "Catalog", frozenset({"rep", "manager", "admin"}), "Sales"),
    ("/app", "Rep app", frozenset({"rep"}), "Sales"),
    ("/admin", "Back office", frozenset({"admin"}), "Back office"),
    ("/admin/users", "Users", frozenset({"admin"}), "Back office"),
    ("/admin/stock", "Stock", frozenset({"admin"}), "Back office"),
    ("/admin/stock/expected", "Expected receipts", frozenset({"admin"}), "Back office"),
    ("/admin/fulfilment", "Fulfilment", frozenset({"admin"}), "Back office"),
    ("/billing/queue", "Invoicing", frozenset({"admin"}), "Back office"),
    ("/billing/invoices", "Invoices", frozenset({"admin"}), "Back office"),
    ("/billing/receivables", "Receivables", frozenset({"admin"}), "Back office"),
    ("/admin/price-lists", "Price lists", frozenset({"admin"}), "Back office"),
    ("/imports", "Imports", frozenset({"admin"}), "Back office"),
    ("/admin/webhooks", "Webhooks", frozenset({"admin"}), "Back office"),
    ("/admin/emails", "E-mails", frozenset({"admin"}), "Back office"),
    ("/admin/integrations", "Integrations", frozenset({"admin"}), "Back office"),
    ("/schema", "API docs", frozenset({"admin"}), "Back office"),
)


def nav_items(role: str, path: str) -> list[NavItem]:
    """The entries a role sees; the current one is the longest that prefixes `path`."""
    visible = [e for e in _ENTRIES if role in e[2]]

    def matches(href: str) -> bool:
        return path == href or (href != "/" and path.startswith(href.rstrip("/") + "/"))

    best = max((e[0] for e in visible if matches(e[0])), key=len, default="")
    return [NavItem(href, text, href == best, group) for href, text, _, group in visible]


@pass_context
def _local_time_filter(context: Context, value: str | datetime | None) -> str:
    request = context.get("request")
    zone = viewer_zone(request.cookies) if request is not None else UTC
    return local_time(value, zone)


@pass_context
def _viewer_zone_name(context: Context) -> str:
    request = context.get("request")
    return zone_label(viewer_zone(request.cookies) if request is not None else UTC)


@pass_context
def _nav_for(context: Context) -> list[NavItem]:
    request, user = context.get("request"), context.get("user")
    if request is None or user is None:
        return []
    return nav_items(str(getattr(user, "role", "")), request.url.path)


def register_template_helpers(engine: Any) -> None:
    """Filters and globals every template may use, whatever context its page built."""
    env = engine.engine
    env.filters["local_time"] = _local_time_filter
    env.filters["money"] = money_in
    env.globals["viewer_zone_name"] = _viewer_zone_name
    env.globals["nav_for"] = _nav_for
