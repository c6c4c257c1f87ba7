"""Customer rules: comparison forms of contact data, duplicate detection, versioned edits,
the status vocabulary and payment terms."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

import msgspec

from server.domain.errors import InvalidTransition, ValidationFailed
from server.domain.territories import normalize_postal

__all__ = [
    "CUSTOMER_STATUSES",
    "CUSTOMER_STATUS_TRANSITIONS",
    "PAYMENT_TERMS",
    "TAX_ID_MAX_LENGTH",
    "CustomerFingerprint",
    "DuplicateMatch",
    "MergeResult",
    "can_transition",
    "checked_legal_name",
    "checked_tax_id",
    "clean_text",
    "diff_fields",
    "find_duplicates",
    "merge_patch",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postal",
    "normalize_tax_id",
    "payment_due_on",
    "require_transition",
]

CUSTOMER_STATUSES = (
    "prospect",  # onboarded by a rep, not yet ordered or approved; may be quoted
    "active",  # may order
    "on_hold",  # credit or dispute hold: visible and quotable, orders wait for approval
    "inactive",  # no longer trading with us; kept for history, hidden from pickers
)

# from -> allowed targets. A prospect never goes on hold: there is no credit to hold yet.
CUSTOMER_STATUS_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "prospect": frozenset({"active", "inactive"}),
        "active": frozenset({"on_hold", "inactive"}),
        "on_hold": frozenset({"active", "inactive"}),
        "inactive": frozenset({"active"}),
    }
)

PAYMENT_TERMS: Mapping[str, int] = MappingProxyType(
    {"due_on_receipt": 0, "net_15": 15, "net_30": 30, "net_45": 45, "net_60": 60}
)

# Compared as whole trailing words after punctuation is gone, so 'Co.' and 'GmbH' both go
# but 'Costco' keeps its 'co'.
_LEGAL_SUFFIXES = frozenset(
    {
        "ag", "bv", "co", "company", "corp", "corporation", "gmbh", "inc", "incorporated",
        "kg", "limited", "llc", "llp", "lp", "ltd", "nv", "plc", "pty", "sa", "sarl", "srl",
    }
)  # fmt: skip


class CustomerFingerprint(msgspec.Struct, frozen=True):
    customer_id: str
    legal_name: str
    tax_id: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()


class DuplicateMatch(msgspec.Struct, frozen=True):
    customer_id: str
    reasons: tuple[str, ...]  # among "tax_id", "email", "phone", "name_and_postal_code"


class MergeResult(msgspec.Struct, frozen=True):
    applied: dict[str, Any]
    overwritten_by_server: tuple[str, ...]  # patch fields dropped because the server changed them


# --- normalisation: comparison forms, never stored as the display value ---------------------


def clean_text(value: str | None) -> str:
    """A display value without stray whitespace: '  Acme   Ltd ' -> 'Acme Ltd'."""
    return " ".join((value or "").split())


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def normalize_phone(value: str | None) -> str:
    """'+49 (30) 123-45' -> '+493012345'. No digits at all -> '' (a lone '+' is no number)."""
    text = (value or "").strip()
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not digits:
        return ""
    return ("+" if text.startswith("+") else "") + digits


def normalize_tax_id(value: str | None) -> str:
    """'de 123.456-789' -> 'DE123456789'."""
    return "".join(ch for ch in (value or "").upper() if not ch.isspace() and ch not in ".-")


def normalize_name(value: str | None) -> str:
    """A company name for comparison: 'Müller & Söhne GmbH.' -> 'muller sohne'.

    Accents are folded and legal suffixes dropped because reps type the same company many
    ways. Apostrophes and dots vanish ("O'Brien" = 'OBrien', 'A.B.C.' = 'ABC'); any other
    punctuation separates words.
    """
    text = unicodedata.normalize("NFKD", (value or "").casefold())
    kept: list[str] = []
    for ch in text:
        if unicodedata.combining(ch) or ch in "'.\u2019":
            continue
        kept.append(ch if ch.isalnum() else " ")
    # Composed again: scripts whose letters decompose into parts that are no accents
    # (Hangul syllables into their jamo) keep their letters and their length.
    words = unicodedata.normalize("NFC", "".join(kept)).split()
    # Keep at least one word: a company literally named 'Co' still has a name.
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


TAX_ID_MAX_LENGTH = 40


def checked_legal_name(value: str) -> str:
    """The legal name as stored, refused when nothing of it is a letter or a digit (only
    spaces, punctuation or invisible characters)."""
    if not normalize_name(value):
        raise ValidationFailed(
            "The legal name needs at least one letter or digit.",
            code="legal_name_required",
            details={"field": "legal_name"},
        )
    return clean_text(value)


def checked_tax_id(value: str | None) -> str:
    """The tax id as stored, refused when normalising made it longer than a tax id may be
    (upper-casing lengthens some letters: 'ß' becomes 'SS')."""
    tax_id = normalize_tax_id(value)
    if len(tax_id) > TAX_ID_MAX_LENGTH:
        raise ValidationFailed(
            f"A tax id has at most {TAX_ID_MAX_LENGTH} characters.",
            code="tax_id_too_long",
            details={"field": "tax_id"},
        )
    return tax_id


# --- duplicates ---------------------------------------------------------------------------


def _normalized(values: Iterable[str], normalize: Callable[[str], str]) -> set[str]:
    return {v for v in (normalize(value) for value in values) if v}


def find_duplicates(
    candidate: CustomerFingerprint, existing: Iterable[CustomerFingerprint]
) -> list[DuplicateMatch]:
    """Existing customers that look like the candidate, strongest evidence first.

    Blank values never count as evidence: two customers without a tax id are not the same.
    A name alone is too weak (there are many 'Central Pharmacy'), so it needs a postal code.
    """
    tax_id = normalize_tax_id(candidate.tax_id)
    emails = _normalized(candidate.emails, normalize_email)
    phones = _normalized(candidate.phones, normalize_phone)
    name = normalize_name(candidate.legal_name)
    postal_codes = _normalized(candidate.postal_codes, normalize_postal)
    matches: list[DuplicateMatch] = []
    for other in existing:
        if other.customer_id == candidate.customer_id:
            continue
        reasons: list[str] = []
        if tax_id and tax_id == normalize_tax_id(other.tax_id):
            reasons.append("tax_id")
        if emails & _normalized(other.emails, normalize_email):
            reasons.append("email")
        if phones & _normalized(other.phones, normalize_phone):
            reasons.append("phone")
        if (
            name
            and name == normalize_name(other.legal_name)
            and postal_codes & _normalized(other.postal_codes, normalize_postal)
        ):
            reasons.append("name_and_postal_code")
        if reasons:
            matches.append(DuplicateMatch(customer_id=other.customer_id, reasons=tuple(reasons)))
    return sorted(matches, key=lambda m: (-len(m.reasons), m.customer_id))


# --- versioned edits ----------------------------------------------------------------------


def diff_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (old, new)} for every field whose value differs; a missing field reads as None."""
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }


