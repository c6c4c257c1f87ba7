"""Rotating refresh tokens: opaque, stored as SHA-256, one family per login.

Each refresh hands out a new token and marks the presented one rotated. A rotated token
presented again means two parties hold it (it leaked), so the whole family is revoked and
both must log in again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import RefreshToken, User
from server.db.types import new_id, utcnow
from server.security.sessions import end_session

__all__ = ["IssuedRefresh", "RefreshRefused", "issue", "revoke_family", "rotate"]


class RefreshRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedRefresh:
    token: str
    family_id: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    session: AsyncSession,
    *,
    user_id: str,
    lifetime: timedelta,
    family_id: str | None = None,
    generation: int = 0,
) -> IssuedRefresh:
    family_id = family_id or new_id()
    # The session id up front lets the CSRF check bind a request that carries only this
    # token to its session (server/security/csrf.py); the random part is the secret.
    token = f"{family_id}.{secrets.token_urlsafe(32)}"
    now = utcnow()
    row = RefreshToken(
        id=new_id(),
        family_id=family_id,
        user_id=user_id,
        token_hash=_digest(token),
        generation=generation,
        issued_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    await session.flush()
    return IssuedRefresh(token=token, family_id=row.family_id, expires_at=row.expires_at)


async def revoke_family(session: AsyncSession, family_id: str) -> None:
    """Revoke the family, and with it the access tokens of its session."""
    await end_session(session, family_id)


async def rotate(
    session: AsyncSession, token: str, *, lifetime: timedelta
) -> tuple[User, IssuedRefresh]:
    """Exchange a refresh token for a new one. Runs inside the caller's write transaction.

    The token's row is locked first: two refreshes with one token at the same moment
    (PostgreSQL runs them side by side) would otherwise both rotate it and fork the session
    into two live tokens, and the second would not be seen as a reuse."""
    row = (
        await session.execute(
            select(RefreshToken)
            .where(RefreshToken.token_hash == _digest(token))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        raise RefreshRefused("refresh_invalid", "The refresh token is not valid.")
    if row.revoked_at is not None:
        raise RefreshRefused("refresh_revoked", "This session was signed out. Log in again.")
    if row.rotated_at is not None:
        await revoke_family(session, row.family_id)
        raise RefreshRefused(
            "refresh_reused",
            "This refresh token was already used; the session was revoked for safety.",
        )
    if row.expires_at <= utcnow():
        raise RefreshRefused("refresh_expired", "The session expired. Log in again.")
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        await revoke_family(session, row.family_id)
        raise RefreshRefused("account_inactive", "This account is deactivated.")
    row.rotated_at = utcnow()
    issued = await issue(
        session,
        user_id=user.id,
        lifetime=lifetime,
        family_id=row.family_id,
        generation=row.generation + 1,
    )
    return user, issued


async def family_of(session: AsyncSession, token: str) -> str | None:
    """The token's family, its row locked as `rotate` locks it: a sign-out and a refresh
    with the same token take turns, so the sign-out also revokes what the refresh issued."""
    row = (
        await session.execute(
            select(RefreshToken.family_id)
            .where(RefreshToken.token_hash == _digest(token))
            .with_for_update()
        )
    ).scalar_one_or_none()
    return row
