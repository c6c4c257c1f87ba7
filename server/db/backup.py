"""Online backups and restores of the embedded SQLite database.

A backup is taken with SQLite's backup API from a read transaction: in WAL mode it sees one
consistent snapshot while the server goes on writing, so the copy holds every commit made
before it began and none half-made. The copy is checked (`PRAGMA integrity_check`), synced
and only then moved to its name, so a path that exists is a whole backup.

A restore replaces the database file and must not happen under a running server: every
serving process holds a shared lock on `<database>.serving` for as long as it runs, and a
restore takes that lock exclusively or refuses.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

__all__ = [
    "BackupError",
    "ServerRunning",
    "backup_sqlite",
    "hold_serving_lock",
    "restore_sqlite",
    "sqlite_file",
]


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why."""


class ServerRunning(BackupError):
    pass


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a SQLite URL, None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database).resolve()


def _serving_lock_path(db_file: Path) -> Path:
    return db_file.with_name(db_file.name + ".serving")


def hold_serving_lock(db_file: Path) -> IO[bytes]:
    """Mark the database as served by this process until the returned file is closed (or
    the process ends): restores refuse meanwhile. Shared, so several workers may hold it."""
    handle = open(_serving_lock_path(db_file), "ab")  # noqa: SIM115 - held for the process's life
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


@contextmanager
def _no_server(db_file: Path) -> Iterator[None]:
    with open(_serving_lock_path(db_file), "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServerRunning(
                f"a server is running on {db_file}; stop it before restoring"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    if result != [("ok",)]:
        raise BackupError(f"{path} failed its integrity check: {result[:5]}")


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_sqlite(db_file: Path, target: Path) -> int:
    """Copy the live database to `target` (a new file). Returns the copy's size in bytes."""
    if not db_file.exists():
        raise BackupError(f"there is no database at {db_file}")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new name")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        # All pages in one step: one read snapshot, however busy the writer is.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()
    _check(partial)
    _sync(partial)
    partial.rename(target)
    _sync(target.parent)
    return target.stat().st_size


def restore_sqlite(backup: Path, db_file: Path) -> None:
    """Replace the database with `backup` (checked first), refusing while a server runs."""
    if not backup.exists():
        raise BackupError(f"there is no backup at {backup}")
    _check(backup)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    with _no_server(db_file):
        staged = db_file.with_name(db_file.name + ".restoring")
        staged.write_bytes(backup.read_bytes())
        _sync(staged)
        # The old log belongs to the old file: left behind, SQLite would replay it onto the
        # restored one.
        for suffix in ("-wal", "-shm"):
            db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
        staged.rename(db_file)
        _sync(db_file.parent)
