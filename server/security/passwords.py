"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Hashing takes a noticeable fraction of a second of CPU by design. The `*_off_loop`
helpers run it on threads of their own (argon2 releases the GIL), so the event loop
keeps serving other requests meanwhile; callers hash before they open a transaction,
so no write lock is held while a password is checked. The pool is small: more hashes at
once than there are cores only make each of them slower, and each takes 64 MiB.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "DUMMY_HASH",
    "generate_password",
    "hash_password",
    "hash_password_off_loop",
    "needs_rehash",
    "verify_password",
    "verify_password_off_loop",
]

_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(
    max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="password-hash"
)

# Verified against when the e-mail is unknown, so a failed login takes the same time
# whether or not the account exists.
DUMMY_HASH = _hasher.hash("fieldsales-timing-equaliser")


def generate_password() -> str:
    """A one-time password for an admin to hand over: about 104 random bits, in letters and
    digits that read aloud without confusion (no 0/O, 1/l/I)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(6)) for _ in range(3))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _pool, verify_password, password_hash, password
    )
