"""The catalog slice: JSON routes, HTML views and services."""

from __future__ import annotations

from typing import Any

__all__ = ["ROUTES"]

# Route handlers and controllers of this slice, registered by server/app.py.
ROUTES: list[Any] = []
