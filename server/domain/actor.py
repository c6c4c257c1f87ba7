"""The actor: who is doing something, as every service and sync handler sees them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CurrentUser"]


@dataclass(frozen=True)
class CurrentUser:
    id: str
    email: str
    full_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
