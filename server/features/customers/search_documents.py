"""Keeping customers' search documents (server/domain/search.py) in step with what they
describe: the customer, its addresses and its contacts. Every change of a customer reaches
`publish_customer_change`, which refreshes its document here."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, CustomerContact
from server.domain.search import customer_search_documents

__all__ = ["refresh_search_documents"]


async def refresh_search_documents(session: AsyncSession, customer_ids: Collection[str]) -> None:
    if not customer_ids:
        return
    ids = sorted(customer_ids)
    customers = await session.execute(
        select(
            Customer.id,
            Customer.legal_name,
            Customer.trading_name,
            Customer.number,
            Customer.tax_id,
            Customer.search_name,
        ).where(Customer.id.in_(ids))
    )
    addresses = await session.execute(
        select(
            CustomerAddress.customer_id, CustomerAddress.city, CustomerAddress.postal_code
        ).where(CustomerAddress.customer_id.in_(ids))
    )
    contacts = await session.execute(
        select(CustomerContact.customer_id, CustomerContact.name, CustomerContact.email).where(
            CustomerContact.customer_id.in_(ids)
        )
    )
    documents = customer_search_documents(customers, addresses, contacts)
    for customer_id, document in documents.items():
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id, Customer.search_document != document)
            .values(search_document=document),
            execution_options={"synchronize_session": False},
        )
