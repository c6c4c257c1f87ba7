"""The domain's error tree: one stable machine-readable code per error.

HTTP statuses are assigned in exactly one place (server/http/errors.py); the domain only
says what went wrong.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "DomainError",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "ValidationFailed",
]


class DomainError(Exception):
    code: str = "domain_error"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class ValidationFailed(DomainError):
    code = "validation_failed"


class InvalidRequest(DomainError):
    """The request names things that cannot go together (answered 400, not 422)."""

    code = "invalid_request"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class PermissionDenied(DomainError):
    code = "permission_denied"
