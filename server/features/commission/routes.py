"""HTTP API of commission: plans and quotas (admin), the rep's period, statements."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post, put
from litestar.params import Parameter

from server.db.engine import Database
from server.domain.commission import period_of
from server.features.catalog.openapi import problems
from server.features.commission import draws, plans, splits, statements
from server.features.commission.schemas import (
    DrawIn,
    DrawOut,
    PlanIn,
    PlanOut,
    QuotaIn,
    QuotaOut,
    SplitsIn,
    SplitsOut,
    StatementOut,
    SummaryOut,
)
from server.features.commission.summary import rep_summary
from server.security.auth import CurrentUser, requires_role

__all__ = ["COMMISSION_API"]

_Req = Request[CurrentUser, Any, Any]
_admins = requires_role("admin")
_deciders = requires_role("manager", "admin")
# A month of the years the business keeps (a year 0 or 10000 has no calendar month to
# compute with).
_PERIOD = r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$"
PeriodParam = Annotated[str | None, Parameter(pattern=_PERIOD, description="YYYY-MM")]
_PeriodPath = Annotated[str, Parameter(pattern=_PERIOD)]


@post("/api/commission/plans", guards=[_admins], tags=["commission"], responses=problems(403, 422))
async def create_plan(request: _Req, db: Database, data: PlanIn) -> PlanOut:
    """A commission plan, or the next version of the plan with this `code`: it applies to
    orders placed from `valid_from` on; entries already credited keep their version."""
    async with db.write() as uow:
        return await plans.create_plan(uow, request.user, data)


@get("/api/commission/plans", guards=[_admins], tags=["commission"], responses=problems(403))
async def list_plans(db: Database) -> list[PlanOut]:
    """Every plan version, by code and version."""
    async with db.read() as unit:
        return await plans.list_plans(unit)


@post(
    "/api/commission/quotas",
    guards=[_admins],
    tags=["commission"],
    status_code=200,
    responses=problems(400, 403, 404, 409, 422),
)
async def set_quota(db: Database, data: QuotaIn) -> QuotaOut:
    """Set a rep's quota for a month (`YYYY-MM`) or a quarter (`YYYY-Qn`), replacing the one
    set before; attainment and tiers run on that period. A month and its quarter cannot
    both have one (409 `quota_period_overlap`)."""
    async with db.write() as uow:
        return await plans.set_quota(uow, data)


@put(
    "/api/commission/draws",
    guards=[_admins],
    tags=["commission"],
    status_code=200,
    responses=problems(400, 403, 404, 409, 422),
)
async def set_draw(request: _Req, db: Database, data: DrawIn) -> DrawOut:
    """Set a rep's draw for a month, replacing the one before (0 removes it): recoverable
    (an advance, recovered from later months' earnings) or non-recoverable (a guaranteed
    minimum). Approving the month settles it in the ledger."""
    async with db.write() as uow:
        return await draws.set_draw(uow, request.user, data)


@get("/api/commission/me", tags=["commission"], responses=problems(422))
async def my_commission(request: _Req, db: Database, period: PeriodParam = None) -> SummaryOut:
    """The caller's period (this month by default): earned, pending, paid, attainment
    against quota, and the next tier with the revenue it still takes."""
    async with db.read() as unit:
        return await rep_summary(unit, request.user.id, period or period_of(date.today()))


@get("/api/commission/statements", tags=["commission"], responses=problems(404, 422))
async def statement(
    request: _Req,
    db: Database,
    rep_id: Annotated[str | None, Parameter(max_length=36)] = None,
    period: PeriodParam = None,
) -> StatementOut:
    """A rep's statement for a period (a draft until approved) with every entry behind it;
    a rep sees their own, a manager their teams', an admin everyone's."""
    async with db.read() as unit:
        return await statements.statement_of(
            unit, request.user, rep_id or request.user.id, period or period_of(date.today())
        )


@post(
    "/api/commission/statements/{rep_id:str}/{period:str}/approve",
    guards=[_deciders],
    tags=["commission"],
    status_code=200,
    responses=problems(403, 404, 409, 422),
)
async def approve(request: _Req, db: Database, rep_id: str, period: _PeriodPath) -> StatementOut:
    """Approve the rep's period (a manager of the rep, or an admin): the tier adjustment is
    written, the figure fixed and the period locked."""
    async with db.write() as uow:
        await statements.approve_statement(uow, request.user, rep_id, period)
        return await statements.statement_of(uow, request.user, rep_id, period)


@post(
    "/api/commission/statements/{rep_id:str}/{period:str}/pay",
    guards=[_admins],
    tags=["commission"],
    status_code=200,
    responses=problems(403, 404, 409, 422),
)
async def pay(request: _Req, db: Database, rep_id: str, period: _PeriodPath) -> StatementOut:
    """Record an approved statement as paid."""
    async with db.write() as uow:
        await statements.mark_paid(uow, request.user, rep_id, period)
        return await statements.statement_of(uow, request.user, rep_id, period)


@get(
    "/api/commission/statements/{rep_id:str}/{period:str}/entries.csv",
    tags=["commission"],
    media_type="text/csv",
    responses=problems(404, 422),
)
async def statement_csv(
    request: _Req, db: Database, rep_id: str, period: _PeriodPath
) -> Response[str]:
    """The statement's entries as CSV, one row per entry with its source document."""
    async with db.read() as unit:
        found = await statements.statement_of(unit, request.user, rep_id, period)
    return Response(
        statements.entries_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="commission-{period}.csv"'},
    )


@put(
    "/api/commission/orders/{order_id:str}/splits",
    guards=[_deciders],
    tags=["commission"],
    status_code=200,
    responses=problems(403, 404, 422),
)
async def set_splits(
    request: _Req, db: Database, order_id: Annotated[str, Parameter(max_length=36)], data: SplitsIn
) -> SplitsOut:
    """Credit the order to several reps by percent (together 100), replacing the split
    before (an empty list: credited whole to its territory's rep again). Its commission is
    recomputed at once: the old shares are reversed and the new posted."""
    async with db.write() as uow:
        return await splits.set_splits(uow, request.user, order_id, data)


COMMISSION_API: list[Any] = [
    create_plan,
    list_plans,
    set_quota,
    set_draw,
    my_commission,
    statement,
    approve,
    pay,
    statement_csv,
    set_splits,
]
