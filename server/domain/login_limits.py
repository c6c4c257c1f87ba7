"""How much password guessing a login accepts before it slows down.

Two counts apply to every login. Per client address: a fixed number of attempts a
minute, whatever their outcome. Per account: a few failures are free, then each further
one doubles the wait before the next try, up to a cap. That wait binds only clients the
account has not logged in from before (they hold no device token for it), so someone
guessing a user's password from many addresses cannot lock the user out of their own
phone or browser.
"""

from __future__ import annotations

__all__ = [
    "ADDRESS_WINDOW_SECONDS",
    "FAILURES_FORGOTTEN_AFTER_SECONDS",
    "FREE_FAILURES",
    "backoff_seconds",
]

ADDRESS_WINDOW_SECONDS = 60
FREE_FAILURES = 5
FIRST_BACKOFF_SECONDS = 15
MAX_BACKOFF_SECONDS = 15 * 60
# An account's failures count as consecutive until it has had none for this long.
FAILURES_FORGOTTEN_AFTER_SECONDS = 60 * 60


def backoff_seconds(failures: int) -> int:
    """How long an account takes no login from unknown clients after `failures`
    consecutive failed ones."""
    if failures < FREE_FAILURES:
        return 0
    doublings = min(failures - FREE_FAILURES, 16)
    return int(min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**doublings))
