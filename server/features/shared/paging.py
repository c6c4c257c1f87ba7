"""The paging parameters every list shares."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

__all__ = ["MAX_OFFSET", "Offset"]

# Far beyond any list a person pages through, and well inside the databases' integers: an
# offset beyond what they can hold would fail in the database instead of being refused.
MAX_OFFSET = 1_000_000_000

Offset = Annotated[
    int, Parameter(ge=0, le=MAX_OFFSET, description="Rows to skip, for the next page.")
]
