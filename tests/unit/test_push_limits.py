"""The push body limit holds the largest push the protocol allows."""

from __future__ import annotations

import msgspec

from server.features.sales.schemas import OrderCreateIn
from sync.protocol import MAX_MUTATIONS_PER_PUSH, MAX_PUSH_BYTES, Mutation, PushRequest

UUID = "01234567-89ab-7cde-8f01-23456789abcd"


def _largest_order() -> dict[str, object]:
    line = {"product_id": UUID, "quantity": 10**7, "discount_percent": "99.99"}
    widest = "\U0001f4e6"  # four bytes in UTF-8, one character to the length checks
    return {
        "customer_id": UUID,
        "lines": [line] * 200,
        "id": UUID,
        "quote_id": UUID,
        "order_discount_percent": "99.99",
        "shipping_cents": 10**13,
        "ship_to_address_id": UUID,
        "po_number": widest * 60,
        "requested_delivery_date": "2026-12-31",
        "shipping_method": widest * 40,
        "notes": widest * 4000,
        "channel": "phone",
        "order_type": "drop_ship",
        "priority": 9,
        "ship_complete": True,
        "client_total_cents": 10**13,
    }


def test_push_limit_holds_the_largest_push_of_the_largest_orders():
    order = _largest_order()
    msgspec.convert(order, OrderCreateIn)  # the order is one the server accepts
    mutations = [
        Mutation(
            seq=2**53 - 1 - n,
            type="order.place@1",
            entity_id=UUID,
            args=order,
            client_ts="2026-12-31T23:59:59.999+00:00",
        )
        for n in range(MAX_MUTATIONS_PER_PUSH)
    ]
    push = PushRequest(
        protocol=1, schema_version=1, device_id=UUID, mutations=mutations, ack_up_to=2**53 - 1
    )
    assert len(msgspec.json.encode(push)) <= MAX_PUSH_BYTES
