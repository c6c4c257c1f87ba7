"""The account back-off after failed logins."""

from __future__ import annotations

from server.domain.login_limits import FREE_FAILURES, MAX_BACKOFF_SECONDS, backoff_seconds


def test_backoff_starts_after_the_free_failures_and_doubles_up_to_the_cap():
    waits = [backoff_seconds(n) for n in range(FREE_FAILURES + 8)]
    assert waits[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert waits[FREE_FAILURES : FREE_FAILURES + 3] == [15, 30, 60]
    assert waits[-1] == MAX_BACKOFF_SECONDS
    assert backoff_seconds(10_000) == MAX_BACKOFF_SECONDS
