"""Telling a storage outage (a full or read-only disk, an I/O error) from a bug.

Such a failure is nobody's fault in the request and passes when space or the disk comes
back: the transaction was rolled back whole, nothing is half-written, and the client is
told to try again later instead of being shown an internal error.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

__all__ = ["storage_outage"]

# SQLite primary result codes (the low byte of an extended code).
_SQLITE_OUTAGES = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_IOERR: "the disk reported an I/O error",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
}
# PostgreSQL SQLSTATEs: disk full, out of memory, too many connections, read-only
# transaction (a standby), I/O error.
_PG_OUTAGES = {
    "53100": "the disk is full",
    "53200": "the server is out of memory",
    "53300": "the server has too many connections",
    "25006": "the database is read-only",
    "58030": "the disk reported an I/O error",
}


def storage_outage(exc: DBAPIError) -> str | None:
    """Why storage is unavailable, when that is what `exc` says; None for anything else."""
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_OUTAGES.get(code & 0xFF)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state is None:
        cause = getattr(orig, "__cause__", None)
        state = getattr(cause, "sqlstate", None)
    return _PG_OUTAGES.get(str(state)) if state else None
