"""Reference data every order reads in full, kept in memory per process.

Territories (with their rules and assignments), tax rates and price list headers are
read by every order: scope, territory snapshot, tax, which lists may price it. They change
rarely and are small, so each process keeps one copy, tagged with the token of
`reference_data_version` it was loaded at. Whoever asks first reads the token (one
indexed row) in the caller's transaction: the same token means the copy is current;
another token (database triggers set a new one on every write to those tables, whoever
writes) means it is loaded again, inside that transaction, so a transaction that has just
changed territories sees its own change.

Price list items (with their volume breaks) are too many to read in full: the copy keeps
those of each product some listing or order has asked for, read in the asking
transaction. Their writes change the token too (migration 0022), and items are kept only
when the token read after them is still the copy's (`is_current`): so neither a change
committed meanwhile nor the asking transaction's own uncommitted change ends up in it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PriceList, ReferenceDataVersion
from server.db.models import TaxRate as TaxRateRow
from server.db.unit_of_work import unit_of
from server.domain.catalog import PriceListItem, TaxRate
from server.domain.territories import visible_territory_ids
from server.features.shared.territory_data import TerritoryData, read_territory_data

__all__ = ["ReferenceData", "is_current", "lock_reference_data", "reference_data"]

_TOKEN = select(ReferenceDataVersion.token).where(ReferenceDataVersion.id == 1)
_TAX_RATES = select(
    TaxRateRow.tax_category, TaxRateRow.country, TaxRateRow.state, TaxRateRow.rate
).order_by(TaxRateRow.id)
_PRICE_LISTS = select(
    PriceList.id,
    PriceList.code,
    PriceList.kind,
    PriceList.version,
    PriceList.valid_from,
    PriceList.valid_to,
    PriceList.customer_id,
    PriceList.currency,
).order_by(PriceList.id)


@dataclass
class ReferenceData:
    token: str
    territory: TerritoryData
    tax_rates: list[TaxRate]
    price_lists: list[
        Any
    ]  # rows: id, code, kind, version, valid_from, valid_to, customer_id, currency
    _scopes: dict[tuple[str, str, date], frozenset[str]] = field(default_factory=dict)
    # Each product read so far: its item in each list that has one, by list id.
    _items: dict[str, dict[str, PriceListItem]] = field(default_factory=dict)
    _derived: dict[Hashable, Any] = field(default_factory=dict)

    def visible_territory_ids(self, user_id: str, role: str, on: date) -> frozenset[str]:
        key = (user_id, role, on)
        if self._scopes and next(iter(self._scopes))[2] != on:
            self._scopes.clear()  # another day: assignments are effective-dated
        ids = self._scopes.get(key)
        if ids is None:
            ids = frozenset(
                visible_territory_ids(
                    self.territory.nodes, self.territory.assignments, user_id, role, on
                )
            )
            self._scopes[key] = ids
        return ids

    def tax_rates_for(self, categories: set[str]) -> list[TaxRate]:
        return [r for r in self.tax_rates if r.tax_category in categories]

    def remembered(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A value worked out from this copy alone (a product's listed price), computed
        once per copy: a new token starts a new copy, and so forgets it."""
        try:
            return self._derived[key]
        except KeyError:
            if len(self._derived) >= _DERIVED_LIMIT:
                self._derived.clear()  # keys carry days: a long-lived copy must not grow
            value = self._derived[key] = compute()
            return value

    def products_without_items(self, product_ids: Iterable[str]) -> list[str]:
        """The products whose price list items this copy has not read yet."""
        return [pid for pid in product_ids if pid not in self._items]

    def keep_items(self, items: dict[str, dict[str, PriceListItem]]) -> None:
        """Keep the items read for some products: product id -> list id -> item, a
        product without any kept too, as priced nowhere. Only items read at this copy's
        token may be kept (`is_current` after reading them)."""
        self._items.update(items)

    def items_of(self, product_id: str) -> dict[str, PriceListItem]:
        """A kept product's items by price list id (`keep_items` first)."""
        return self._items[product_id]


# Values `remembered` per copy before it starts afresh: a few catalogs' worth of prices.
_DERIVED_LIMIT = 200_000

# One copy per database, by URL: the SQLite writer and readers share it.
_COPIES: dict[str, ReferenceData] = {}


async def reference_data(session: AsyncSession) -> ReferenceData:
    token = await unit_of(session).sql.scalar(_TOKEN)
    # The bind: an engine, or the writer's connection. By database, not driver: the SQLite
    # writer has a dialect of its own (server.db.engine.WriterDialect).
    assert session.bind is not None
    url = session.bind.engine.url
    key = str(url.set(drivername=url.get_backend_name()))
    copy = _COPIES.get(key)
    if copy is not None and copy.token == token:
        return copy
    territory = await read_territory_data(session)
    rates = [
        TaxRate(
            tax_category=r.tax_category, country=r.country, state=r.state, rate=Decimal(str(r.rate))
        )
        for r in (await session.execute(_TAX_RATES)).all()
    ]
    lists = list((await session.execute(_PRICE_LISTS)).all())
    copy = ReferenceData(token=str(token), territory=territory, tax_rates=rates, price_lists=lists)
    _COPIES[key] = copy
    return copy


async def is_current(session: AsyncSession, copy: ReferenceData) -> bool:
    """Whether the caller's transaction still sees the token `copy` was loaded at: not
    when another transaction has committed a change since, nor when this one has made
    one."""
    return bool(await unit_of(session).sql.scalar(_TOKEN) == copy.token)


_LOCK = select(ReferenceDataVersion.id).where(ReferenceDataVersion.id == 1).with_for_update()


async def lock_reference_data(session: AsyncSession) -> None:
    """Make changes to territories, rules and assignments take turns, first thing in their
    transaction.

    Their checks (no cycle in the tree, one default, no duplicate rule, no overlapping
    owners) read the territory data and then write. PostgreSQL runs writers side by side,
    so two changes could each pass their check against data without the other and together
    break it. This lock is on the one row every write to those tables updates anyway (the
    token's trigger), so holding it from the start costs nothing more: the second change
    waits, and then reads what the first one committed. SQLite has one writer already."""
    await session.execute(_LOCK)
