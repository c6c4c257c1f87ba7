"""The import pages (admin): upload a CSV file, then follow its import."""

from __future__ import annotations

IMPORT_PAGES: list[object] = []
