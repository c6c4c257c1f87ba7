"""Login counters kept in the database, so every server process counts the same attempts.

The rules are in server/domain/login_limits.py. Each count is one atomic upsert, so
attempts that reach several processes (or PostgreSQL connections) at once are all
counted. A client is known to an account when it presents the device token it was given
at an earlier successful login to that account (a cookie for browsers, a body field for
API clients).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import LoginCounter
from server.domain.login_limits import (
    ADDRESS_WINDOW_SECONDS,
    FAILURES_FORGOTTEN_AFTER_SECONDS,
    backoff_seconds,
)

__all__ = [
    "LoginLimits",
    "LoginThrottled",
    "admit",
    "admit_portal_attempt",
    "forget_failures",
    "is_known_device",
    "issue_device_token",
    "record_failure",
]

DEVICE_TOKEN_TYPE = "device"
DEVICE_TOKEN_DAYS = 400
_ALGORITHM = "HS256"
# Counters whose window has passed are deleted every so many admitted attempts.
_PURGE_EVERY = 256
_admitted = 0


@dataclass(frozen=True)
class LoginLimits:
    attempts_per_address_per_minute: int
    secret: str


class LoginThrottled(Exception):
    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def _address_key(address: str) -> str:
    return f"address:{address}"


def _account_key(email: str) -> str:
    return f"account:{email}"


def _insert(session: AsyncSession) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(LoginCounter)


async def _count_attempt(session: AsyncSession, key: str, now: float) -> tuple[int, float]:
    # A fixed window: it starts with the first attempt and the count starts over after it.
    window_over = LoginCounter.window_ends <= now
    statement = (
        _insert(session)
        .values(key=key, count=1, window_ends=now + ADDRESS_WINDOW_SECONDS)
        .on_conflict_do_update(
            index_elements=[LoginCounter.key],
            set_={
                "count": case((window_over, 1), else_=LoginCounter.count + 1),
                "window_ends": case(
                    (window_over, now + ADDRESS_WINDOW_SECONDS), else_=LoginCounter.window_ends
                ),
            },
        )
        .returning(LoginCounter.count, LoginCounter.window_ends)
    )
    count, window_ends = (await session.execute(statement)).one()
    return int(count), float(window_ends)


async def admit(
    db: Database, limits: LoginLimits, *, address: str, email: str, known_device: bool
) -> None:
    """Count one login attempt; raise `LoginThrottled` if it may not be tried now."""
    global _admitted
    now = time.time()
    async with db.write() as uow:
        count, window_ends = await _count_attempt(uow.session, _address_key(address), now)
        blocked_until = None
        if not known_device:
            blocked_until = await uow.session.scalar(
                select(LoginCounter.blocked_until).where(LoginCounter.key == _account_key(email))
            )
        _admitted += 1
        if _admitted % _PURGE_EVERY == 0:
            await uow.session.execute(delete(LoginCounter).where(LoginCounter.window_ends < now))
    if count > limits.attempts_per_address_per_minute:
        raise LoginThrottled(
            "rate_limited",
            "Too many login attempts from this address. Wait a moment and try again.",
            max(1, math.ceil(window_ends - now)),
        )
    if blocked_until is not None and blocked_until > now:
        raise LoginThrottled(
            "login_backoff",
            "Too many failed logins for this account. Try again later, or from a device "
            "you have logged in with before.",
            max(1, math.ceil(blocked_until - now)),
        )


async def admit_portal_attempt(db: Database, *, address: str, per_minute: int) -> None:
    """Count one opening of a portal link from `address`, in the same counters as logins
    (a key of its own); raise `LoginThrottled` past `per_minute`."""
    now = time.time()
    async with db.write() as uow:
        count, window_ends = await _count_attempt(uow.session, f"portal:{address}", now)
    if count > per_minute:
        raise LoginThrottled(
            "rate_limited",
            "Too many links opened from this address. Wait a moment and try again.",
            max(1, math.ceil(window_ends - now)),
        )


async def record_failure(db: Database, *, email: str) -> None:
    now = time.time()
    forgotten = LoginCounter.window_ends <= now
    async with db.write() as uow:
        failures = (
            await uow.session.execute(
                _insert(uow.session)
                .values(
                    key=_account_key(email),
                    count=1,
                    window_ends=now + FAILURES_FORGOTTEN_AFTER_SECONDS,
                )
                .on_conflict_do_update(
                    index_elements=[LoginCounter.key],
                    set_={
                        "count": case((forgotten, 1), else_=LoginCounter.count + 1),
                        "window_ends": now + FAILURES_FORGOTTEN_AFTER_SECONDS,
                    },
                )
                .returning(LoginCounter.count)
            )
        ).scalar_one()
        wait = backoff_seconds(int(failures))
        if wait:
            await uow.session.execute(
                update(LoginCounter)
                .where(LoginCounter.key == _account_key(email))
                .values(blocked_until=now + wait)
            )


async def forget_failures(session: AsyncSession, *, email: str) -> None:
    """A successful login: the account's failures start over. Runs in the login's
    transaction."""
    await session.execute(delete(LoginCounter).where(LoginCounter.key == _account_key(email)))


def issue_device_token(secret: str, user_id: str) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "typ": DEVICE_TOKEN_TYPE,
        "iat": now,
        "exp": now + DEVICE_TOKEN_DAYS * 86_400,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def is_known_device(secret: str, token: str | None, user_id: str | None) -> bool:
    if not token or user_id is None:
        return False
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.InvalidTokenError:
        return False
    return bool(claims.get("typ") == DEVICE_TOKEN_TYPE and claims.get("sub") == user_id)
