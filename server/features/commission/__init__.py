"""Commission: plans, quotas, the ledger each order credits, statements and their
disputes, the rep's summary, payroll, and the manager's pages."""

from __future__ import annotations

from typing import Any

from server.features.commission.pages import COMMISSION_PAGES
from server.features.commission.review_routes import REVIEW_API
from server.features.commission.routes import COMMISSION_API

__all__ = ["ROUTES"]

ROUTES: list[Any] = [*COMMISSION_API, *REVIEW_API, *COMMISSION_PAGES]
