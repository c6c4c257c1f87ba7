"""The billing slice: invoices from shipments, payments, credit notes and receivables."""

from __future__ import annotations

from typing import Any

from server.features.billing.routes import BILLING_API
from server.features.billing.views import BILLING_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [*BILLING_API, *BILLING_PAGES]
