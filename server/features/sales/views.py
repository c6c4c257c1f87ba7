"""HTML pages of the sales slice: orders, quotes and the manager's approval queue."""

from __future__ import annotations

from typing import Any

from server.features.sales.views_amend import AMEND_PAGES
from server.features.sales.views_approvals import APPROVAL_PAGES
from server.features.sales.views_entry import ENTRY_PAGES
from server.features.sales.views_orders import ORDER_PAGES
from server.features.sales.views_portal_links import PORTAL_LINK_PAGES
from server.features.sales.views_quotes import QUOTE_PAGES
from server.features.sales.views_tables import TABLE_PAGES

__all__ = ["SALES_PAGES"]

SALES_PAGES: list[Any] = [
    *ENTRY_PAGES,
    *TABLE_PAGES,
    *AMEND_PAGES,
    *PORTAL_LINK_PAGES,
    *ORDER_PAGES,
    *QUOTE_PAGES,
    *APPROVAL_PAGES,
]
