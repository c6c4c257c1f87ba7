"""OpenAPI descriptions of the error answers, so clients see the problem+json shape."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec

__all__ = ["Problem", "problems"]

_DESCRIPTIONS = {
    400: "The request is malformed (unknown field, wrong type, bad query parameter).",
    403: "The caller's role may not do this.",
    404: "Not found, or outside the caller's scope.",
    409: "Conflicts with existing data (duplicate SKU or code, concurrent change).",
    415: "The body has an unsupported content type.",
    422: "Valid shape, but a business rule refuses it; `code` says which.",
}


class Problem(msgspec.Struct):
    """RFC 9457 problem details; `code` is the stable machine-readable reason."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str
    details: dict[str, Any] | None = None


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem, description=_DESCRIPTIONS[status],
            media_type="application/problem+json", generate_examples=False,
        )
        for status in statuses
    }
