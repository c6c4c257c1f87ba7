"""Price lists: read them, add a version, set, remove or replace a version's items.

A price list is identified over time by its `code`; each POST of a code adds the next
version and leaves the earlier ones untouched, so a quote can always say which version
priced it. The pricing rule picks the newest version valid on the day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, ScalarSelect, delete, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, PriceBreak, PriceList, PriceListItem, Product
from server.db.types import new_id
from server.db.unit_of_work import WriteUnit
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.price_list_versions import VersionPeriod, plan_new_version, price_item_problems
from server.features.catalog import events
from server.features.catalog.changes import price_list_change
from server.features.catalog.schemas import (
    BreakIn,
    BreakOut,
    PriceItemIn,
    PriceItemOut,
    PriceListDetail,
    PriceListIn,
    PriceListOut,
)
from server.features.customers.queries import get_visible
from server.features.shared.scope import Scope, customer_filter

__all__ = [
    "create_price_list",
    "list_price_lists",
    "price_list_detail",
    "product_floors",
    "remove_item",
    "replace_items",
    "set_item",
    "touch_price_list",
]


def _out(pl: PriceList, item_count: int) -> PriceListOut:
    return PriceListOut(
        id=pl.id,
        code=pl.code,
        name=pl.name,
        kind=pl.kind,
        currency=pl.currency,
        customer_id=pl.customer_id,
        version=pl.version,
        valid_from=pl.valid_from,
        valid_to=pl.valid_to,
        item_count=item_count,
    )


def _item_count() -> ScalarSelect[int]:
    return (
        select(func.count(PriceListItem.id))
        .where(PriceListItem.price_list_id == PriceList.id)
        .correlate(PriceList)
        .scalar_subquery()
    )


def _visible_lists(scope: Scope) -> ColumnElement[bool]:
    """Base and tier lists are everyone's; a customer's own list (its negotiated prices) is
    seen by whoever sees the customer."""
    if scope.sees_all:
        return true()
    return or_(
        PriceList.customer_id.is_(None),
        PriceList.customer_id.in_(select(Customer.id).where(customer_filter(scope))),
    )


async def list_price_lists(
    session: AsyncSession,
    scope: Scope,
    *,
    code: str | None,
    kind: str | None,
    customer_id: str | None,
) -> list[PriceListOut]:
    if customer_id:
        # A customer out of scope answers as one that does not exist.
        await get_visible(session, scope, customer_id)
    query = select(PriceList, _item_count()).where(_visible_lists(scope))
    if code:
        query = query.where(PriceList.code == code)
    if kind:
        query = query.where(PriceList.kind == kind)
    if customer_id:
        query = query.where(PriceList.customer_id == customer_id)
    rows = (await session.execute(query.order_by(PriceList.code, PriceList.version.desc()))).all()
    return [_out(pl, int(n)) for pl, n in rows]


async def price_list_detail(
    session: AsyncSession, scope: Scope, price_list_id: str
) -> PriceListDetail:
    pl = await session.scalar(
        select(PriceList).where(PriceList.id == price_list_id, _visible_lists(scope))
    )
    if pl is None:
        raise NotFound("No such price list.", code="price_list_not_found")
    rows = (
        await session.execute(
            select(PriceListItem, Product.sku)
            .join(Product, PriceListItem.product_id == Product.id)
            .where(PriceListItem.price_list_id == pl.id)
            .order_by(Product.sku)
        )
    ).all()
    breaks: dict[str, list[BreakOut]] = defaultdict(list)
    if rows:
        for b in (
            await session.execute(
                select(PriceBreak)
                .join(PriceListItem, PriceBreak.item_id == PriceListItem.id)
                .where(PriceListItem.price_list_id == pl.id)
                .order_by(PriceBreak.min_qty)
            )
        ).scalars():
            breaks[b.item_id].append(BreakOut(b.min_qty, b.unit_price_cents))
    items = [
        PriceItemOut(
            product_id=i.product_id,
            sku=sku,
            unit_price_cents=i.unit_price_cents,
            breaks=breaks[i.id],
        )
        for i, sku in rows
    ]
    return PriceListDetail(price_list=_out(pl, len(items)), items=items)


async def _check_items(session: AsyncSession, items: Sequence[PriceItemIn]) -> None:
    """Every product once and known; each item's prices positive, above the product's floor,
    its volume breaks increasing (`price_item_problems`). The first problem refuses all."""
    counts = Counter(item.product_id for item in items)
    duplicates = sorted(pid for pid, n in counts.items() if n > 1)
    if duplicates:
        raise ValidationFailed(
            "each product may appear once per price list",
            code="duplicate_product",
            details={"product_ids": duplicates},
        )
    floors = await product_floors(session, list(counts))
    unknown = sorted(counts.keys() - floors.keys())
    if unknown:
        raise ValidationFailed(
            "some products do not exist", code="unknown_product", details={"product_ids": unknown}
        )
    for item in items:
        problems = price_item_problems(
            unit_price_cents=item.unit_price_cents,
            breaks=[(b.min_qty, b.unit_price_cents) for b in item.breaks],
            floor_price_cents=floors[item.product_id],
        )
        if problems:
            raise ValidationFailed(
                "; ".join(p.message for p in problems),
                code=problems[0].code,
                details={
                    "product_id": item.product_id,
                    "floor_price_cents": floors[item.product_id],
                    "problems": [msgspec.structs.asdict(p) for p in problems],
                },
            )


async def product_floors(session: AsyncSession, product_ids: Sequence[str]) -> dict[str, int]:
    """The floor price of each known product among `product_ids`."""
    floors: dict[str, int] = {}
    ids = list(product_ids)
    for start in range(0, len(ids), 1000):  # chunks stay under every driver's parameter limit
        chunk = ids[start : start + 1000]
        rows = await session.execute(
            select(Product.id, Product.floor_price_cents).where(Product.id.in_(chunk))
        )
        floors.update({pid: floor for pid, floor in rows.all()})
    return floors


async def _insert_items(
    session: AsyncSession, price_list_id: str, items: Sequence[PriceItemIn]
) -> None:
    item_rows: list[dict[str, Any]] = []
    break_rows: list[dict[str, Any]] = []
    for item in items:
        item_id = new_id()
        item_rows.append(
            {
                "id": item_id,
                "price_list_id": price_list_id,
                "product_id": item.product_id,
                "unit_price_cents": item.unit_price_cents,
            }
        )
        break_rows.extend(
            {
                "id": new_id(),
                "item_id": item_id,
                "min_qty": b.min_qty,
                "unit_price_cents": b.unit_price_cents,
            }
            for b in item.breaks
        )
    if item_rows:
        await session.execute(insert(PriceListItem), item_rows)
    if break_rows:
        await session.execute(insert(PriceBreak), break_rows)


async def _check_owner(session: AsyncSession, data: PriceListIn) -> None:
    if data.kind == "customer":
        if data.customer_id is None:
            raise ValidationFailed(
                "a customer price list needs customer_id", code="customer_required"
            )
        if await session.get(Customer, data.customer_id) is None:
            raise ValidationFailed("No such customer.", code="unknown_customer")
    elif data.customer_id is not None:
        raise ValidationFailed(
            f"only customer price lists name a customer, not {data.kind} lists",
            code="customer_not_allowed",
        )
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        raise ValidationFailed("valid_to is before valid_from", code="invalid_validity")


async def touch_price_list(uow: WriteUnit, pl: PriceList) -> None:
    """Base and tier lists are everyone's; a customer's list goes where the customer is seen."""
    territory_id = None
    if pl.kind == "customer" and pl.customer_id:
        territory_id = await uow.session.scalar(
            select(Customer.territory_id).where(Customer.id == pl.customer_id)
        )
    uow.feed.touch(price_list_change(pl.id, territory_id))


async def _versions_of(session: AsyncSession, code: str) -> list[PriceList]:
    # Locked: a supersede sets a planned version's valid_to, and two new versions of one
    # code checked side by side must not both pass against the same planned version.
    return list(
        (
            await session.execute(
                select(PriceList)
                .where(PriceList.code == code)
                .order_by(PriceList.version)
                .with_for_update()
            )
        ).scalars()
    )


async def _items_of(session: AsyncSession, price_list_id: str) -> list[PriceItemIn]:
    """A version's items as the input of another version (a copy to edit)."""
    rows = (
        await session.execute(
            select(PriceListItem.id, PriceListItem.product_id, PriceListItem.unit_price_cents)
            .where(PriceListItem.price_list_id == price_list_id)
            .order_by(PriceListItem.product_id)
        )
    ).all()
    breaks: dict[str, list[BreakIn]] = defaultdict(list)
    for b in (
        await session.execute(
            select(PriceBreak.item_id, PriceBreak.min_qty, PriceBreak.unit_price_cents)
            .join(PriceListItem, PriceBreak.item_id == PriceListItem.id)
            .where(PriceListItem.price_list_id == price_list_id)
            .order_by(PriceBreak.min_qty)
        )
    ).all():
        breaks[b.item_id].append(BreakIn(b.min_qty, b.unit_price_cents))
    return [PriceItemIn(r.product_id, r.unit_price_cents, breaks[r.id]) for r in rows]


