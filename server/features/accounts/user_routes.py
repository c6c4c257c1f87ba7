"""HTTP API of user administration (admin): /api/users."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter
from msgspec import UNSET

from server.db.engine import Database
from server.db.models import User
from server.domain.errors import NotFound
from server.features.accounts import services
from server.features.accounts.routes import user_out
from server.features.accounts.schemas import (
    PasswordResetIn,
    UserCreateIn,
    UserOut,
    UserPage,
    UserUpdateIn,
    UserWithPasswordOut,
)
from server.features.accounts.user_list import UserFilter, read_users
from server.features.catalog.openapi import problems
from server.features.shared.paging import Offset
from server.security.auth import CurrentUser, requires_role
from server.security.passwords import generate_password, hash_password_off_loop

__all__ = ["UserController", "chosen_password", "with_password"]

_Req = Request[CurrentUser, Any, Any]


def chosen_password(given: str | None) -> tuple[str, bool]:
    """The password the admin gave, or a generated one; and whether it was generated."""
    return (given, False) if given else (generate_password(), True)


def with_password(user: User, password: str, generated: bool) -> UserWithPasswordOut:
    out = user_out(user)
    return UserWithPasswordOut(
        id=out.id,
        email=out.email,
        full_name=out.full_name,
        role=out.role,
        active=out.active,
        discount_limit_percent=out.discount_limit_percent,
        one_time_password=password if generated else None,
    )


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [requires_role("admin")]

    @get("/", responses=problems(400, 403, 422))
    async def list_users(
        self,
        db: Database,
        q: str = "",
        role: str = "",
        status: Annotated[
            str, Parameter(description="'active' or 'deactivated'; empty for both.")
        ] = "",
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> UserPage:
        """Users with role, discount limit and whether they may sign in, by e-mail, a page
        at a time; `q` finds part of a name or an e-mail. An unknown role or status: 422."""
        wanted = UserFilter(q=q, role=role, status=status)
        async with db.read() as unit:
            total, users = await read_users(unit, wanted, limit=limit, offset=offset)
        return UserPage([user_out(u) for u in users], total, limit, offset)

    @get("/{user_id:str}")
    async def get_user(self, db: Database, user_id: str) -> UserOut:
        async with db.read() as unit:
            user = await unit.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        return user_out(user)

    @post("/")
    async def create_user(
        self, request: _Req, data: UserCreateIn, db: Database
    ) -> UserWithPasswordOut:
        """Add a user. Without `password` the server generates a one-time password and
        answers it this once. A taken e-mail: 409 `email_taken`; an unknown role or a
        discount limit outside 0-100: 422; nothing is written."""
        password, generated = chosen_password(data.password)
        # Hashed before the transaction opens: a hash holds a core for a noticeable time.
        password_hash = await hash_password_off_loop(password)
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
        return with_password(user, password, generated)

    @patch("/{user_id:str}")
    async def update_user(
        self, request: _Req, user_id: str, data: UserUpdateIn, db: Database
    ) -> UserOut:
        """Change name, role, discount limit or `active`. Deactivating ends the user's
        sessions at once; an admin may not deactivate themself or change their own role."""
        async with db.write() as uow:
            user = await services.update_user(
                uow,
                user_id=user_id,
                actor_id=request.user.id,
                full_name=None if data.full_name is UNSET else data.full_name,
                role=None if data.role is UNSET else data.role,
                active=None if data.active is UNSET else data.active,
                discount_limit=(
                    None if data.discount_limit_percent is UNSET else data.discount_limit_percent
                ),
            )
        return user_out(user)

    @post("/{user_id:str}/deactivate", status_code=200)
    async def deactivate(self, request: _Req, user_id: str, db: Database) -> UserOut:
        """The user can no longer sign in; their sessions and refresh tokens stop at once."""
        async with db.write() as uow:
            user = await services.update_user(
                uow, user_id=user_id, actor_id=request.user.id, active=False
            )
        return user_out(user)

    @post("/{user_id:str}/reactivate", status_code=200)
    async def reactivate(self, request: _Req, user_id: str, db: Database) -> UserOut:
        """The user may sign in again (sessions ended before stay ended)."""
        async with db.write() as uow:
            user = await services.update_user(
                uow, user_id=user_id, actor_id=request.user.id, active=True
            )
        return user_out(user)

    @post("/{user_id:str}/password", status_code=200)
    async def reset_password(
        self, request: _Req, user_id: str, db: Database, data: PasswordResetIn
    ) -> UserWithPasswordOut:
        """Give the user a new temporary password (the one sent, or a generated one
        answered this once); every session of theirs ends."""
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
        return with_password(user, password, generated)
