"""The back office's frame: the admin home and what every admin page shares."""

from __future__ import annotations

from typing import Any

from server.features.backoffice.views import admin_home

__all__ = ["ROUTES"]

ROUTES: list[Any] = [admin_home]
