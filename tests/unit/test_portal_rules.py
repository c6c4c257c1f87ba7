"""Portal link tokens, their life, and the customer's timeline of an order."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from server.domain.portal import (
    LinkState,
    Shipped,
    expires_at,
    hash_token,
    link_state,
    new_token,
    order_steps,
    status_sentence,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_token_carries_at_least_128_random_bits_and_is_never_repeated():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    raw = base64.urlsafe_b64decode(next(iter(tokens)) + "=")
    assert len(raw) * 8 >= 128


def test_the_hash_is_sha256_hex_and_does_not_contain_the_token():
    token = new_token()
    digest = hash_token(token)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert token not in digest and hash_token(token) == digest


def test_a_link_works_until_it_expires_or_is_revoked():
    ends = expires_at(NOW, 90)
    assert ends == NOW + timedelta(days=90)
    assert link_state(expires=ends, revoked=None, now=NOW) == LinkState.ACTIVE
    assert link_state(expires=ends, revoked=None, now=ends) == LinkState.EXPIRED
    assert link_state(expires=ends, revoked=NOW, now=NOW) == LinkState.REVOKED


def _steps(**overrides):
    values = dict(
        status="confirmed",
        placed_at="2026-12-01 09:00 UTC",
        confirmed_at="2026-12-01 09:01 UTC",
        backorders=[],
        shipments=[],
        invoiced_on=None,
        billing_status="not_invoiced",
        paid_on=None,
    )
    values.update(overrides)
    return {s.key: s for s in order_steps(**values)}, order_steps(**values)


def test_a_confirmed_order_with_a_backorder_says_when_it_is_expected():
    by_key, steps = _steps(backorders=[("Widget", 4, "2026-12-20"), ("Gadget", 1, None)])
    assert [s.key for s in steps][:4] == ["placed", "confirmed", "backordered", "backordered"]
    assert "4 x Widget, expected 2026-12-20" in steps[2].detail
    assert "date to follow" in steps[3].detail
    assert not by_key["shipped"].done and not by_key["paid"].done
    assert "backorder" in status_sentence("confirmed", backordered=True)


def test_a_shipment_carries_its_tracking_link_and_delivery_and_payment_follow():
    shipped = Shipped("SH-1", "UPS", "1Z9", "https://ups/1Z9", "2026-12-02", "2026-12-03")
    by_key, _ = _steps(
        status="completed",
        shipments=[shipped],
        invoiced_on="2026-12-03",
        billing_status="paid",
        paid_on="2026-12-04",
    )
    assert by_key["shipped"].done and by_key["shipped"].link == "https://ups/1Z9"
    assert "UPS 1Z9" in by_key["shipped"].detail
    assert by_key["delivered"].done and by_key["delivered"].when == "2026-12-03"
    assert by_key["invoiced"].done and by_key["paid"].done
    assert by_key["paid"].when == "2026-12-04"


def test_an_open_balance_is_not_paid_and_a_pending_order_is_not_confirmed():
    by_key, _ = _steps(status="pending_approval", billing_status="invoiced")
    assert not by_key["confirmed"].done and not by_key["paid"].done
    # What is invoiced so far is paid, but the rest of the order is not invoiced yet.
    by_key, _ = _steps(billing_status="partially_paid", paid_on="2026-12-04")
    assert by_key["invoiced"].done and not by_key["paid"].done
    assert by_key["paid"].detail == "partly paid" and by_key["paid"].when is None
    by_key, _ = _steps(billing_status="partially_invoiced")
    assert by_key["invoiced"].title == "Partly invoiced"
    # Internal states are not told to the customer.
    assert "approval" not in status_sentence("pending_approval", backordered=False)
    assert "credit" not in status_sentence("credit_hold", backordered=False)


def test_a_cancelled_order_ends_its_timeline():
    _, steps = _steps(status="cancelled")
    assert [s.key for s in steps] == ["placed", "cancelled"]
