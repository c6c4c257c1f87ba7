"""The `fieldsales` command: serve, db upgrade/backup/restore, user create, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from server.config import load_settings
from server.db.engine import Database
from server.db.migrate import upgrade
from server.domain.errors import DomainError

__all__ = ["main"]


def _print_demo_logins(host: str, port: int) -> None:
    from server.demo.loader import DEMO_PASSWORD, DEMO_USERS

    shown_host = "localhost" if host in ("0.0.0.0", "127.0.0.1", "::") else host
    print(f"\nFieldsales is starting at http://{shown_host}:{port}/")
    print(f"API docs: http://{shown_host}:{port}/schema")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_USERS:
        print(f"  {email:<22} {role}")
    print(flush=True)


async def _load_demo(url: str, *, with_day: bool) -> str:
    """Load the demo data (and, with `with_day`, place its working day of orders); what
    happened, as a sentence."""
    from server.demo.history import place_demo_day
    from server.demo.loader import DemoStatus, load_demo

    db = Database(url)
    try:
        status = await load_demo(db)
        said = f"Demo data: {status.replace('_', ' ')}."
        if status == DemoStatus.LOADED and with_day:
            day = await place_demo_day(db)
            said += (
                f" Today the reps placed {day.orders} orders: {day.awaiting_approval} await"
                f" approval; {day.shipments} shipments, {day.invoices} invoices and"
                f" {day.payments} payments followed; {day.quotes} quotes are out or in"
                " draft."
            )
        return said
    finally:
        await db.dispose()


async def _create_user(url: str, email: str, name: str, role: str, password: str) -> None:
    from server.features.accounts.services import create_user

    db = Database(url)
    try:
        await create_user(
            db, email=email, full_name=name, role=role, password=password, actor_id=None
        )
    finally:
        await db.dispose()


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    asyncio.run(upgrade(settings.database_url))
    if args.demo:
        print(asyncio.run(_load_demo(settings.database_url, with_day=not args.no_orders)))
        _print_demo_logins(args.host, args.port)
    else:
        print(f"Fieldsales is starting at http://{args.host}:{args.port}/", flush=True)
    # Children re-read the environment, so they find the same data directory and secret.
    os.environ["FIELDSALES_DATA_DIR"] = str(settings.data_dir)
    uvicorn.run(
        "server.app:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        # The app believes forwarded headers itself, from FIELDSALES_FORWARDED_ALLOW_IPS
        # only (server/http/client.py); uvicorn's own default would trust loopback.
        workers=args.workers,
        proxy_headers=False,
        # "server: uvicorn" on every answer names the software to a scanner and costs a new
        # phone's first load about a kilobyte.
        server_header=False,
        log_level="warning",
    )
    return 0


def _cmd_db_upgrade(_: argparse.Namespace) -> int:
    asyncio.run(upgrade(load_settings().database_url))
    print("Database schema is up to date.")
    return 0


def _sqlite_or_exit() -> Path:
    from server.db.backup import sqlite_file

    db_file = sqlite_file(load_settings().database_url)
    if db_file is None:
        print(
            "error: backup and restore here are for the embedded SQLite database; "
            "on PostgreSQL use pg_dump and pg_restore (see the README)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return db_file


def _cmd_db_backup(args: argparse.Namespace) -> int:
    from server.db.backup import BackupError, backup_sqlite

    db_file = _sqlite_or_exit()
    try:
        size = backup_sqlite(db_file, Path(args.path).resolve())
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Backed up {db_file} to {args.path} ({size:,} bytes, integrity checked).")
    return 0


def _cmd_db_restore(args: argparse.Namespace) -> int:
    from server.db.backup import BackupError, restore_sqlite

    db_file = _sqlite_or_exit()
    try:
        restore_sqlite(Path(args.path).resolve(), db_file)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Restored {db_file} from {args.path}. Phones that synced since get a fresh copy.")
    return 0


def _cmd_user_create(args: argparse.Namespace) -> int:
    settings = load_settings()
    asyncio.run(upgrade(settings.database_url))
    password = (
        args.password
        or os.environ.get("FIELDSALES_NEW_USER_PASSWORD")
        or getpass.getpass("Password: ")
    )
    if len(password) < 8:
        print("error: the password needs at least 8 characters", file=sys.stderr)
        return 2
    asyncio.run(_create_user(settings.database_url, args.email, args.name, args.role, password))
    print(f"Created {args.role} {args.email}.")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    asyncio.run(upgrade(settings.database_url))
    print(asyncio.run(_load_demo(settings.database_url, with_day=not args.no_orders)))
    return 0


_NO_ORDERS_HELP = (
    "with the demo data, leave out its working day (a commission plan, and orders and"
    " quotes placed, approved, shipped, invoiced and paid through the product's services)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldsales", description="Fieldsales field sales server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="upgrade the schema and run the server")
    serve.add_argument("--host", default=os.environ.get("FIELDSALES_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("FIELDSALES_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.add_argument("--no-orders", action="store_true", help=_NO_ORDERS_HELP)
    serve.set_defaults(func=_cmd_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(
        func=_cmd_db_upgrade
    )
    backup = db_commands.add_parser(
        "backup", help="copy the SQLite database to PATH while the server runs"
    )
    backup.add_argument("path")
    backup.set_defaults(func=_cmd_db_backup)
    restore = db_commands.add_parser(
        "restore", help="replace the SQLite database with the backup at PATH (server stopped)"
    )
    restore.add_argument("path")
    restore.set_defaults(func=_cmd_db_restore)

    user = commands.add_parser("user", help="manage users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=["rep", "manager", "admin"], required=True)
    create.add_argument("--password", help="prompted for when omitted")
    create.set_defaults(func=_cmd_user_create)

    demo = commands.add_parser("demo", help="load demo data")
    demo.add_argument("--no-orders", action="store_true", help=_NO_ORDERS_HELP)
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
