"""The error answers of every API operation, in its OpenAPI description.

Each operation is given the refusals it can answer, from what it is: every request can be
malformed (400) or carry text that cannot be stored (422); one that needs a login answers
401 without one and 403 for a role, scope or CSRF refusal; one about a record (an id in its
path) or that writes answers 404 for what is not there or not visible; a write can conflict
(409) and can be too large (413); the login endpoints check credentials (401) and are
throttled (429). A problem an
operation already documents keeps its own description.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

__all__ = ["Problem", "document_problem_answers", "problem_answers"]

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_THROTTLED = frozenset({"/api/auth/login"})
# Public, but they check the credentials or the refresh token they are given.
_CHECKING_CREDENTIALS = frozenset({"/api/auth/login", "/api/auth/refresh"})
_MAY_BE_UNAVAILABLE = frozenset({"/api/sync/v1/push", "/readyz"})

_DESCRIPTIONS = {
    400: "The request is malformed (unknown field, wrong type, bad query parameter).",
    401: "No valid login: log in and send the access token.",
    403: "The caller's role or scope may not do this, or a browser request lacks its CSRF token.",
    404: "Not found, or outside the caller's scope.",
    409: "Conflicts with existing data or with a change saved at the same moment.",
    413: "The request body is larger than this endpoint accepts.",
    422: "Valid shape, but a rule refuses it (text that cannot be stored, a business rule); `code` says which.",
    429: "Too many attempts; wait before trying again (see Retry-After).",
    503: "The database is unavailable; nothing was changed, retry later.",
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
    errors: list[dict[str, Any]] | None = None


def _spec(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=_DESCRIPTIONS[status],
        media_type="application/problem+json",
        generate_examples=False,
    )


def problem_answers(*statuses: int) -> dict[int, ResponseSpec]:
    """Refusals a route gives beyond the ones every route of its kind gives, for `responses=`."""
    return {status: _spec(status) for status in statuses}


def _answers(path: str, method: str, handler: HTTPRouteHandler) -> set[int]:
    statuses = {400, 422}
    if not handler.opt.get("exclude_from_auth") and not path.startswith("/schema"):
        statuses |= {401, 403, 404}
    if "{" in path:
        statuses.add(404)
    if method in _WRITES:
        statuses |= {404, 409, 413}
    if path in _CHECKING_CREDENTIALS:
        statuses.add(401)
    if path in _THROTTLED:
        statuses.add(429)
    if path in _MAY_BE_UNAVAILABLE:
        statuses.add(503)
    return statuses


def document_problem_answers(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            documented = dict(handler.responses or {})
            for method in handler.http_methods:
                for status in _answers(route.path, method, handler):
                    documented.setdefault(status, _spec(status))
            handler.responses = documented
    # The document itself is built when it is first asked for, from these handlers.
