"""Account actions: log in, refresh, log out, manage users.

`logout`, `add_user`, `update_user` and `reset_password` are services: they take the
caller's unit of work. `login`,
`refresh` and `create_user` are flows that open their own transactions, each for a
reason: a password is hashed or checked off the event loop and before any write
transaction (holding the writer through a hash stalls everyone), and a refused refresh
must commit the revocation of its token family before the refusal is raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import AuditEvent, User
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.users import (
    DEFAULT_DISCOUNT_LIMITS,
    check_discount_limit,
    check_not_self,
    check_role,
)
from server.features.accounts import events
from server.features.territories.checks import check_user_change_keeps_assignments
from server.security import login_limits, refresh_tokens
from server.security.passwords import (
    DUMMY_HASH,
    hash_password_off_loop,
    needs_rehash,
    verify_password_off_loop,
)
from server.security.sessions import end_sessions_of_user

__all__ = [
    "LoginClient",
    "LoginFailed",
    "LoginResult",
    "add_user",
    "create_user",
    "login",
    "logout",
    "normalise_email",
    "refresh",
    "reset_password",
    "update_user",
]


@dataclass(frozen=True)
class LoginResult:
    user: User
    refresh: refresh_tokens.IssuedRefresh
    # Marks the client as one this account has logged in from (see login_limits).
    device_token: str = ""


@dataclass(frozen=True)
class LoginClient:
    """Who is logging in: the address as seen through the trusted proxies, and the device
    token the client holds from an earlier login, if any."""

    address: str
    device_token: str | None = None


class LoginFailed(Exception):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def login(
    db: Database,
    *,
    email: str,
    password: str,
    refresh_lifetime: timedelta,
    client: LoginClient,
    limits: login_limits.LoginLimits,
) -> LoginResult:
    """Raises `LoginFailed`, or `login_limits.LoginThrottled` before the password is
    checked when the client or the account has had too many tries."""
    email = normalise_email(email)
    async with db.read() as unit:
        found = (
            await unit.session.execute(select(User).where(User.email == email))
        ).scalar_one_or_none()
    known_device = login_limits.is_known_device(
        limits.secret, client.device_token, found.id if found is not None else None
    )
    await login_limits.admit(
        db, limits, address=client.address, email=email, known_device=known_device
    )
    # The password is checked (and rehashed) off the event loop and before the write
    # transaction: a hash takes long enough that holding either meanwhile stalls everyone.
    if found is None:
        await verify_password_off_loop(DUMMY_HASH, password)
        await login_limits.record_failure(db, email=email)
        raise LoginFailed()
    if not await verify_password_off_loop(found.password_hash, password) or not found.active:
        await login_limits.record_failure(db, email=email)
        raise LoginFailed()
    rehashed = await hash_password_off_loop(password) if needs_rehash(found.password_hash) else None
    async with db.write() as uow:
        user = await uow.session.get(User, found.id)
        # Deactivated, or given a new password, while this one was being checked.
        if user is None or not user.active or user.password_hash != found.password_hash:
            raise LoginFailed()
        if rehashed is not None:
            user.password_hash = rehashed
        await login_limits.forget_failures(uow.session, email=email)
        issued = await refresh_tokens.issue(uow.session, user_id=user.id, lifetime=refresh_lifetime)
        uow.session.add(
            AuditEvent(entity_type="user", entity_id=user.id, action="login", actor_id=user.id)
        )
    device_token = login_limits.issue_device_token(limits.secret, user.id)
    return LoginResult(user=user, refresh=issued, device_token=device_token)


async def refresh(db: Database, *, token: str, lifetime: timedelta) -> LoginResult:
    # The reuse check revokes the family and must commit even though the request fails,
    # so the refusal is raised after the transaction has been committed.
    refused: refresh_tokens.RefreshRefused | None = None
    async with db.write() as uow:
        try:
            user, issued = await refresh_tokens.rotate(uow.session, token, lifetime=lifetime)
        except refresh_tokens.RefreshRefused as exc:
            refused = exc
    if refused is not None:
        raise refused
    return LoginResult(user=user, refresh=issued)


async def logout(uow: WriteUnit, *, token: str | None, session_id: str | None = None) -> None:
    """End the session of the refresh token, or else the one a valid access token names."""
    family = await refresh_tokens.family_of(uow.session, token) if token else None
    family = family or session_id
    if family is not None:
        await refresh_tokens.revoke_family(uow.session, family)


def _checked_full_name(value: str) -> str:
    name = " ".join(value.split())
    if not any(ch.isalnum() for ch in name):
        raise ValidationFailed(
            "A user needs a name with at least one letter or digit.",
            code="full_name_required",
            details={"field": "full_name"},
        )
    return name


def _percent(value: object) -> str:
    return f"{Decimal(str(value if value is not None else 0)):f}"


async def create_user(
    db: Database,
    *,
    email: str,
    full_name: str,
    role: str,
    password: str,
    actor_id: str | None,
    is_demo: bool = False,
    discount_limit: str | Decimal | None = None,
) -> User:
    """A flow: the password is hashed before the write transaction opens."""
    check_role(role)
    password_hash = await hash_password_off_loop(password)
    async with db.write() as uow:
        return await add_user(
            uow,
            email=email,
            full_name=full_name,
            role=role,
            password_hash=password_hash,
            actor_id=actor_id,
            is_demo=is_demo,
            discount_limit=discount_limit,
        )


async def add_user(
    uow: WriteUnit,
    *,
    email: str,
    full_name: str,
    role: str,
    password_hash: str,
    actor_id: str | None,
    is_demo: bool = False,
    discount_limit: str | Decimal | None = None,
) -> User:
    """A new active user; `discount_limit` defaults to the role's. A taken e-mail: 409."""
    email = normalise_email(email)
    full_name = _checked_full_name(full_name)
    role = check_role(role)
    limit = (
        DEFAULT_DISCOUNT_LIMITS[role]
        if discount_limit is None
        else check_discount_limit(discount_limit)
    )
    exists = await uow.session.scalar(
        select(func.count()).select_from(User).where(User.email == email)
    )
    if exists:
        raise Conflict(
            f"A user with the e-mail {email} already exists.",
            code="email_taken",
            details={"field": "email"},
        )
    user = User(
        id=new_id(),
        email=email,
        full_name=full_name,
        role=role,
        password_hash=password_hash,
        active=True,
        is_demo=is_demo,
        discount_limit_percent=limit,
    )
    uow.session.add(user)
    await uow.session.flush()
    await uow.audit.record(
        events.user_created(
            user_id=user.id,
            actor_id=actor_id,
            email=email,
            role=role,
            discount_limit=_percent(limit),
        )
    )
    return user


