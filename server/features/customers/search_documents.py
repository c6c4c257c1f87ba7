"""Keeping customers' search documents (server/domain/search.py) in step with what they
describe: the customer, its addresses and its contacts. Every change of a customer reaches
`publish_customer_change`, which refreshes its document here."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, CustomerContact
from server.db.statements import by_arity
from server.db.unit_of_work import unit_of
from server.domain.search import customer_search_documents

__all__ = ["refresh_search_documents"]


# Built once per number of customers asked about (every change of a customer asks about
# one): building a statement cost more than running it, on the path of every customer
# created or edited.
_CUSTOMERS = by_arity(
    lambda n: select(
        Customer.id,
        Customer.legal_name,
        Customer.trading_name,
        Customer.number,
        Customer.tax_id,
        Customer.search_name,
    ).where(Customer.id.in_([bindparam(f"c{i}") for i in range(n)]))
)
_ADDRESSES = by_arity(
    lambda n: select(
        CustomerAddress.customer_id, CustomerAddress.city, CustomerAddress.postal_code
    ).where(CustomerAddress.customer_id.in_([bindparam(f"c{i}") for i in range(n)]))
)
_CONTACTS = by_arity(
    lambda n: select(
        CustomerContact.customer_id, CustomerContact.name, CustomerContact.email
    ).where(CustomerContact.customer_id.in_([bindparam(f"c{i}") for i in range(n)]))
)
_SAVE_DOCUMENT = (
    update(Customer)
    .where(Customer.id == bindparam("of_id"), Customer.search_document != bindparam("document"))
    .values(search_document=bindparam("document"))
)


async def refresh_search_documents(session: AsyncSession, customer_ids: Collection[str]) -> None:
    if not customer_ids:
        return
    ids = sorted(customer_ids)
    sql = unit_of(session).sql
    params = {f"c{i}": customer_id for i, customer_id in enumerate(ids)}
    documents = customer_search_documents(
        await sql.rows(_CUSTOMERS(len(ids)), params),
        await sql.rows(_ADDRESSES(len(ids)), params),
        await sql.rows(_CONTACTS(len(ids)), params),
    )
    await sql.execute_many(
        _SAVE_DOCUMENT,
        [
            {"of_id": customer_id, "document": document}
            for customer_id, document in documents.items()
        ],
    )
