"""Every table of the product, imported so that `Base.metadata` knows them all."""

from __future__ import annotations

from server.db.models.accounts import RefreshToken, User
from server.db.models.audit import AuditEvent
from server.db.models.base import Base
from server.db.models.catalog import (
    PriceBreak,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    StockLevel,
    TaxRate,
    Warehouse,
)
from server.db.models.customers import Customer, CustomerAddress, CustomerContact
from server.db.models.imports import ImportJob
from server.db.models.reference import REFERENCE_TABLES, ReferenceDataVersion
from server.db.models.sales import (
    IdempotencyRecord,
    Quote,
    QuoteLine,
    QuoteRevision,
    SalesOrder,
    SalesOrderLine,
    StockReservation,
)
from server.db.models.sequences import DocumentSequence
from server.db.models.sessions import LoginCounter, RevokedSession
from server.db.models.sync import ChangeCounter, ChangeRecord, Device, MutationOutcome
from server.db.models.territories import (
    Realignment,
    Territory,
    TerritoryAssignment,
    TerritoryRule,
)

__all__ = [
    "REFERENCE_TABLES",
    "AuditEvent",
    "Base",
    "ChangeCounter",
    "ChangeRecord",
    "Customer",
    "CustomerAddress",
    "CustomerContact",
    "Device",
    "DocumentSequence",
    "IdempotencyRecord",
    "ImportJob",
    "LoginCounter",
    "MutationOutcome",
    "PriceBreak",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductCategory",
    "Quote",
    "QuoteLine",
    "QuoteRevision",
    "Realignment",
    "ReferenceDataVersion",
    "RefreshToken",
    "RevokedSession",
    "SalesOrder",
    "SalesOrderLine",
    "StockLevel",
    "StockReservation",
    "TaxRate",
    "Territory",
    "TerritoryAssignment",
    "TerritoryRule",
    "User",
    "Warehouse",
]
