"""Telling customers and other systems what happened: the outbox's events, their delivery
to webhook endpoints and by e-mail."""

from __future__ import annotations

from typing import Any

from server.features.notifications.routes import (
    create_webhook,
    event_types,
    list_emails,
    list_webhooks,
    replay_webhook_delivery,
    update_webhook,
    webhook_detail,
)
from server.features.notifications.views import NOTIFICATION_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [
    event_types,
    list_webhooks,
    create_webhook,
    webhook_detail,
    update_webhook,
    replay_webhook_delivery,
    list_emails,
    *NOTIFICATION_PAGES,
]
