"""Audit events of the back office's stock actions."""

from __future__ import annotations

from server.db.models import ExpectedReceipt
from server.db.unit_of_work import AuditRecord
from server.features.shared.audit import event

__all__ = ["receipt_expected"]


def receipt_expected(*, receipt: ExpectedReceipt, actor_id: str) -> AuditRecord:
    # Filed under the product, beside its stock adjustments.
    return event(
        entity_type="product",
        entity_id=receipt.product_id,
        action="receipt_expected",
        actor_id=actor_id,
        data={
            "expected_receipt_id": receipt.id,
            "warehouse_id": receipt.warehouse_id,
            "quantity": receipt.quantity,
            "expected_on": receipt.expected_on.isoformat(),
            "reference": receipt.reference,
        },
    )
