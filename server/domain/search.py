"""Search rules shared by the server's queries and the phone's offline search
(pwa/static/js/search.js mirrors this module; a test compares them).

A query is split into words, each folded (case and accents ignored); a record matches when
every word appears in one of its searchable fields. Digits are compared with phone numbers
only when the whole query looks like a phone number: otherwise the '5' of 'Corner Store 5'
or the '7' of '7-Eleven' would match every phone holding that digit. Results are ranked so
the first screen is right: an exact customer number, tax id or phone number first, then
names starting with the query, then the other matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import msgspec

from server.domain.customers import normalize_name, normalize_phone, normalize_tax_id
from server.domain.errors import ValidationFailed

__all__ = [
    "LIKE_ESCAPE",
    "PHONE_QUERY_MIN_DIGITS",
    "RANK_EXACT",
    "RANK_NAME_PREFIX",
    "RANK_WORDS",
    "SEARCH_TEXT_MAX_LENGTH",
    "CustomerSearchFields",
    "SearchQuery",
    "checked_search_text",
    "customer_search_document",
    "customer_search_documents",
    "customer_search_rank",
    "fold",
    "like_contains",
    "like_prefix",
    "like_suffix",
    "looks_like_phone",
    "parse_search",
    "product_search_document",
    "search_word_forms",
    "split_words",
]

# Longer than any name, number or address a person types; bounded because a database
# refuses (SQLite) or crawls through (PostgreSQL) very long LIKE patterns.
SEARCH_TEXT_MAX_LENGTH = 200
# Fewer digits than this is a fragment of many numbers (and of postal codes), not a phone.
PHONE_QUERY_MIN_DIGITS = 6
LIKE_ESCAPE = "\\"

RANK_EXACT = 0
RANK_NAME_PREFIX = 1
RANK_WORDS = 2

# Spelled out rather than `\\s`, whose meaning differs between Python and JavaScript.
_SPACE = " \t\n\r\f\v\u00a0"
_SPACES = re.compile(f"[{_SPACE}]+")
_PHONE_QUERY = re.compile(f"^\\+?[0-9().\\-/{_SPACE}]+$")
_COMBINING_ACCENTS = re.compile("[\u0300-\u036f]")


def checked_search_text(q: str) -> str:
    """The search text as typed, refused when longer than a search may be."""
    if len(q) > SEARCH_TEXT_MAX_LENGTH:
        raise ValidationFailed(
            f"A search has at most {SEARCH_TEXT_MAX_LENGTH} characters.",
            code="search_too_long",
            details={"field": "q", "max_length": SEARCH_TEXT_MAX_LENGTH},
        )
    return q


def fold(text: str | None) -> str:
    """A text as searches compare it: 'Müller' -> 'muller'. Accents go (decomposed, their
    marks dropped, composed again so that scripts like Hangul keep their letters)."""
    decomposed = unicodedata.normalize("NFD", text or "")
    return unicodedata.normalize("NFC", _COMBINING_ACCENTS.sub("", decomposed)).lower()


def split_words(text: str) -> list[str]:
    return [word for word in _SPACES.split(text) if word]


def looks_like_phone(q: str) -> bool:
    """Only what phone numbers are written with, and enough digits to be one:
    '+1 (206) 555-0100' and '555 0100 ' do; '7-Eleven', 'zzz 5' and '98101' do not."""
    text = q.strip(_SPACE)
    if not _PHONE_QUERY.match(text):
        return False
    return sum(ch.isdigit() for ch in text) >= PHONE_QUERY_MIN_DIGITS


class SearchQuery(msgspec.Struct, frozen=True):
    text: str  # the whole query, folded, words separated by one space
    words: tuple[str, ...]  # folded words, each of which must match
    phone: str  # the query as a phone number when it looks like one, else ""
    tax_id: str  # the query as a tax id, for exact matches


def parse_search(q: str) -> SearchQuery:
    words = tuple(split_words(fold(q)))
    return SearchQuery(
        text=" ".join(words),
        words=words,
        phone=normalize_phone(q.strip(_SPACE)) if looks_like_phone(q) else "",
        tax_id=normalize_tax_id(q),
    )


def _escaped(text: str) -> str:
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def like_contains(text: str) -> str:
    """A LIKE pattern (escape character `LIKE_ESCAPE`) that finds `text` itself anywhere:
    '%' and '_' typed by a user match those characters, not anything."""
    return f"%{_escaped(text)}%"


def like_prefix(text: str) -> str:
    return f"{_escaped(text)}%"


def like_suffix(text: str) -> str:
    return f"%{_escaped(text)}"


class CustomerSearchFields(msgspec.Struct, frozen=True):
    """What a customer search looks at."""

    legal_name: str
    trading_name: str = ""
    number: str = ""
    tax_id: str = ""
    cities: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    contact_names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


def _word_matches(word: str, fields: CustomerSearchFields, texts: Iterable[str]) -> bool:
    tax_word = normalize_tax_id(word)
    if tax_word and tax_word in normalize_tax_id(fields.tax_id):
        return True
    return any(word in text for text in texts)


def customer_search_rank(fields: CustomerSearchFields, query: SearchQuery) -> int | None:
    """The customer's rank for the query (lower first), or None when it does not match."""
    if not query.words:
        return RANK_WORDS
    phones = [normalize_phone(p) for p in fields.phones]
    digits = query.phone.lstrip("+")
    if (
        fold(fields.number) == query.text
        or (query.tax_id and normalize_tax_id(fields.tax_id) == query.tax_id)
        or (query.phone and any(p == query.phone or p.endswith(digits) for p in phones if p))
    ):
        return RANK_EXACT
    names = [fold(fields.legal_name), fold(fields.trading_name)]
    if any(name.startswith(query.text) for name in names if name):
        return RANK_NAME_PREFIX
    texts = [
        *names,
        fold(fields.number),
        *map(fold, fields.cities),
        *map(fold, fields.postal_codes),
        *map(fold, fields.contact_names),
        *map(fold, fields.emails),
    ]
    if all(_word_matches(word, fields, texts) for word in query.words):
        return RANK_WORDS
    if query.phone and any(digits in p for p in phones if p):
        return RANK_WORDS
    return None


