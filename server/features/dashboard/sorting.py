"""How the dashboard's tables are sorted: one table at a time, by a column the caller
names in the query string (`sort=customers.name&dir=asc`), through an allow-list.

The sort is applied where the rows are made: in the statement's ORDER BY for the tables
that show only the first rows of many (customers, a customer's orders), over every row
for the short ones (territories, reps, lapsed customers), so a sorted table is never "the
top fifty, re-sorted". The other tables keep their usual order.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.errors import ValidationFailed

__all__ = ["SORTS", "TableSort", "parse_sort"]

# Per table: its columns that sort, and its usual order (column, descending).
SORTS: dict[str, tuple[tuple[str, ...], tuple[str, bool]]] = {
    "territories": (("name", "booked", "previous", "orders"), ("name", False)),
    "reps": (
        ("name", "booked", "previous", "orders", "target", "attainment"),
        ("booked", True),
    ),
    "customers": (
        ("name", "number", "booked", "previous", "orders", "last_order"),
        ("booked", True),
    ),
    "orders": (("number", "placed", "status", "rep", "total"), ("placed", True)),
    "lapsed": (("name", "last_order", "interval", "days_since"), ("days_since", True)),
}
_DIRECTIONS = {"asc": False, "desc": True}


@dataclass(frozen=True)
class TableSort:
    """The sorted table (None: every table in its usual order), its column and way."""

    table: str | None = None
    key: str = ""
    descending: bool = False

    def of(self, table: str) -> tuple[str, bool]:
        """How `table` is sorted: as asked, or its usual order."""
        if table == self.table:
            return self.key, self.descending
        return SORTS[table][1]

    def next_params(self, table: str, key: str) -> dict[str, str]:
        """The query that sorts `table` by `key`: the other way round when it already
        is, else the column's natural way (amounts and counts biggest first)."""
        current_key, descending = self.of(table)
        descending = not descending if key == current_key else _natural(key)
        return {"sort": f"{table}.{key}", "dir": "desc" if descending else "asc"}

    def aria(self, table: str, key: str) -> str:
        current_key, descending = self.of(table)
        if key != current_key:
            return ""
        return "descending" if descending else "ascending"


def parse_sort(sort: str | None, direction: str | None) -> TableSort:
    """`table.column` and `asc` or `desc`; anything else is refused (422)."""
    if not sort:
        if direction and direction not in _DIRECTIONS:
            raise _bad_direction(direction)
        return TableSort()
    table, _, key = sort.partition(".")
    if table not in SORTS or key not in SORTS[table][0]:
        raise ValidationFailed(
            f"A dashboard table cannot be sorted by '{sort}'.",
            code="unknown_sort",
            details={"allowed": [f"{t}.{k}" for t, (keys, _) in SORTS.items() for k in keys]},
        )
    if direction and direction not in _DIRECTIONS:
        raise _bad_direction(direction)
    descending = _DIRECTIONS[direction] if direction else _natural(key)
    return TableSort(table, key, descending)


def _natural(key: str) -> bool:
    """Whether a column sorts descending first: amounts, counts and days do, text not."""
    return key not in ("name", "number", "status", "rep")


def _bad_direction(direction: str) -> ValidationFailed:
    return ValidationFailed(
        f"Sort direction '{direction}' is neither asc nor desc.",
        code="unknown_direction",
        details={"allowed": list(_DIRECTIONS)},
    )
