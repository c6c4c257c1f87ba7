"""Ending sessions for good: their refresh tokens and the access tokens that name them.

A session is one login's refresh-token family; its id travels in every access token as
the `sid` claim. Ending it revokes the family and lists it in `revoked_sessions`, which
the per-request user lookup reads in the same query (server/security/auth.py).
"""

from __future__ import annotations

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import RefreshToken, RevokedSession
from server.db.types import utcnow

__all__ = ["SESSION_CLAIM", "end_session", "end_sessions_of_user"]

SESSION_CLAIM = "sid"


def _insert_once(session: AsyncSession, values: dict[str, object]) -> Insert:
    # Two parties may end one session at once (a sign-out and a reused refresh token).
    if session.get_bind().dialect.name == "postgresql":
        return (
            postgresql.insert(RevokedSession)
            .values(values)
            .on_conflict_do_nothing(index_elements=[RevokedSession.session_id])
        )
    return (
        sqlite.insert(RevokedSession)
        .values(values)
        .on_conflict_do_nothing(index_elements=[RevokedSession.session_id])
    )


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Revoke one family's refresh tokens and refuse its access tokens from now on."""
    user_id = await session.scalar(
        select(RefreshToken.user_id).where(RefreshToken.family_id == session_id).limit(1)
    )
    if user_id is None:
        return
    now = utcnow()
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == session_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        _insert_once(session, {"session_id": session_id, "user_id": user_id, "revoked_at": now})
    )


async def end_sessions_of_user(session: AsyncSession, user_id: str) -> None:
    """Every session of a user still open: deactivation ends them, so that reactivating
    the user later does not bring back tokens handed out before."""
    open_sessions = (
        await session.scalars(
            select(RefreshToken.family_id)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .distinct()
        )
    ).all()
    for session_id in open_sessions:
        await end_session(session, session_id)
