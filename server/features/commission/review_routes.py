"""HTTP API of the statement workflow around the ledger: disputes of entries, the payroll
export of a period, and an order's credit split as it stands."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import Parameter

from server.db.engine import Database
from server.features.catalog.openapi import problems
from server.features.commission import dispute_queries, disputes, payroll, splits
from server.features.commission.dispute_schemas import (
    DisputeAnswerIn,
    DisputeIn,
    DisputeOut,
    OrderSplitsOut,
)
from server.features.commission.routes import PeriodParam
from server.features.shared.csv_export import CSV_MEDIA_TYPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["REVIEW_API"]

_Req = Request[CurrentUser, Any, Any]
_admins = requires_role("admin")
_deciders = requires_role("manager", "admin")
_Id = Annotated[str, Parameter(max_length=36)]
_PeriodPath = Annotated[str, Parameter(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$")]


@post(
    "/api/commission/entries/{entry_id:str}/disputes",
    tags=["commission"],
    responses=problems(404, 409, 422),
)
async def open_dispute(request: _Req, db: Database, entry_id: _Id, data: DisputeIn) -> DisputeOut:
    """Question one line of your own statement; your manager answers (or adjusts it)."""
    async with db.write() as uow:
        found = await disputes.open_dispute(uow, request.user, entry_id, data)
        return (await dispute_queries.dispute_out(uow, [found]))[0]


@get("/api/commission/disputes", tags=["commission"], responses=problems(422))
async def list_disputes(
    request: _Req,
    db: Database,
    status: Literal["open", "answered"] | None = None,
    rep_id: Annotated[str | None, Parameter(max_length=36)] = None,
    period: PeriodParam = None,
) -> list[DisputeOut]:
    """Disputes with their answers: a rep's own, a manager's teams', an admin's all."""
    async with db.read() as unit:
        return await dispute_queries.list_disputes(
            unit, request.user, status=status, rep_id=rep_id, period=period
        )


@post(
    "/api/commission/disputes/{dispute_id:str}/answer",
    guards=[_deciders],
    tags=["commission"],
    status_code=200,
    responses=problems(403, 404, 409, 422),
)
async def answer_dispute(
    request: _Req, db: Database, dispute_id: _Id, data: DisputeAnswerIn
) -> DisputeOut:
    """Answer a dispute of a rep of your teams; with `adjustment_cents`, the difference is
    appended to the ledger in the open period with the answer as its reason."""
    async with db.write() as uow:
        found = await disputes.answer_dispute(uow, request.user, dispute_id, data)
        return (await dispute_queries.dispute_out(uow, [found]))[0]


@get(
    "/api/commission/periods/{period:str}/payroll.csv",
    guards=[_admins],
    tags=["commission"],
    media_type="text/csv",
    responses=problems(403, 422),
)
async def payroll_export(db: Database, period: _PeriodPath) -> Response[str]:
    """The period's approved and paid statements, one row per rep, as payroll pays them."""
    async with db.read() as unit:
        text = await payroll.payroll_csv(unit, period)
    return Response(
        text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="payroll-{period}.csv"'},
    )


@get(
    "/api/commission/orders/{order_id:str}/splits",
    guards=[_deciders],
    tags=["commission"],
    responses=problems(403, 404),
)
async def order_splits(request: _Req, db: Database, order_id: _Id) -> OrderSplitsOut:
    """The order's credit split; empty: credited whole to `credited_rep_id`."""
    async with db.read() as unit:
        return await splits.order_splits(unit, request.user, order_id)


REVIEW_API: list[Any] = [open_dispute, list_disputes, answer_dispute, payroll_export, order_splits]