async def create_price_list(
    uow: WriteUnit, actor_id: str, data: PriceListIn, *, today: date | None = None
) -> PriceList:
    """A new list, or the next version of `data.code`.

    A version planned for the future is never hidden silently (`plan_new_version`): the
    new version must end before it starts, or `supersede` ends the planned one, audited.
    With `copy_items` the new version starts with the items of the version it follows."""
    session = uow.session
    await _check_owner(session, data)
    versions = await _versions_of(session, data.code)
    latest = versions[-1] if versions else None
    # A code names one list over time: a new version may not turn a tier list into a
    # customer's list, or move a customer's prices to another customer.
    if latest is not None and (latest.kind, latest.customer_id) != (data.kind, data.customer_id):
        raise Conflict(
            f"price list {data.code} is a {latest.kind} list; a new version must keep its kind and customer",
            code="price_list_code_mismatch",
        )
    items: Sequence[PriceItemIn] = data.items
    if data.copy_items:
        if data.items:
            raise ValidationFailed(
                "give either items or copy_items, not both", code="items_or_copy"
            )
        if latest is None:
            raise ValidationFailed(
                f"price list {data.code} has no earlier version to copy", code="nothing_to_copy"
            )
        items = await _items_of(session, latest.id)
    await _check_items(session, items)
    ended = plan_new_version(
        [VersionPeriod(v.id, v.version, v.valid_from, v.valid_to) for v in versions],
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        today=today or date.today(),
        supersede=data.supersede,
    )
    pl = PriceList(
        id=new_id(),
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        currency=data.currency,
        customer_id=data.customer_id,
        version=(latest.version + 1) if latest else 1,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
    )
    session.add(pl)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"another version of {data.code} was created at the same time; try again",
            code="price_list_version_taken",
        ) from None
    await _insert_items(session, pl.id, items)
    await uow.audit.record(
        events.price_list_created(
            price_list_id=pl.id,
            actor_id=actor_id,
            code=pl.code,
            version=pl.version,
            item_count=len(items),
        )
    )
    by_id = {v.id: v for v in versions}
    for end in ended:
        planned = by_id[end.id]
        planned.valid_to = end.new_valid_to
        await uow.audit.record(
            events.price_list_superseded(
                price_list_id=planned.id,
                actor_id=actor_id,
                code=planned.code,
                version=planned.version,
                by_version=pl.version,
                old_valid_to=end.old_valid_to,
                new_valid_to=end.new_valid_to,
            )
        )
        await touch_price_list(uow, planned)
    await session.flush()
    await touch_price_list(uow, pl)
    return pl


