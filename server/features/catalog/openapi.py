"""OpenAPI descriptions of the error answers, so clients see the problem+json shape."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from server.http.problem_docs import Problem

__all__ = ["Problem", "problems"]

_DESCRIPTIONS = {
    400: "The request is malformed (unknown field, wrong type, bad query parameter).",
    403: "The caller's role may not do this.",
    404: "Not found, or outside the caller's scope.",
    409: "Conflicts with existing data (duplicate SKU or code, concurrent change).",
    413: "The body is larger than this endpoint reads.",
    415: "The body has an unsupported content type.",
    422: "Valid shape, but a business rule refuses it; `code` says which.",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS[status],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in statuses
    }
