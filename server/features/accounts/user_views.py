"""Back-office pages of users (admin): list, create, change, deactivate, reset password.

Each button posts a form that runs the same service as its API endpoint
(server/features/accounts/user_routes.py). A refusal shows the page again with the reason
and the status the API would answer; nothing is changed. A generated password is shown on
the answer to the post that made it, once, and never stored in a way that shows it again.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.db.models import User
from server.domain.errors import DomainError, NotFound
from server.domain.users import ROLES
from server.features.accounts import services
from server.features.accounts.routes import user_out
from server.features.accounts.schemas import PasswordResetIn, UserCreateIn
from server.features.accounts.user_list import USER_STATUSES, UserFilter, read_users
from server.features.accounts.user_routes import chosen_password
from server.features.backoffice.views import ADMINS, admin_context
from server.features.sales.views_data import Req
from server.features.shared.paging import Offset
from server.features.shared.table_view import TableState, table_state
from server.http.errors import status_for
from server.security.passwords import hash_password_off_loop

__all__ = ["USER_PAGES"]

# A page that shows a password must not be kept by the browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store"}

PAGE_SIZE = 50


async def _form(request: Req) -> dict[str, str]:
    form = await request.form()
    return {key: str(value).strip() for key, value in form.items() if key != "_csrf_token"}


def _bad_form(exc: msgspec.ValidationError) -> str:
    return f"Check the form: {exc}."


def _table(wanted: UserFilter, offset: int) -> TableState:
    """The list's filters and page, for the filter form and the pager's links."""
    filters = {"q": wanted.q, "role": wanted.role, "status": wanted.status}
    return table_state(
        "/admin/users",
        sort="",
        direction="",
        sorts=["email"],
        default_sort="email",
        default_descending=False,
        filters=filters,
        offset=offset,
    )


async def _list_page(
    request: Req,
    db: Database,
    *,
    status_code: int = 200,
    wanted: UserFilter | None = None,
    offset: int = 0,
    **extra: Any,
) -> Template:
    wanted = wanted or UserFilter()
    async with db.read() as unit:
        total, users = await read_users(unit, wanted, limit=PAGE_SIZE, offset=offset)
    context = admin_context(
        request,
        "users",
        users=[user_out(u) for u in users],
        total=total,
        table=_table(wanted, offset),
        page_size=PAGE_SIZE,
        roles=ROLES,
        statuses=USER_STATUSES,
        form=extra.pop("form", {}),
        **extra,
    )
    return Template(
        "admin/users/list.html", context=context, status_code=status_code, headers=_NO_STORE
    )


async def _detail_page(
    request: Req, db: Database, user_id: str, *, status_code: int = 200, **extra: Any
) -> Template:
    async with db.read() as unit:
        user = await unit.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    context = admin_context(
        request, "users", u=user_out(user), roles=ROLES, is_self=user.id == request.user.id, **extra
    )
    return Template(
        "admin/users/detail.html", context=context, status_code=status_code, headers=_NO_STORE
    )


@get("/admin/users", guards=[ADMINS], include_in_schema=False)
async def users_page(
    request: Req, db: Database, q: str = "", role: str = "", status: str = "", offset: Offset = 0
) -> Template:
    wanted = UserFilter(q=q, role=role, status=status)
    return await _list_page(request, db, wanted=wanted, offset=offset)


@post("/admin/users", guards=[ADMINS], include_in_schema=False)
async def create_user_submit(request: Req, db: Database) -> Template:
    form = await _form(request)
    fields: dict[str, Any] = {
        "email": form.get("email", ""),
        "full_name": form.get("full_name", ""),
        "role": form.get("role", ""),
        "password": form.get("password") or None,
        "discount_limit_percent": form.get("discount_limit_percent") or None,
    }
    try:
        data = msgspec.convert(fields, UserCreateIn)
    except msgspec.ValidationError as exc:
        return await _list_page(request, db, status_code=400, error=_bad_form(exc), form=form)
    password, generated = chosen_password(data.password)
    password_hash = await hash_password_off_loop(password)
    try:
        async with db.write() as uow:
            user = await services.add_user(
                uow,
                email=data.email,
                full_name=data.full_name,
                role=data.role,
                password_hash=password_hash,
                actor_id=request.user.id,
                discount_limit=data.discount_limit_percent,
            )
    except DomainError as exc:
        return await _list_page(
            request, db, status_code=status_for(exc), error=exc.message, form=form
        )
    return await _list_page(
        request,
        db,
        status_code=201,
        notice=f"{user.full_name} was added.",
        created=user_out(user),
        one_time_password=password if generated else None,
    )


@get("/admin/users/{user_id:str}", guards=[ADMINS], include_in_schema=False)
async def user_page(request: Req, db: Database, user_id: str) -> Template:
    return await _detail_page(request, db, user_id)


async def _change(request: Req, db: Database, user_id: str, **change: Any) -> Any:
    try:
        async with db.write() as uow:
            await services.update_user(uow, user_id=user_id, actor_id=request.user.id, **change)
    except NotFound:
        raise
    except DomainError as exc:
        return await _detail_page(
            request, db, user_id, status_code=status_for(exc), error=exc.message
        )
    return Redirect(path=f"/admin/users/{user_id}", status_code=303)


@post("/admin/users/{user_id:str}/access", guards=[ADMINS], include_in_schema=False)
async def change_access_submit(request: Req, db: Database, user_id: str) -> Any:
    form = await _form(request)
    return await _change(
        request,
        db,
        user_id,
        role=form.get("role") or None,
        discount_limit=form.get("discount_limit_percent") or None,
    )


@post("/admin/users/{user_id:str}/deactivate", guards=[ADMINS], include_in_schema=False)
async def deactivate_submit(request: Req, db: Database, user_id: str) -> Any:
    return await _change(request, db, user_id, active=False)


@post("/admin/users/{user_id:str}/reactivate", guards=[ADMINS], include_in_schema=False)
async def reactivate_submit(request: Req, db: Database, user_id: str) -> Any:
    return await _change(request, db, user_id, active=True)


@post("/admin/users/{user_id:str}/password", guards=[ADMINS], include_in_schema=False)
async def reset_password_submit(request: Req, db: Database, user_id: str) -> Template:
    form = await _form(request)
    try:
        data = msgspec.convert({"password": form.get("password") or None}, PasswordResetIn)
    except msgspec.ValidationError as exc:
        return await _detail_page(request, db, user_id, status_code=400, error=_bad_form(exc))
    password, generated = chosen_password(data.password)
    password_hash = await hash_password_off_loop(password)
    async with db.write() as uow:
        user = await services.reset_password(
            uow,
            user_id=user_id,
            actor_id=request.user.id,
            password_hash=password_hash,
            generated=generated,
        )
    return await _detail_page(
        request,
        db,
        user_id,
        notice=f"{user.full_name} has a new password; their sessions were ended.",
        one_time_password=password if generated else None,
    )


USER_PAGES: list[Any] = [
    users_page,
    create_user_submit,
    user_page,
    change_access_submit,
    deactivate_submit,
    reactivate_submit,
    reset_password_submit,
]
