"""The customers slice: JSON routes, HTML views and services."""

from __future__ import annotations

from typing import Any

from server.features.customers.routes import CustomerController
from server.features.customers.views import CUSTOMER_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [CustomerController, *CUSTOMER_PAGES]
