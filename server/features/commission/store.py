"""Commission's persistence: the facts of one order, the plan in force, ledger entries and
the periods approved statements have locked, through the unit's direct statements.

Lock (PostgreSQL): crediting holds a shared advisory lock per rep and approving a
statement an exclusive one, taken after every row lock of the order path and before the
change counter; credits never wait for each other, and an approval waits for the credits
in flight, so no entry lands in a period after its statement has been approved.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, literal, select

from server.db.models import (
    CommissionDraw,
    CommissionEntry,
    CommissionPlan,
    CommissionQuota,
    CommissionSplit,
    CommissionStatement,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Product,
    SalesOrder,
    SalesOrderLine,
)
from server.db.models.base import table_of
from server.db.statements import by_arity
from server.db.types import new_id, utcnow
from server.db.unit_of_work import ReadUnit
from server.domain.commission import (
    Basis,
    CreditFacts,
    CreditLineFacts,
    CreditSplit,
    DesiredEntry,
    ExistingEntry,
    InvoiceFacts,
    InvoiceLineFacts,
    NewEntry,
    OrderFacts,
    OrderLineFacts,
    PaysOn,
    Plan,
    Spiff,
    SpiffPer,
    Tier,
    TierMode,
    entries_to_append,
)
from server.domain.commission_periods import DRAW_KINDS, Draw, DrawKind, quarter_of

__all__ = ["LOCKING_STATUSES", "CommissionStore", "plan_of", "spiff_of"]

# Statement statuses that lock their period: later differences land in the open period.
LOCKING_STATUSES: tuple[str, ...] = ("approved", "paid")

_PLANS, _QUOTAS = table_of(CommissionPlan), table_of(CommissionQuota)
_ENTRIES, _STATEMENTS = table_of(CommissionEntry), table_of(CommissionStatement)
_ORDERS, _LINES, _PRODUCTS = table_of(SalesOrder), table_of(SalesOrderLine), table_of(Product)
_INVOICES, _INVOICE_LINES = table_of(Invoice), table_of(InvoiceLine)
_NOTES, _NOTE_LINES = table_of(CreditNote), table_of(CreditNoteLine)
_SPLITS, _DRAWS = table_of(CommissionSplit), table_of(CommissionDraw)
_RATE_PLACES = Decimal("0.0001")

_PLAN_ON = (
    select(_PLANS)
    .where(_PLANS.c.valid_from <= bindparam("on"))
    .order_by(_PLANS.c.valid_from.desc(), _PLANS.c.version.desc())
    .limit(1)
)
_ANY_PLAN = select(_PLANS.c.id).limit(1)
_ORDER = select(
    _ORDERS.c.id,
    _ORDERS.c.status,
    _ORDERS.c.rep_id,
    _ORDERS.c.created_by,
    _ORDERS.c.manager_ids,
    _ORDERS.c.placed_at,
    _ORDERS.c.order_type,
).where(_ORDERS.c.id == bindparam("id"))
_ORDER_LINES = (
    select(
        _LINES.c.id,
        _LINES.c.product_id,
        _PRODUCTS.c.category_id,
        _LINES.c.net_cents,
        _LINES.c.quantity,
        _LINES.c.discount_percent,
        _PRODUCTS.c.cost_cents,
    )
    .join(_PRODUCTS, _PRODUCTS.c.id == _LINES.c.product_id)
    .where(_LINES.c.order_id == bindparam("id"))
    .order_by(_LINES.c.line_no)
)
_ORDER_INVOICES = (
    select(
        _INVOICES.c.id,
        _INVOICES.c.total_cents,
        _INVOICES.c.paid_cents,
        _INVOICES.c.credited_cents,
        _INVOICE_LINES.c.id,
        _INVOICE_LINES.c.order_line_id,
        _INVOICE_LINES.c.net_cents,
    )
    .join(_INVOICE_LINES, _INVOICE_LINES.c.invoice_id == _INVOICES.c.id)
    .where(_INVOICES.c.order_id == bindparam("id"))
    .order_by(_INVOICES.c.number, _INVOICE_LINES.c.line_no)
)
_ORDER_NOTES = (
    select(
        _NOTES.c.id,
        _NOTES.c.invoice_id,
        _NOTE_LINES.c.id,
        _NOTE_LINES.c.order_line_id,
        _NOTE_LINES.c.net_cents,
    )
    .join(_NOTE_LINES, _NOTE_LINES.c.credit_note_id == _NOTES.c.id)
    .where(_NOTES.c.order_id == bindparam("id"))
    .order_by(_NOTES.c.number, _NOTE_LINES.c.id)
)
_ORDER_SPLITS = (
    select(_SPLITS.c.rep_id, _SPLITS.c.percent)
    .where(_SPLITS.c.order_id == bindparam("id"))
    .order_by(_SPLITS.c.percent.desc(), _SPLITS.c.rep_id)
)
_EXISTING_COLUMNS = [_ENTRIES.c[name] for name in ExistingEntry.__struct_fields__]
_ENTRIES_OF_ORDER = select(*_EXISTING_COLUMNS).where(_ENTRIES.c.order_id == bindparam("id"))
_ENTRIES_OF_KEY = select(*_EXISTING_COLUMNS).where(_ENTRIES.c.key == bindparam("key"))
_LOCKED_PERIODS = by_arity(
    lambda n: select(_STATEMENTS.c.rep_id, _STATEMENTS.c.period).where(
        _STATEMENTS.c.rep_id.in_([bindparam(f"r{i}") for i in range(n)]),
        _STATEMENTS.c.status.in_([literal(s) for s in LOCKING_STATUSES]),
    )
)
_PERIOD_SUMS = select(
    func.coalesce(func.sum(_ENTRIES.c.amount_cents), 0),
    func.coalesce(func.sum(_ENTRIES.c.revenue_cents), 0),
).where(
    _ENTRIES.c.rep_id == bindparam("rep"),
    _ENTRIES.c.period == bindparam("period"),
    _ENTRIES.c.role == literal("rep"),
    _ENTRIES.c.source_type != literal("period"),
    _ENTRIES.c.kind == literal("commission"),
)
_PERIOD_TOTAL = select(func.coalesce(func.sum(_ENTRIES.c.amount_cents), 0)).where(
    _ENTRIES.c.rep_id == bindparam("rep"), _ENTRIES.c.period == bindparam("period")
)
_QUOTA = select(_QUOTAS.c.period, _QUOTAS.c.quota_cents).where(
    _QUOTAS.c.rep_id == bindparam("rep"),
    _QUOTAS.c.period.in_([bindparam("month"), bindparam("quarter")]),
)
_PERIOD_EARNINGS = select(func.coalesce(func.sum(_ENTRIES.c.amount_cents), 0)).where(
    _ENTRIES.c.rep_id == bindparam("rep"),
    _ENTRIES.c.period == bindparam("period"),
    _ENTRIES.c.kind.not_in([literal(k) for k in DRAW_KINDS]),
)
# Recoverable top-ups of earlier months less what later months recovered of them.
_OUTSTANDING_DRAWS = select(func.coalesce(func.sum(_ENTRIES.c.amount_cents), 0)).where(
    _ENTRIES.c.rep_id == bindparam("rep"),
    _ENTRIES.c.period < bindparam("period"),
    _ENTRIES.c.kind.in_([literal("draw"), literal("recovery")]),
)
_COSTS = by_arity(
    lambda n: select(_PRODUCTS.c.id, _PRODUCTS.c.cost_cents).where(
        _PRODUCTS.c.id.in_([bindparam(f"p{i}") for i in range(n)])
    )
)
_DRAW = select(_DRAWS.c.kind, _DRAWS.c.amount_cents).where(
    _DRAWS.c.rep_id == bindparam("rep"), _DRAWS.c.period == bindparam("period")
)
_INSERT_ENTRY = insert(_ENTRIES)
_SHARED_LOCK = select(func.pg_advisory_xact_lock_shared(func.hashtext(bindparam("k"))))
_EXCLUSIVE_LOCK = select(func.pg_advisory_xact_lock(func.hashtext(bindparam("k"))))


def plan_of(row: Any) -> Plan:
    """A stored plan version as the rules see it (rates exact, from their strings)."""
    return Plan(
        id=row.id,
        version=row.version,
        basis=Basis(row.basis),
        default_rate=Decimal(str(row.default_rate)),
        category_rates={k: Decimal(v) for k, v in (row.category_rates or {}).items()},
        product_rates={k: Decimal(v) for k, v in (row.product_rates or {}).items()},
        tier_mode=TierMode(row.tier_mode),
        tiers=tuple(
            Tier(from_percent=Decimal(t["from_percent"]), multiplier=Decimal(t["multiplier"]))
            for t in row.tiers or []
        ),
        cap_cents=row.cap_cents,
        manager_override_rate=Decimal(str(row.manager_override_rate or 0)),
        erosion_limit=None if row.erosion_limit is None else Decimal(str(row.erosion_limit)),
        spiffs=tuple(spiff_of(s) for s in row.spiffs or []),
        pays_on=PaysOn(row.pays_on or "revenue"),
        category_pays_on={k: PaysOn(v) for k, v in (row.category_pays_on or {}).items()},
        product_pays_on={k: PaysOn(v) for k, v in (row.product_pays_on or {}).items()},
    )


def spiff_of(stored: dict[str, Any]) -> Spiff:
    return Spiff(
        product_id=stored["product_id"],
        per=SpiffPer(stored["per"]),
        amount_cents=int(stored["amount_cents"]),
        starts_on=date.fromisoformat(stored["starts_on"]),
        ends_on=date.fromisoformat(stored["ends_on"]),
    )


class CommissionStore:
    def __init__(self, uow: ReadUnit) -> None:
        self._sql = uow.sql
        self._postgres = uow.dialect_name == "postgresql"
        # Plan versions are never changed once written: within one unit a day's plan is
        # read once (an invoicing run credits a thousand orders of a few days).
        self._plans: dict[date, Plan | None] = {}
        self._any_plan: bool | None = None

    async def any_plan(self) -> bool:
        if self._any_plan is None:
            self._any_plan = await self._sql.scalar(_ANY_PLAN) is not None
        return self._any_plan

    async def plan_on(self, on: date) -> Plan | None:
        if on not in self._plans:
            row = await self._sql.first(_PLAN_ON, {"on": on})
            self._plans[on] = None if row is None else plan_of(row)
        return self._plans[on]

    async def placed_on(self, order_id: str) -> date | None:
        """The day the order was placed (which plan applies), or None without the order."""
        order = await self._sql.first(_ORDER, {"id": order_id})
        return None if order is None else order.placed_at.date()

    async def order_facts(self, order_id: str) -> OrderFacts:
        """The order, its lines, invoices and credit notes as the rules need them."""
        params = {"id": order_id}
        order = await self._sql.first(_ORDER, params)
        lines = tuple(
            OrderLineFacts(
                id=r[0],
                product_id=r[1],
                category_id=r[2],
                net_cents=r[3],
                quantity=r[4],
                discount_percent=Decimal(str(r[5] or 0)),
                unit_cost_cents=r[6],
            )
            for r in await self._sql.rows(_ORDER_LINES, params)
        )
        invoices: dict[str, tuple[Any, list[InvoiceLineFacts]]] = {}
        for r in await self._sql.rows(_ORDER_INVOICES, params):
            invoices.setdefault(r[0], (r, []))[1].append(
                InvoiceLineFacts(id=r[4], order_line_id=r[5], net_cents=r[6])
            )
        notes: dict[str, tuple[str, list[CreditLineFacts]]] = {}
        for r in await self._sql.rows(_ORDER_NOTES, params):
            notes.setdefault(r[0], (r[1], []))[1].append(
                CreditLineFacts(id=r[2], order_line_id=r[3], net_cents=r[4])
            )
        facts = OrderFacts(
            id=order.id,
            status=order.status,
            rep_id=order.rep_id,
            created_by=order.created_by,
            manager_ids=tuple(order.manager_ids or ()),
            order_type=order.order_type,
            placed_on=order.placed_at.date(),
            splits=tuple(
                CreditSplit(rep_id=r[0], percent=Decimal(str(r[1])))
                for r in await self._sql.rows(_ORDER_SPLITS, params)
            ),
            lines=lines,
            invoices=tuple(
                InvoiceFacts(
                    id=invoice_id,
                    total_cents=head[1],
                    paid_cents=head[2],
                    credited_cents=head[3],
                    lines=tuple(found),
                )
                for invoice_id, (head, found) in invoices.items()
            ),
            credit_notes=tuple(
                CreditFacts(id=note_id, invoice_id=invoice_id, lines=tuple(found))
                for note_id, (invoice_id, found) in notes.items()
            ),
        )
        return facts

    async def entries_of_order(self, order_id: str) -> list[ExistingEntry]:
        rows = await self._sql.rows(_ENTRIES_OF_ORDER, {"id": order_id})
        return [ExistingEntry(*row) for row in rows]

    async def entries_of_key(self, key: str) -> list[ExistingEntry]:
        return [ExistingEntry(*row) for row in await self._sql.rows(_ENTRIES_OF_KEY, {"key": key})]

    async def locked_periods(self, rep_id: str, *, exclusive: bool = False) -> set[str]:
        """The rep's approved periods, with the rep's commission lock held (PostgreSQL)."""
        return (await self.locked_periods_of([rep_id], exclusive=exclusive))[rep_id]

    async def locked_periods_of(
        self, rep_ids: Sequence[str], *, exclusive: bool = False
    ) -> dict[str, set[str]]:
        """Each rep's approved periods, with their commission locks held (PostgreSQL)."""
        reps = sorted(set(rep_ids))
        if self._postgres:
            lock = _EXCLUSIVE_LOCK if exclusive else _SHARED_LOCK
            for rep_id in reps:
                await self._sql.scalar(lock, {"k": f"commission:{rep_id}"})
        locked: dict[str, set[str]] = {rep_id: set() for rep_id in reps}
        if reps:
            rows = await self._sql.rows(
                _LOCKED_PERIODS(len(reps)), {f"r{i}": rep for i, rep in enumerate(reps)}
            )
            for rep_id, period in rows:
                locked[rep_id].add(period)
        return locked

    async def period_sums(self, rep_id: str, period: str) -> tuple[int, int]:
        """The rep's own base commission and credited revenue in a period (no tiers)."""
        row = await self._sql.first(_PERIOD_SUMS, {"rep": rep_id, "period": period})
        return int(row[0]), int(row[1])

    async def period_total(self, rep_id: str, period: str) -> int:
        return int(await self._sql.scalar(_PERIOD_TOTAL, {"rep": rep_id, "period": period}))

    async def quota(self, rep_id: str, month: str) -> tuple[str, int] | None:
        """The quota period a month counts towards (the month's own quota, else its
        quarter's) and its quota in cents; None without either. Setting quotas refuses a
        month and its quarter both, so at most one is found."""
        rows = await self._sql.rows(
            _QUOTA, {"rep": rep_id, "month": month, "quarter": quarter_of(month)}
        )
        found = sorted((str(r[0]), int(r[1])) for r in rows)  # the month before a quarter
        return found[0] if found else None

    async def period_earnings(self, rep_id: str, period: str) -> int:
        """The month's entries other than draws and recoveries."""
        value = await self._sql.scalar(_PERIOD_EARNINGS, {"rep": rep_id, "period": period})
        return int(value or 0)

    async def outstanding_draws(self, rep_id: str, period: str) -> int:
        """Recoverable draws of months before `period` not yet recovered."""
        value = await self._sql.scalar(_OUTSTANDING_DRAWS, {"rep": rep_id, "period": period})
        return int(value or 0)

    async def costs_of(self, product_ids: Sequence[str]) -> dict[str, int | None]:
        """Each product's unit cost (None where it is not known)."""
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        rows = await self._sql.rows(_COSTS(len(ids)), {f"p{i}": pid for i, pid in enumerate(ids)})
        return {str(r[0]): None if r[1] is None else int(r[1]) for r in rows}

    async def draw(self, rep_id: str, period: str) -> Draw | None:
        row = await self._sql.first(_DRAW, {"rep": rep_id, "period": period})
        return None if row is None else Draw(kind=DrawKind(row[0]), amount_cents=int(row[1]))

    async def append_period_entry(
        self,
        *,
        key: str,
        rep_id: str,
        kind: str,
        amount_cents: int,
        source_period: str,
        into_period: str,
        locked: Set[str],
        reason: str,
        plan: Plan | None,
        rate: Decimal = Decimal(0),
    ) -> None:
        """A rep's entry about a whole period (a month's tier adjustment, a draw's
        settlement, a carried balance), brought to `amount_cents` under its key: only the
        difference is appended, so settling a period twice writes nothing the second time."""
        existing = await self.entries_of_key(key)
        if amount_cents == 0 and not existing:
            return
        desired = DesiredEntry(
            key=key,
            rep_id=rep_id,
            role="rep",
            source_type="period",
            source_id=source_period,
            revenue_cents=0,
            amount_cents=amount_cents,
            rate=rate,
            kind=kind,
        )
        new = entries_to_append(
            [desired], existing, period=into_period, locked=locked, reason=reason
        )
        await self.append(
            new, order_id=None, basis=plan.basis.value if plan else "booked", plan=plan
        )

    async def append(
        self,
        entries: Sequence[NewEntry],
        *,
        order_id: str | None,
        basis: str,
        plan: Plan | None,
    ) -> None:
        if not entries:
            return
        now = utcnow()
        rows = [
            {
                **{
                    name: getattr(entry, name)
                    for name in (
                        "entry_key",
                        "key",
                        "rep_id",
                        "role",
                        "period",
                        "source_type",
                        "source_id",
                        "revenue_cents",
                        "amount_cents",
                        "rate",
                        "reason",
                        "kind",
                    )
                },
                # The column keeps four places; the amount was computed from the exact rate.
                "rate": entry.rate.quantize(_RATE_PLACES),
                "id": new_id(),
                "order_id": order_id,
                "basis": basis,
                "plan_id": plan.id if plan else None,
                "plan_version": plan.version if plan else None,
                "created_at": now,
            }
            for entry in entries
        ]
        await self._sql.execute_many(_INSERT_ENTRY, rows)
