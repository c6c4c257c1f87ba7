"""The rep's offline-capable app: data-free page shells, the service worker and the manifest.

The shells render from the phone's local store (filled by the sync pull), so the service
worker can precache them once and serve them with no signal.
"""

from __future__ import annotations

from typing import Any

from server.features.app_shell.builder_views import BUILDER_PAGES
from server.features.app_shell.shell_views import SHELL_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [*SHELL_PAGES, *BUILDER_PAGES]
