"""The manager's commission pages: the team's statements of a period (approve, pay, set
quotas), a rep's breakdown down to each entry and its order, and the disputes to answer.

Every form posts with the CSRF token like the other desktop pages; a refusal shows the
page again with the message (and the status the API would answer), changing nothing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from litestar import get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.commission import period_of
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.domain.money import to_cents
from server.features.commission import disputes, plans, statements
from server.features.commission.dispute_queries import list_disputes
from server.features.commission.dispute_schemas import DisputeAnswerIn
from server.features.commission.schemas import QuotaIn
from server.features.commission.summary import rep_summary
from server.features.commission.team import team_members
from server.features.sales.views_data import Req, page_context
from server.http.errors import status_for
from server.security.auth import requires_role

__all__ = ["COMMISSION_PAGES"]

_managers = requires_role("manager", "admin")
_PERIOD = r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$"
_PeriodPath = Annotated[str, Parameter(pattern=_PERIOD)]
_PeriodQuery = Annotated[str | None, Parameter(pattern=_PERIOD)]
_Id = Annotated[str, Parameter(max_length=36)]
# An amount as people type it: units with up to two decimals, an optional sign.
_AMOUNT = re.compile(r"^-?\d{1,11}(\.\d{1,2})?$")


def _cents(text: str, *, what: str, signed: bool) -> int:
    cleaned = text.strip().replace(",", "")
    if not _AMOUNT.match(cleaned) or (not signed and cleaned.startswith("-")):
        raise ValidationFailed(
            f"Write the {what} as an amount such as 1500.00.", code="amount_invalid"
        )
    return to_cents(cleaned)


async def _team_context(request: Req, db: Database, period: str) -> dict[str, Any]:
    async with db.read() as unit:
        members = await team_members(unit, request.user)
        rows = []
        for member in members:
            statement = await rep_summary(unit, member.id, period)
            rows.append({"rep": member, "summary": statement})
        waiting = await list_disputes(unit, request.user, status="open")
    return page_context(
        request, period=period, rows=rows, disputes=waiting, is_admin=request.user.is_admin
    )


@get("/manager/commission", guards=[_managers], include_in_schema=False)
async def team_page(request: Req, db: Database, period: _PeriodQuery = None) -> Template:
    context = await _team_context(request, db, period or period_of(date.today()))
    return Template("commission/team.html", context=context)


async def _rep_context(request: Req, db: Database, rep_id: str, period: str) -> dict[str, Any]:
    async with db.read() as unit:
        statement = await statements.statement_of(unit, request.user, rep_id, period)
    return page_context(request, s=statement, period=period, is_admin=request.user.is_admin)


@get("/manager/commission/{rep_id:str}/{period:str}", guards=[_managers], include_in_schema=False)
async def rep_page(request: Req, db: Database, rep_id: _Id, period: _PeriodPath) -> Template:
    return Template("commission/rep.html", context=await _rep_context(request, db, rep_id, period))


async def _refused(
    request: Req, db: Database, exc: DomainError, period: str, rep_id: str | None = None
) -> Template:
    """The page the form was on, again, with the refusal."""
    if rep_id is not None:
        context = await _rep_context(request, db, rep_id, period)
        template = "commission/rep.html"
    else:
        context = await _team_context(request, db, period)
        template = "commission/team.html"
    context["error"] = exc.message
    return Template(template, context=context, status_code=status_for(exc))


@post(
    "/manager/commission/{rep_id:str}/{period:str}/approve",
    guards=[_managers],
    include_in_schema=False,
)
async def approve_from_page(request: Req, db: Database, rep_id: _Id, period: _PeriodPath) -> Any:
    try:
        async with db.write() as uow:
            await statements.approve_statement(uow, request.user, rep_id, period)
    except NotFound:
        raise
    except DomainError as exc:
        return await _refused(request, db, exc, period)
    return Redirect(path=f"/manager/commission?period={period}", status_code=303)


@post(
    "/manager/commission/{rep_id:str}/{period:str}/pay",
    guards=[requires_role("admin")],
    include_in_schema=False,
)
async def pay_from_page(request: Req, db: Database, rep_id: _Id, period: _PeriodPath) -> Any:
    try:
        async with db.write() as uow:
            await statements.mark_paid(uow, request.user, rep_id, period)
    except NotFound:
        raise
    except DomainError as exc:
        return await _refused(request, db, exc, period)
    return Redirect(path=f"/manager/commission?period={period}", status_code=303)


@post(
    "/manager/commission/{rep_id:str}/{period:str}/quota",
    guards=[_managers],
    include_in_schema=False,
)
async def quota_from_page(request: Req, db: Database, rep_id: _Id, period: _PeriodPath) -> Any:
    """A manager sets the quotas of their own team; an admin anyone's (as the API)."""
    form = await request.form()
    try:
        cents = _cents(str(form.get("quota", "")), what="quota", signed=False)
        async with db.write() as uow:
            await statements.require_visible_rep(uow, request.user, rep_id, to_approve=True)
            await plans.set_quota(uow, QuotaIn(rep_id=rep_id, period=period, quota_cents=cents))
    except NotFound:
        raise
    except DomainError as exc:
        return await _refused(request, db, exc, period)
    return Redirect(path=f"/manager/commission?period={period}", status_code=303)


@post(
    "/manager/commission/disputes/{dispute_id:str}/answer",
    guards=[_managers],
    include_in_schema=False,
)
async def answer_from_page(request: Req, db: Database, dispute_id: _Id) -> Any:
    form = await request.form()
    answer = str(form.get("answer", ""))
    adjustment = str(form.get("adjustment", "")).strip()
    period, rep_id = str(form.get("period", "")), str(form.get("rep_id", ""))
    if not re.match(_PERIOD, period):
        period = period_of(date.today())
    try:
        cents = _cents(adjustment, what="adjustment", signed=True) if adjustment else None
        async with db.write() as uow:
            found = await disputes.answer_dispute(
                uow,
                request.user,
                dispute_id,
                DisputeAnswerIn(answer=answer, adjustment_cents=cents),
            )
            rep_id, period = found.rep_id, found.period
    except NotFound:
        raise
    except DomainError as exc:
        return await _refused(request, db, exc, period, rep_id or None)
    return Redirect(path=f"/manager/commission/{rep_id}/{period}", status_code=303)


COMMISSION_PAGES: list[Any] = [
    team_page,
    rep_page,
    approve_from_page,
    pay_from_page,
    quota_from_page,
    answer_from_page,
]
