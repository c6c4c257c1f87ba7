"""Loads the demo dataset into an empty (or demo-only) database."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, text

from server.db.engine import Database
from server.db.models import Base, User
from server.db.models.sequences import DocumentSequence
from server.demo.dataset import DEMO_PASSWORD, DEMO_USERS, build_demo_dataset
from server.domain.errors import Conflict
from server.domain.search import customer_search_documents
from server.security.passwords import hash_password

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoStatus", "load_demo"]

_BATCH = 500
# Server processes started together with `--demo` on one PostgreSQL database take turns
# here: the first loads the data, the others then find it there. Without the lock each saw
# an empty database and all but one failed on the demo users' unique emails.
_PG_DEMO_LOCK = 7_246_401


class DemoStatus:
    LOADED = "loaded"
    ALREADY_PRESENT = "already_present"


async def load_demo(db: Database, *, today: date | None = None) -> str:
    """Load the demo data once. Refuses a database that holds real (non-demo) users."""
    async with db.write() as uow:
        if uow.dialect_name == "postgresql":
            await uow.session.execute(text(f"SELECT pg_advisory_xact_lock({_PG_DEMO_LOCK})"))
        real_users = await uow.session.scalar(
            select(func.count()).select_from(User).where(User.is_demo.is_(False))
        )
        if real_users:
            raise Conflict(
                "This database holds users other than the demo ones; "
                "demo data is only loaded into an empty database.",
                code="demo_refused",
            )
        if await uow.session.scalar(select(func.count()).select_from(User)):
            return DemoStatus.ALREADY_PRESENT
        dataset = build_demo_dataset(
            password_hash=hash_password(DEMO_PASSWORD), today=today or date.today()
        )
        _add_search_documents(dataset)
        tables = Base.metadata.tables
        for table_name, rows in dataset.items():
            for start in range(0, len(rows), _BATCH):
                await uow.session.execute(insert(tables[table_name]), rows[start : start + _BATCH])
        customers = dataset.get("customers", [])
        if customers:
            await uow.session.execute(
                insert(DocumentSequence), [{"prefix": "C", "last_value": len(customers)}]
            )
    return DemoStatus.LOADED


def _add_search_documents(dataset: dict[str, list[dict[str, Any]]]) -> None:
    """The customers' search documents, as `publish_customer_change` writes them (a
    product's is made by its insert)."""
    customers = dataset.get("customers", [])
    documents = customer_search_documents(
        (
            (
                c["id"],
                c["legal_name"],
                c.get("trading_name", ""),
                c["number"],
                c.get("tax_id", ""),
                c["search_name"],
            )
            for c in customers
        ),
        (
            (a["customer_id"], a.get("city", ""), a.get("postal_code", ""))
            for a in dataset.get("customer_addresses", [])
        ),
        (
            (c["customer_id"], c["name"], c.get("email", ""))
            for c in dataset.get("customer_contacts", [])
        ),
    )
    for customer in customers:
        customer["search_document"] = documents[customer["id"]]
