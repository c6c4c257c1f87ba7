"""The actor: who is doing something, as every service and sync handler sees them."""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.channels import Channel

__all__ = ["INTEGRATION_ROLE", "CurrentUser"]

# The role of an integration user: it signs in only with an API token, never a password.
INTEGRATION_ROLE = "integration"


@dataclass(frozen=True)
class CurrentUser:
    id: str
    email: str
    full_name: str
    role: str
    # An integration token's scopes; None for staff, whose role says what they may do.
    scopes: frozenset[str] | None = None
    # The channel an integration token's orders and customers carry (api or edi).
    channel: Channel | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_integration(self) -> bool:
        return self.role == INTEGRATION_ROLE

    def may(self, scope: str) -> bool:
        """Whether a token's scopes allow `scope`; staff are checked by role instead."""
        return self.scopes is None or scope in self.scopes
