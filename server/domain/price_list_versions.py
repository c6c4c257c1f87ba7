"""Price list versions over time: which new versions may be added, and what a price item
may hold.

The pricing rule lets the newest version valid on a day speak (`lookup_price`), so a new
version hides every older one on the days their periods share. For a version already in
force that is the point of adding one. For a version planned for the future it is not: an
admin who adds a version starting earlier would silently cancel prices someone planned.
Such a version is refused unless the admin ends the planned one explicitly: by ending the
new version before the planned one starts, or by superseding it, which sets the planned
version's `valid_to` (the day before the new version starts, or the day before it would
itself have started, when nothing of it remains).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from itertools import pairwise

import msgspec

from server.domain.errors import Conflict

__all__ = [
    "ItemProblem",
    "Superseded",
    "VersionPeriod",
    "hidden_future_versions",
    "plan_new_version",
    "price_item_problems",
]


class VersionPeriod(msgspec.Struct, frozen=True):
    id: str
    version: int
    valid_from: date | None  # inclusive; None = since always
    valid_to: date | None  # inclusive; None = until further notice


class Superseded(msgspec.Struct, frozen=True):
    """A planned version the new one ends: its new `valid_to`."""

    id: str
    version: int
    valid_from: date | None
    old_valid_to: date | None
    new_valid_to: date


def _overlap(
    a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None
) -> bool:
    starts_before_b_ends = a_from is None or b_to is None or a_from <= b_to
    ends_after_b_starts = a_to is None or b_from is None or a_to >= b_from
    return starts_before_b_ends and ends_after_b_starts


def _is_planned(period: VersionPeriod, today: date) -> bool:
    # A version that ended before it began (a superseded plan) is never valid: nothing to hide.
    empty = (
        period.valid_from is not None
        and period.valid_to is not None
        and period.valid_to < period.valid_from
    )
    return period.valid_from is not None and period.valid_from > today and not empty


def hidden_future_versions(
    existing: Iterable[VersionPeriod],
    *,
    valid_from: date | None,
    valid_to: date | None,
    today: date,
) -> list[VersionPeriod]:
    """The planned versions (starting after `today`) a new version with this period would
    hide on at least one day, oldest first."""
    return sorted(
        (
            p
            for p in existing
            if _is_planned(p, today) and _overlap(valid_from, valid_to, p.valid_from, p.valid_to)
        ),
        key=lambda p: p.version,
    )


def _ended(period: VersionPeriod, new_from: date | None) -> date:
    assert period.valid_from is not None  # planned versions have a start
    if new_from is not None and new_from > period.valid_from:
        return new_from - timedelta(days=1)  # the planned version keeps its days before
    return period.valid_from - timedelta(days=1)  # nothing of it remains: withdrawn


def plan_new_version(
    existing: Sequence[VersionPeriod],
    *,
    valid_from: date | None,
    valid_to: date | None,
    today: date,
    supersede: bool,
) -> list[Superseded]:
    """The planned versions a new version ends, or Conflict naming the ones it would hide.

    Without `supersede`, a new version whose period shares a day with a planned version is
    refused (409 `hides_planned_version`); with it, each such version is ended where the
    new one takes over. Versions in force today are not protected: a new version taking
    over from them is how prices change."""
    hidden = hidden_future_versions(existing, valid_from=valid_from, valid_to=valid_to, today=today)
    if hidden and not supersede:
        first = hidden[0]
        raise Conflict(
            f"this version would hide version {first.version}, planned from "
            f"{first.valid_from}: end the new version before {first.valid_from}, or "
            "supersede the planned version to end it",
            code="hides_planned_version",
            details={
                "hidden": [
                    {
                        "id": p.id,
                        "version": p.version,
                        "valid_from": p.valid_from.isoformat() if p.valid_from else None,
                        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
                    }
                    for p in hidden
                ]
            },
        )
    return [
        Superseded(
            id=p.id,
            version=p.version,
            valid_from=p.valid_from,
            old_valid_to=p.valid_to,
            new_valid_to=_ended(p, valid_from),
        )
        for p in hidden
    ]


# --- price items ----------------------------------------------------------------------------


class ItemProblem(msgspec.Struct, frozen=True):
    code: str
    message: str


def price_item_problems(
    *, unit_price_cents: int, breaks: Sequence[tuple[int, int]], floor_price_cents: int
) -> list[ItemProblem]:
    """Everything wrong with one price item: prices must be positive and not under the
    product's floor; volume breaks (min_qty, unit price) start at 2 units and their
    quantities increase in the order given."""
    problems: list[ItemProblem] = []
    prices = [unit_price_cents, *(cents for _, cents in breaks)]
    if any(cents <= 0 for cents in prices):
        problems.append(ItemProblem("price_not_positive", "every price must be above zero"))
    quantities = [qty for qty, _ in breaks]
    if any(qty < 2 for qty in quantities):
        problems.append(ItemProblem("break_below_two", "a volume break starts at 2 units or more"))
    if any(b <= a for a, b in pairwise(quantities)):
        problems.append(
            ItemProblem(
                "breaks_not_increasing",
                "volume breaks must be listed with increasing minimum quantities, each once",
            )
        )
    lowest = min(prices)
    if 0 < lowest < floor_price_cents:
        problems.append(
            ItemProblem(
                "below_floor_price",
                f"a price of {lowest} cents is below the product's floor price of "
                f"{floor_price_cents} cents",
            )
        )
    return problems
