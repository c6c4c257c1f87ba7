"""HTML pages of territories for managers: tree, one territory, unassigned customers and
the realignment preview with its Apply button."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import User
from server.domain.errors import DomainError, NotFound
from server.features.shared.paging import Offset
from server.features.territories import queries, realignment
from server.features.territories.access import today
from server.features.territories.schemas import RealignmentPreview
from server.http.errors import status_for
from server.http.htmx import is_htmx
from server.security.auth import CurrentUser, requires_role

__all__ = ["TERRITORY_PAGES", "render_detail"]

Req = Request[CurrentUser, Any, Any]
_managers = requires_role("manager", "admin")


@get("/territories", guards=[_managers], include_in_schema=False)
async def tree_page(request: Req, db: Database) -> Template:
    async with db.read() as unit:
        tree = await queries.territory_tree(unit.session, request.user, today())
        realignments = await realignment.list_realignments(unit, request.user)
    return Template(
        "territories/tree.html",
        context={"user": request.user, "tree": tree, "realignments": realignments},
    )


@get("/territories/unassigned", guards=[_managers], include_in_schema=False)
async def unassigned_page(request: Req, db: Database, offset: Offset = 0) -> Template:
    async with db.read() as unit:
        page = await queries.unassigned_customers(unit.session, limit=50, offset=max(0, offset))
    return Template(
        "territories/unassigned.html",
        context={"user": request.user, "page": page, "offset": offset},
    )


async def render_detail(
    request: Req,
    db: Database,
    territory_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Template:
    """The territory page, also re-shown with the message when one of its forms is refused."""
    async with db.read() as unit:
        detail = await queries.territory_detail(unit.session, request.user, territory_id, today())
        people = (
            await unit.session.execute(
                select(User.id, User.full_name, User.role)
                .where(User.active.is_(True), User.role.in_(("rep", "manager")))
                .order_by(User.full_name)
            )
        ).all()
    context = {
        "user": request.user,
        "d": detail,
        "people": people,
        "today": today(),
        "error": error,
        "form": form or {},
    }
    return Template("territories/detail.html", context=context, status_code=status_code)


@get("/territories/{territory_id:str}", guards=[_managers], include_in_schema=False)
async def detail_page(request: Req, db: Database, territory_id: str) -> Template:
    return await render_detail(request, db, territory_id)


def _preview_template(
    request: Req,
    preview: RealignmentPreview | None,
    *,
    realignment_id: str,
    error: str | None = None,
    status_code: int = 200,
    fragment: bool = False,
    confirm: bool = False,
) -> Template:
    name = "territories/_realignment.html" if fragment else "territories/realignment.html"
    context = {
        "user": request.user,
        "confirm": confirm,
        "p": preview,
        "realignment_id": realignment_id,
        "error": error,
        "today": today(),
    }
    return Template(name, context=context, status_code=status_code)


@get("/territories/realignments/{realignment_id:str}", guards=[_managers], include_in_schema=False)
async def realignment_page(request: Req, db: Database, realignment_id: str) -> Template:
    try:
        async with db.read() as unit:
            preview = await realignment.preview_realignment(unit, request.user, realignment_id)
    except NotFound:
        raise
    except DomainError as exc:
        # A draft that no longer fits today's rules is still worth showing with the reason.
        return _preview_template(
            request,
            None,
            realignment_id=realignment_id,
            error=exc.message,
            status_code=status_for(exc),
        )
    return _preview_template(request, preview, realignment_id=realignment_id)


@post(
    "/territories/realignments/{realignment_id:str}/apply",
    guards=[_managers],
    include_in_schema=False,
)
async def apply_submit(request: Req, db: Database, realignment_id: str) -> Any:
    """Apply a realignment after the manager confirmed what moves: the first post answers
    the counts (customers, open orders and quotes) with a confirm button; only a post
    carrying the count it confirmed, still true now, applies it."""
    confirmed = str((await request.form()).get("confirm_moves") or "")
    if not await _confirmed(request, db, realignment_id, confirmed):
        return await _ask_to_confirm(request, db, realignment_id)
    try:
        async with db.write() as uow:
            preview = await realignment.apply_realignment(uow, request.user, realignment_id)
    except NotFound:
        raise
    except DomainError as exc:
        return await _refused(request, db, realignment_id, exc)
    if is_htmx(request):
        return _preview_template(request, preview, realignment_id=realignment_id, fragment=True)
    return Redirect(path=f"/territories/realignments/{realignment_id}", status_code=303)


async def _confirmed(request: Req, db: Database, realignment_id: str, confirmed: str) -> bool:
    if not confirmed:
        return False
    try:
        async with db.read() as unit:
            current = await realignment.preview_realignment(unit, request.user, realignment_id)
    except NotFound:
        raise
    except DomainError:
        return True  # applying gives the refusal with its reason
    return confirmed == f"{current.moved_count}:{current.open_document_count}"


async def _ask_to_confirm(request: Req, db: Database, realignment_id: str) -> Template:
    try:
        async with db.read() as unit:
            current = await realignment.preview_realignment(unit, request.user, realignment_id)
    except NotFound:
        raise
    except DomainError as exc:
        return await _refused(request, db, realignment_id, exc)
    return _preview_template(
        request, current, realignment_id=realignment_id, fragment=is_htmx(request), confirm=True
    )


async def _refused(request: Req, db: Database, realignment_id: str, exc: DomainError) -> Template:
    try:  # show the refusal above what the realignment looks like now (e.g. already applied)
        async with db.read() as unit:
            current = await realignment.preview_realignment(unit, request.user, realignment_id)
    except DomainError:
        current = None
    # htmx swaps only 2xx answers by default, and the message must reach the screen.
    return _preview_template(
        request,
        current,
        realignment_id=realignment_id,
        error=exc.message,
        status_code=200 if is_htmx(request) else status_for(exc),
        fragment=is_htmx(request),
    )


TERRITORY_PAGES = [tree_page, unassigned_page, detail_page, realignment_page, apply_submit]
