"""The offline sync API: devices, push, pull."""

from __future__ import annotations

from typing import Any

from server.features.sync_api.routes import SyncController

__all__ = ["ROUTES"]

ROUTES: list[Any] = [SyncController]
