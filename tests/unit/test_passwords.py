"""Passwords are kept as argon2id hashes at argon2-cffi's recommended cost (RFC 9106's
low-memory profile). The rest of the suite hashes at the cheapest cost to save time; these
tests hold the production hasher to its parameters."""

from __future__ import annotations

import argon2
from argon2 import Type, extract_parameters

from server.security import passwords
from tests.conftest import PRODUCTION_HASHER


def test_the_server_hashes_with_argon2id_at_the_recommended_cost():
    recommended = argon2.profiles.RFC_9106_LOW_MEMORY
    made = extract_parameters(PRODUCTION_HASHER.hash("correct horse battery staple"))
    assert made.type is Type.ID
    assert made.memory_cost >= recommended.memory_cost  # 64 MiB
    assert made.time_cost >= recommended.time_cost
    assert made.parallelism >= 1


def test_a_hash_made_at_the_production_cost_verifies_whatever_the_current_cost():
    # The parameters travel in the hash: a password set on the server verifies here.
    stored = PRODUCTION_HASHER.hash("correct horse battery staple")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")


def test_the_timing_equaliser_is_hashed_at_the_production_cost():
    # A login for an unknown e-mail verifies against it: it must cost what a real one does.
    assert extract_parameters(passwords.DUMMY_HASH) == extract_parameters(
        PRODUCTION_HASHER.hash("x")
    )
