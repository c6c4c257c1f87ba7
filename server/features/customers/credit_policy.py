"""The configured credit limit of customers onboarded without one being chosen.

Set once per process from the settings (`create_app`); every onboarding path (the API,
the pages, the sync push, the CSV import) reads it here.
"""

from __future__ import annotations

from server.config import Settings

__all__ = ["configure_credit_policy", "default_credit_limit_cents"]

_default_cents = Settings.default_credit_limit_cents


def configure_credit_policy(settings: Settings) -> None:
    global _default_cents
    _default_cents = settings.default_credit_limit_cents


def default_credit_limit_cents() -> int:
    return _default_cents
