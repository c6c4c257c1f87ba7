"""CSV imports of products (with prices and stock) and customers: checked whole, written
in batches as a resumable import job."""

from __future__ import annotations

from typing import Any

from server.features.imports.routes import (
    import_customers,
    import_job,
    import_jobs,
    import_products,
    resume_import,
)
from server.features.imports.views import IMPORT_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [
    import_customers,
    import_products,
    import_jobs,
    import_job,
    resume_import,
    *IMPORT_PAGES,
]
