"""Retry timing, webhook signatures and address checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from server.domain.delivery import (
    gives_up,
    is_public_address,
    new_webhook_secret,
    retry_delay,
    sign_webhook,
)


def test_retry_delay_doubles_with_jitter_and_stops_growing_at_an_hour():
    assert retry_delay(1, 0.0) == timedelta(seconds=2.5)
    assert retry_delay(1, 0.999) < timedelta(seconds=5)
    assert retry_delay(2, 0.0) == timedelta(seconds=5)
    assert retry_delay(3, 0.0) == timedelta(seconds=10)
    assert retry_delay(40, 0.0) == timedelta(seconds=1800)
    assert retry_delay(40, 0.999) < timedelta(hours=1)


def test_retry_delay_refuses_jitter_outside_its_range():
    with pytest.raises(ValueError):
        retry_delay(1, 1.0)


def test_delivery_gives_up_after_the_window():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert not gives_up(start, start + timedelta(hours=23), timedelta(days=1))
    assert gives_up(start, start + timedelta(days=1), timedelta(days=1))


def test_signature_is_the_standard_webhooks_hmac_of_id_timestamp_and_body():
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = sign_webhook(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_new_secret_is_32_random_bytes_in_whsec_form():
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert secret != new_webhook_secret()
    expected = hmac.new(base64.b64decode(secret[6:]), b"m.1.{}", hashlib.sha256).digest()
    assert sign_webhook(secret, "m", 1, b"{}") == "v1," + base64.b64encode(expected).decode()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_internet_addresses_are_public(address):
    assert is_public_address(address)
