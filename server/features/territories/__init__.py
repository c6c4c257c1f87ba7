"""The territories slice: JSON routes, HTML views and services."""

from __future__ import annotations

from typing import Any

from server.features.territories.forms import FORM_HANDLERS
from server.features.territories.routes import (
    AssignmentController,
    RealignmentController,
    RuleController,
    TerritoryController,
)
from server.features.territories.views import TERRITORY_PAGES

__all__ = ["ROUTES"]

# Route handlers and controllers of this slice, registered by server/app.py.
ROUTES: list[Any] = [
    TerritoryController,
    RuleController,
    AssignmentController,
    RealignmentController,
    *TERRITORY_PAGES,
    *FORM_HANDLERS,
]
