"""The managers' territory dashboard: figures, tables, charts and exports of a subtree."""

from __future__ import annotations

from typing import Any

from server.features.dashboard.routes import DASHBOARD_ROUTES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [*DASHBOARD_ROUTES]
