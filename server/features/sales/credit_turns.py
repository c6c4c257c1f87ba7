"""Credit checks of one customer take turns (PostgreSQL).

A credit check reads the customer's open orders and invoices and accepts an order against
what is left of the limit: two checks of one customer at once could each see room for
their own order and, together, pass the limit. So every check first holds the customer's
row `FOR NO KEY UPDATE` until commit. Checks of the same customer queue; other customers'
orders go on in parallel; an order row's foreign key to the customer (a key share) is not
blocked by it. SQLite has one writer: there every transaction already takes its turn.

A customer without a credit limit has no sum to check, so its orders do not take turns
(a limit set at that very moment applies from the next check on). A client that names
its order (a phone's offline order) still takes the turn: a replay of the same order sent
again at the same moment then waits for the first and is told the id is taken.

Lock order: the customer's row comes before any order row, stock row or document counter.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select

from server.db.models import Customer, SalesOrder
from server.db.unit_of_work import WriteUnit

__all__ = ["in_credit_turn", "needs_credit_turn", "take_credit_turn_of_order"]

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])
# An order's customer never changes, so its row can be found from the order.
_ORDER_CUSTOMER_LIMIT = (
    select(Customer.credit_limit_cents)
    .join(SalesOrder, SalesOrder.customer_id == Customer.id)
    .where(SalesOrder.id == bindparam("order_id"))
)
_ORDER_CUSTOMER_TURN = (
    select(Customer.id)
    .join(SalesOrder, SalesOrder.customer_id == Customer.id)
    .where(SalesOrder.id == bindparam("order_id"))
    .with_for_update(of=Customer, key_share=True)
)


def needs_credit_turn(uow: WriteUnit, credit_limit_cents: int | None, order_id: str | None) -> bool:
    """Whether placing an order must wait for the customer's turn (see above)."""
    return uow.dialect_name == "postgresql" and (
        credit_limit_cents is not None or order_id is not None
    )


def in_credit_turn(query: _Query) -> _Query:
    """`query` of customers, holding the rows it reads in their credit turn until commit."""
    return query.with_for_update(of=Customer, key_share=True)


async def take_credit_turn_of_order(
    uow: WriteUnit, order_id: str, *, placing_id: str | None = None
) -> None:
    """Hold the credit turn of the order's customer, before the order row is locked, when
    the customer needs one (see above); `placing_id`: the id of a new order placed from it
    (a call-off from its blanket order)."""
    if uow.dialect_name != "postgresql":
        return
    limit = await uow.sql.first(_ORDER_CUSTOMER_LIMIT, {"order_id": order_id})
    if limit is not None and needs_credit_turn(uow, limit.credit_limit_cents, placing_id):
        await uow.sql.scalar(_ORDER_CUSTOMER_TURN, {"order_id": order_id})