def customer_search_document(fields: CustomerSearchFields, search_name: str = "") -> str:
    """Everything a search looks at, folded, one field per line: the text the database
    indexes for the customer (a trigram index), so that a search reads one indexed column
    instead of scanning names, addresses and contacts. A query word never holds a line
    break, so no word can match across two fields."""
    parts = [
        fold(fields.legal_name),
        fold(fields.trading_name),
        fold(fields.number),
        *map(fold, fields.cities),
        *map(fold, fields.postal_codes),
        *map(fold, fields.contact_names),
        *map(fold, fields.emails),
        search_name,
        normalize_tax_id(fields.tax_id).lower(),
    ]
    return "\n".join(part for part in parts if part)


def search_word_forms(word: str) -> tuple[str, ...]:
    """The forms of one query word that may appear in a search document: folded, as a
    company name compares (`normalize_name`) and as a tax id is stored."""
    forms = {fold(word), normalize_name(word), normalize_tax_id(word).lower()}
    return tuple(sorted(form for form in forms if form))


def customer_search_documents(
    customers: Iterable[tuple[str, str, str, str, str, str]],
    addresses: Iterable[tuple[str, str, str]],
    contacts: Iterable[tuple[str, str, str]],
) -> dict[str, str]:
    """The search documents of many customers from plain rows: customers as (id, legal
    name, trading name, number, tax id, search name), addresses as (customer id, city,
    postal code), contacts as (customer id, name, e-mail)."""
    places: dict[str, list[tuple[str, str]]] = {}
    for customer_id, city, postal_code in addresses:
        places.setdefault(customer_id, []).append((city or "", postal_code or ""))
    people: dict[str, list[tuple[str, str]]] = {}
    for customer_id, name, email in contacts:
        people.setdefault(customer_id, []).append((name or "", email or ""))
    documents = {}
    for customer_id, legal, trading, number, tax_id, search_name in customers:
        where, who = places.get(customer_id, []), people.get(customer_id, [])
        fields = CustomerSearchFields(
            legal_name=legal,
            trading_name=trading or "",
            number=number or "",
            tax_id=tax_id or "",
            cities=tuple(city for city, _ in where),
            postal_codes=tuple(code for _, code in where),
            contact_names=tuple(name for name, _ in who),
            emails=tuple(email for _, email in who),
        )
        documents[customer_id] = customer_search_document(fields, search_name or "")
    return documents


def product_search_document(name: str, sku: str, description: str) -> str:
    """What a product search looks at, folded, one field per line (see
    `customer_search_document`)."""
    return "\n".join(part for part in map(fold, (name, sku, description or "")) if part)
