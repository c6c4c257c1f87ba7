"""Maintained sums of sales by day, for the managers' dashboard at scale.

One row per UTC day, territory, credited rep and currency: what was booked, invoiced and
paid that day on the orders placed with that territory and rep (their snapshot). The
writing transactions keep it in step (see `server.db.summaries`); the dashboard adds up a
period's few hundred rows instead of its orders. Beside it, each customer's ordering days
(and the customers with booked orders) by territory and rep, for the lapsed customers.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UUIDString

__all__ = ["SalesCustomer", "SalesCustomerDay", "SalesDaySum"]


class SalesDaySum(Base):
    __tablename__ = "sales_day_sums"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    territory_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    # '' for orders credited to no rep: a key column cannot be NULL on both databases.
    rep_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # Net (lines after discounts) and number of the booked orders placed that day.
    booked_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    booked_orders: Mapped[int] = mapped_column(Integer, default=0)
    # Totals of the invoices issued that day on those orders.
    invoiced_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Payment allocations to those invoices, by the day the payment was received.
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_sales_day_sums_territory_day", "territory_id", "day"),)


class SalesCustomerDay(Base):
    """The days a customer placed booked orders, by the orders' territory and rep: the
    lapsed customers' ordering rhythm, without reading their orders."""

    __tablename__ = "sales_customer_days"

    customer_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    territory_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # '' for none
    booked_orders: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_sales_customer_days_territory_day", "territory_id", "day", "customer_id"),
    )


class SalesCustomer(Base):
    """The customers with booked orders, by the orders' territory and rep."""

    __tablename__ = "sales_customers"

    territory_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # '' for none
    customer_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    booked_orders: Mapped[int] = mapped_column(Integer, default=0)