def merge_patch(
    *,
    base_version: int,
    current_version: int,
    patch: Mapping[str, Any],
    changed_since_base: set[str],
) -> MergeResult:
    """Apply an edit made against an older version, field by field, server wins.

    A phone edited offline must not undo what the office changed meanwhile, so only fields
    the server has not touched since `base_version` are applied; the rest are reported so
    the rep sees what was not taken.
    """
    if base_version < 0 or base_version > current_version:
        raise ValidationFailed(
            f"base version {base_version} is not a version of this record "
            f"(current is {current_version})",
            code="unknown_base_version",
        )
    # Same version: nothing can have changed since, whatever the caller passed.
    conflicting = changed_since_base if base_version < current_version else set()
    applied = {key: value for key, value in patch.items() if key not in conflicting}
    overwritten = tuple(sorted(key for key in patch if key in conflicting))
    return MergeResult(applied=applied, overwritten_by_server=overwritten)


# --- status and terms ---------------------------------------------------------------------


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in CUSTOMER_STATUS_TRANSITIONS.get(from_status, frozenset())


def require_transition(from_status: str, to_status: str) -> None:
    if not can_transition(from_status, to_status):
        raise InvalidTransition(
            f"a customer cannot go from {from_status} to {to_status}",
            details={"from": from_status, "to": to_status},
        )


def payment_due_on(issued_on: date, terms: str) -> date:
    """The due date of an invoice issued on `issued_on` under payment terms `terms`."""
    if terms not in PAYMENT_TERMS:
        raise ValidationFailed(
            f"unknown payment terms {terms!r}; use one of {', '.join(PAYMENT_TERMS)}",
            code="unknown_payment_terms",
        )
    return issued_on + timedelta(days=PAYMENT_TERMS[terms])