async def _locked_version(session: AsyncSession, price_list_id: str) -> PriceList:
    pl = await session.get(PriceList, price_list_id, with_for_update=True)
    if pl is None:
        raise NotFound("No such price list.", code="price_list_not_found")
    return pl


async def set_item(
    uow: WriteUnit, actor_id: str, price_list_id: str, item: PriceItemIn
) -> PriceList:
    """Add one product's price (and breaks) to a version, or replace it there."""
    session = uow.session
    pl = await _locked_version(session, price_list_id)
    await _check_items(session, [item])
    existing = await session.scalar(
        select(PriceListItem.id).where(
            PriceListItem.price_list_id == pl.id, PriceListItem.product_id == item.product_id
        )
    )
    if existing is not None:
        await session.execute(delete(PriceBreak).where(PriceBreak.item_id == existing))
        await session.execute(delete(PriceListItem).where(PriceListItem.id == existing))
    await _insert_items(session, pl.id, [item])
    await uow.audit.record(
        events.price_list_item_set(
            price_list_id=pl.id,
            actor_id=actor_id,
            product_id=item.product_id,
            unit_price_cents=item.unit_price_cents,
            breaks=[(b.min_qty, b.unit_price_cents) for b in item.breaks],
        )
    )
    await touch_price_list(uow, pl)
    return pl


async def remove_item(uow: WriteUnit, actor_id: str, price_list_id: str, product_id: str) -> None:
    """Take one product out of a version (its price falls through to the next level)."""
    session = uow.session
    pl = await _locked_version(session, price_list_id)
    existing = await session.scalar(
        select(PriceListItem.id).where(
            PriceListItem.price_list_id == pl.id, PriceListItem.product_id == product_id
        )
    )
    if existing is None:
        raise NotFound("This version has no price for that product.", code="item_not_found")
    await session.execute(delete(PriceBreak).where(PriceBreak.item_id == existing))
    await session.execute(delete(PriceListItem).where(PriceListItem.id == existing))
    await uow.audit.record(
        events.price_list_item_removed(
            price_list_id=pl.id, actor_id=actor_id, product_id=product_id
        )
    )
    await touch_price_list(uow, pl)


async def replace_items(
    uow: WriteUnit, actor_id: str, price_list_id: str, items: Sequence[PriceItemIn]
) -> None:
    """Replace all items of one version at once (breaks go with their items)."""
    session = uow.session
    pl = await _locked_version(session, price_list_id)
    await _check_items(session, items)
    before = int(
        await session.scalar(
            select(func.count(PriceListItem.id)).where(PriceListItem.price_list_id == pl.id)
        )
        or 0
    )
    # Breaks are deleted explicitly rather than trusting ON DELETE CASCADE to be enforced.
    item_ids = (
        select(PriceListItem.id).where(PriceListItem.price_list_id == pl.id).scalar_subquery()
    )
    await session.execute(delete(PriceBreak).where(PriceBreak.item_id.in_(item_ids)))
    await session.execute(delete(PriceListItem).where(PriceListItem.price_list_id == pl.id))
    await _insert_items(session, pl.id, items)
    await uow.audit.record(
        events.price_list_items_replaced(
            price_list_id=pl.id,
            actor_id=actor_id,
            before_count=before,
            item_count=len(items),
        )
    )
    await touch_price_list(uow, pl)
