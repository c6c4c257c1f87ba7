"""The customer portal: links staff create, and the pages a link opens without an account."""

from __future__ import annotations

from typing import Any

from server.features.portal.pages import PORTAL_PAGES
from server.features.portal.routes import PortalLinkController

__all__ = ["ROUTES"]

ROUTES: list[Any] = [PortalLinkController, *PORTAL_PAGES]
