"""The state of a sortable, filterable table page: which column sorts it, which way, its
filters and its page, and the links that change one of them.

Sorting and filtering happen in the database (the handler turns `sort` into an ORDER BY
through an allow-list); the page only renders links. Every link keeps the other filters,
and the CSV export link carries the same filters and sort without the page offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from server.domain.errors import ValidationFailed

__all__ = ["EXPORT_LIMIT", "TableState", "day_range", "parse_day", "table_state"]

# An export is of the filtered table, not of a page, but never unbounded.
EXPORT_LIMIT = 100_000


class TableState:
    def __init__(
        self,
        path: str,
        sort: str,
        descending: bool,
        filters: Mapping[str, str],
        offset: int,
        default_sort: str,
    ) -> None:
        self.path, self.sort, self.descending = path, sort, descending
        self.filters, self.offset, self.default_sort = dict(filters), offset, default_sort

    def query(self, **changes: Any) -> str:
        """The query string of this table with `changes` (None drops a parameter)."""
        values: dict[str, Any] = {
            **{k: v for k, v in self.filters.items() if v},
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "offset": self.offset or None,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def sort_query(self, key: str) -> str:
        """Sort by `key`: the other way round when it already sorts the table."""
        descending = not self.descending if key == self.sort else False
        return self.query(sort=key, dir="desc" if descending else "asc", offset=None)

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return ""
        return "descending" if self.descending else "ascending"

    def export_query(self) -> str:
        return self.query(offset=None)


def table_state(
    path: str,
    *,
    sort: str,
    direction: str,
    sorts: Sequence[str],
    default_sort: str,
    default_descending: bool,
    filters: Mapping[str, str],
    offset: int,
) -> TableState:
    """The table's state from its query; an unknown sort column or direction is refused."""
    key = sort or default_sort
    if key not in sorts:
        raise ValidationFailed(
            f"A table cannot be sorted by '{sort}'.",
            code="unknown_sort",
            details={"allowed": list(sorts)},
        )
    if direction not in ("", "asc", "desc"):
        raise ValidationFailed("Sort direction is 'asc' or 'desc'.", code="unknown_direction")
    descending = direction == "desc" if direction else (default_descending and not sort)
    return TableState(path, key, descending, filters, max(0, offset), default_sort)


def parse_day(text: str, name: str) -> date | None:
    """A date filter (YYYY-MM-DD); empty is no filter, anything else is refused."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"'{name}' is a date like 2026-03-31.", code="invalid_date", details={"field": name}
        ) from None


def day_range(
    start: date | None, end: date | None, zone: tzinfo = UTC
) -> tuple[datetime | None, datetime | None]:
    """From the start of `start` to before the day after `end` (inclusive), both days as
    the viewer's calendar has them, as UTC instants."""
    low = datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC) if start else None
    high = (
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
        if end
        else None
    )
    return low, high
