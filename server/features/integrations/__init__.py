"""Integration users: other systems that call the API with a scoped, hashed API token."""

from __future__ import annotations

from typing import Any

from server.features.integrations.routes import (
    create_integration,
    list_integrations,
    revoke_integration,
)
from server.features.integrations.views import INTEGRATION_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [list_integrations, create_integration, revoke_integration, *INTEGRATION_PAGES]