async def update_user(
    uow: WriteUnit,
    *,
    user_id: str,
    actor_id: str,
    full_name: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    discount_limit: str | Decimal | None = None,
) -> User:
    """Change a user's name, role, discount limit or whether they may sign in. A user who
    is deactivated loses every open session and refresh token in the same transaction."""
    user = await uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    if active is False:
        check_not_self(actor_id, user_id, "deactivate")
    if role is not None:
        check_role(role)
        if role != user.role:
            check_not_self(actor_id, user_id, "change the role of")
    limit = check_discount_limit(discount_limit) if discount_limit is not None else None
    if full_name is not None:
        full_name = _checked_full_name(full_name)
    new_role = role if role is not None else user.role
    new_active = active if active is not None else user.active
    if (new_role, new_active) != (user.role, user.active):
        await check_user_change_keeps_assignments(
            uow.session, user, role=new_role, active=new_active, today=date.today()
        )
    changes: dict[str, object] = {}
    if full_name is not None and full_name != user.full_name:
        changes["full_name"] = [user.full_name, full_name]
        user.full_name = full_name
    if role is not None and role != user.role:
        changes["role"] = [user.role, role]
        user.role = role
    if limit is not None and limit != Decimal(str(user.discount_limit_percent)):
        changes["discount_limit_percent"] = [_percent(user.discount_limit_percent), _percent(limit)]
        user.discount_limit_percent = limit
    if changes:
        await uow.audit.record(
            events.user_updated(user_id=user.id, actor_id=actor_id, changes=changes)
        )
    if active is not None and active != user.active:
        user.active = active
        if not active:
            await end_sessions_of_user(uow.session, user.id)
        await uow.audit.record(
            events.user_activation_changed(user_id=user.id, actor_id=actor_id, active=active)
        )
    user.updated_at = utcnow()
    await uow.session.flush()
    return user


async def reset_password(
    uow: WriteUnit, *, user_id: str, actor_id: str, password_hash: str, generated: bool
) -> User:
    """Give the user a new password (hashed by the caller, before the transaction) and end
    every session they have open: whoever held the old password is signed out."""
    user = await uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    user.password_hash = password_hash
    user.updated_at = utcnow()
    await end_sessions_of_user(uow.session, user.id)
    await uow.audit.record(
        events.password_reset(user_id=user.id, actor_id=actor_id, generated=generated)
    )
    await uow.session.flush()
    return user
