"""Finding customers by the words of a search through their indexed search document.

Each query word must appear in the document in one of its forms (`search_word_forms`). On
SQLite the words go to the FTS5 trigram index as one MATCH expression; a word with a form
shorter than a trigram cannot be looked up there and is compared with LIKE instead. On
PostgreSQL LIKE '%form%' on the document is answered by its GIN trigram index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, column, or_, select, table

from server.db.models import Customer
from server.domain.search import LIKE_ESCAPE, like_contains, search_word_forms

__all__ = ["document_matches"]

_TRIGRAM = 3
# The SQLite index (migration 0016): FTS rows keyed by a stable integer, mapped to customers.
_fts = table("customer_search", column("rowid"), column("customer_search"))
_rows = table("customer_search_rows", column("rowid"), column("customer_id"))


def document_matches(words: Sequence[str], dialect: str) -> Any:
    """The condition that every word is found in the customer's search document."""
    conditions: list[Any] = []
    indexed: list[str] = []
    for word in words:
        forms = search_word_forms(word)
        if dialect == "sqlite" and all(len(form) >= _TRIGRAM for form in forms):
            indexed.append("(" + " OR ".join(_phrase(form) for form in forms) + ")")
        else:
            conditions.append(
                or_(
                    *(
                        Customer.search_document.like(like_contains(form), escape=LIKE_ESCAPE)
                        for form in forms
                    )
                )
            )
    if indexed:
        found = select(_fts.c.rowid).where(
            _fts.c.customer_search.op("MATCH")(" AND ".join(indexed))
        )
        conditions.append(
            Customer.id.in_(select(_rows.c.customer_id).where(_rows.c.rowid.in_(found)))
        )
    return and_(*conditions)


def _phrase(form: str) -> str:
    """A form as an FTS5 string: quoted, so that no character of it is query syntax."""
    return '"' + form.replace('"', '""') + '"'
