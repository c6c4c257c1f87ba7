"""Every error becomes one shape: RFC 9457 problem+json for the API, a page for people.

This is the only place that maps errors to HTTP statuses. No stack trace ever leaves the
server: unexpected exceptions are logged here and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.db.storage import storage_outage
from server.domain.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from server.domain.text import CONTROL_CHARACTERS_MESSAGE, is_one_line_refusal
from server.http.htmx import is_htmx

__all__ = ["exception_handlers", "problem", "status_for"]

log = logging.getLogger("fieldsales.errors")

PROBLEM_JSON = "application/problem+json"

_DOMAIN_STATUS: dict[type[DomainError], int] = {
    ValidationFailed: 422,
    InvalidRequest: 400,
    NotFound: 404,
    Conflict: 409,
    InvalidTransition: 409,
    PermissionDenied: 403,
}

_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_authenticated", "Log in to continue."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "Nothing was found here."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("body_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "This content type is not supported."),
    422: ("validation_failed", "The request is not valid."),
    429: ("rate_limited", "Too many requests. Wait a moment and try again."),
    500: ("internal_error", "Something went wrong on our side. Nothing was changed."),
    503: ("unavailable", "The service is temporarily unavailable. Try again shortly."),
}


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/schema") or path in ("/healthz", "/readyz"):
        return False
    return "text/html" in request.headers.get("accept", "") or is_htmx(request)


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    title = _HTTP_CODES.get(status, ("error", "Error"))[1]
    if _wants_html(request):
        if status == 401 and not is_htmx(request):
            return Redirect(path=f"/login?next={request.url.path}")
        template = "fragments/error.html" if is_htmx(request) else "error.html"
        return Template(
            template_name=template,
            context={"status": status, "code": code, "detail": detail, "title": title},
            status_code=status,
            headers=headers,
        )
    body: dict[str, Any] = {
        "type": f"https://fieldsales.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.url.path,
    }
    if extra:
        body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(exc: DomainError) -> int:
    """The HTTP status of a refusal, for the API and for pages that show it inline."""
    return next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = status_for(exc)
    extra = {"details": exc.details} if exc.details else None
    return problem(request, status=status, code=exc.code, detail=exc.message, extra=extra)


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    control = next(
        (e for e in errors if isinstance(e, dict) and is_one_line_refusal(str(e.get("message")))),
        None,
    )
    if control is not None:
        # The same answer a NUL character gets, in words a person can act on.
        field = str(control.get("key") or "text")
        return problem(
            request,
            status=422,
            code="invalid_text",
            detail=f"{field} {CONTROL_CHARACTERS_MESSAGE}",
            extra={"details": {"field": field}},
        )
    return problem(
        request,
        status=400,
        code="invalid_request",
        detail=str(exc.detail) if exc.detail else "The request body is not valid.",
        extra={"errors": errors} if errors else None,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code, default_detail = _HTTP_CODES.get(status, ("error", "Error"))
    if status == 500:
        return _unexpected(request, exc)
    extra_code = exc.extra.get("code") if isinstance(exc.extra, dict) else None
    detail = exc.detail if exc.detail and exc.detail != default_detail else default_detail
    if status == 401:
        detail = exc.detail or default_detail
    return problem(
        request,
        status=status,
        code=extra_code or code,
        detail=detail,
        headers=exc.headers or None,
    )


def _write_conflict(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # A unique key or a reference checked a moment earlier no longer holds: another request
    # saved the same thing at the same moment (PostgreSQL runs writers side by side). The
    # transaction is rolled back; trying again gets the answer for what is there now.
    log.warning("write conflict on %s %s: %s", request.method, request.url.path, exc.orig)
    return problem(
        request,
        status=409,
        code="write_conflict",
        detail="This conflicts with a change saved at the same moment. Nothing was changed; try again.",
    )


# How long a client waits before trying again after a storage outage: long enough for an
# operator to free space, short enough that a phone's queue drains soon after.
STORAGE_RETRY_AFTER_SECONDS = 30


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    reason = storage_outage(exc)
    if reason is None:
        return _unexpected(request, exc)
    # The transaction was rolled back whole; the next one succeeds once the disk is back.
    log.error(
        "storage unavailable (%s) on %s %s: writes are refused until it recovers: %s",
        reason,
        request.method,
        request.url.path,
        exc.orig,
    )
    return problem(
        request,
        status=503,
        code="storage_unavailable",
        detail=f"The server cannot store anything right now ({reason}). Nothing was "
        "changed; try again in a little while.",
        headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
    )


def _too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # JSON nested deeper than the decoder follows: the body is refused, whatever reads it.
    log.warning("refused a too deeply nested request on %s %s", request.method, request.url.path)
    return problem(
        request, status=400, code="invalid_request", detail="The request body is nested too deeply."
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    code, detail = _HTTP_CODES[500]
    return problem(request, status=HTTP_500_INTERNAL_SERVER_ERROR, code=code, detail=detail)


exception_handlers: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    RecursionError: _too_deep,
    IntegrityError: _write_conflict,
    DBAPIError: _database_error,
    Exception: _unexpected,
}
