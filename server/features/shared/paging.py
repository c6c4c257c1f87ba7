"""The paging parameters every list shares, and the statements of a list built once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple

from litestar.params import Parameter
from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.unit_of_work import unit_of
from server.features.shared.scope import Scope

__all__ = ["MAX_OFFSET", "Offset", "PageStatements", "paged", "read_page"]

# Far beyond any list a person pages through, and well inside the databases' integers: an
# offset beyond what they can hold would fail in the database instead of being refused.
MAX_OFFSET = 1_000_000_000

Offset = Annotated[
    int, Parameter(ge=0, le=MAX_OFFSET, description="Rows to skip, for the next page.")
]


class PageStatements(NamedTuple):
    """A list's count and one page of it, built once, for `read_page`."""

    total: Select[int]
    page: Select[*tuple[Any, ...]]


def paged(
    rows: Select[*tuple[Any, ...]],
    counted: Any,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
) -> PageStatements:
    """The count of `counted`'s rows that match `where`, and a page of `rows` that match
    it, with `limit` and `offset` as parameters: built once for many requests, as building
    and compiling a statement costs more than running it."""
    return PageStatements(
        select(func.count()).select_from(counted).where(*where),
        rows.where(*where)
        .order_by(*order_by)
        .limit(bindparam("limit"))
        .offset(bindparam("offset")),
    )


async def read_page(
    session: AsyncSession,
    statements: PageStatements,
    scope: Scope,
    *,
    limit: int,
    offset: int,
    **filters: Any,
) -> tuple[int, list[Any]]:
    """(the total, the page's rows) of statements built with a bound scope filter
    (`Scope.shape`) and the `filters` as parameters."""
    params = {**scope.bound_values(), **filters, "limit": limit, "offset": offset}
    sql = unit_of(session).sql
    total = int(await sql.scalar(statements.total, params) or 0)
    return total, await sql.rows(statements.page, params)
