"""Every table of the product, imported so that `Base.metadata` knows them all."""

from __future__ import annotations

from server.db.models.accounts import RefreshToken, User
from server.db.models.audit import AuditEvent
from server.db.models.base import Base
from server.db.models.billing import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    OrderRevision,
    Payment,
    PaymentAllocation,
    ReturnAuthorization,
    ReturnLine,
)
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
from server.db.models.commission import (
    CommissionDraw,
    CommissionEntry,
    CommissionPlan,
    CommissionQuota,
    CommissionSplit,
    CommissionStatement,
)
from server.db.models.commission_disputes import CommissionDispute
from server.db.models.customers import (
    Customer,
    CustomerAddress,
    CustomerContact,
    CustomerFavourite,
)
from server.db.models.fulfilment import ExpectedReceipt, Shipment, ShipmentLine, StockMovement
from server.db.models.imports import ImportJob
from server.db.models.integrations import ApiToken
from server.db.models.outbox import EmailMessage, OutboxMessage, WebhookAttempt, WebhookEndpoint
from server.db.models.portal import PortalLink
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
from server.db.models.summaries import SalesCustomer, SalesCustomerDay, SalesDaySum
from server.db.models.sync import ChangeCounter, ChangeRecord, Device, MutationOutcome
from server.db.models.territories import (
    Realignment,
    Territory,
    TerritoryAssignment,
    TerritoryRule,
)

__all__ = [
    "REFERENCE_TABLES",
    "ApiToken",
    "AuditEvent",
    "Base",
    "ChangeCounter",
    "ChangeRecord",
    "CommissionDispute",
    "CommissionDraw",
    "CommissionEntry",
    "CommissionPlan",
    "CommissionQuota",
    "CommissionSplit",
    "CommissionStatement",
    "CreditNote",
    "CreditNoteLine",
    "Customer",
    "CustomerAddress",
    "CustomerContact",
    "CustomerFavourite",
    "Device",
    "DocumentSequence",
    "EmailMessage",
    "ExpectedReceipt",
    "IdempotencyRecord",
    "ImportJob",
    "Invoice",
    "InvoiceLine",
    "LoginCounter",
    "MutationOutcome",
    "OrderRevision",
    "OutboxMessage",
    "Payment",
    "PaymentAllocation",
    "PortalLink",
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
    "ReturnAuthorization",
    "ReturnLine",
    "RevokedSession",
    "SalesCustomer",
    "SalesCustomerDay",
    "SalesDaySum",
    "SalesOrder",
    "SalesOrderLine",
    "Shipment",
    "ShipmentLine",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "TaxRate",
    "Territory",
    "TerritoryAssignment",
    "TerritoryRule",
    "User",
    "Warehouse",
    "WebhookAttempt",
    "WebhookEndpoint",
]
