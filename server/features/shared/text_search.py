"""Finding rows by the words of a search through their indexed search document (migration
0016: customers and products).

Each query word must appear in the document in one of its forms. On SQLite the words go to
the index's FTS5 trigram table as one MATCH expression; a word with a form shorter than a
trigram cannot be looked up there and is compared with LIKE instead. On PostgreSQL
LIKE '%form%' on the document is answered by its GIN trigram index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, column, or_, select, table

from server.domain.search import LIKE_ESCAPE, like_contains

__all__ = ["document_matches"]

_TRIGRAM = 3


def document_matches(
    document: Any, key: Any, index: str, words: Sequence[Sequence[str]], dialect: str
) -> Any:
    """The condition that every word (given as its forms) is found in the `document`
    column; `key` is the row's id and `index` the name of its SQLite index."""
    conditions: list[Any] = []
    indexed: list[str] = []
    for forms in words:
        if dialect == "sqlite" and all(len(form) >= _TRIGRAM for form in forms):
            indexed.append("(" + " OR ".join(_phrase(form) for form in forms) + ")")
        else:
            patterns = (document.like(like_contains(form), escape=LIKE_ESCAPE) for form in forms)
            conditions.append(or_(*patterns))
    if indexed:
        fts = table(index, column("rowid"), column(index))
        rows = table(f"{index}_rows", column("rowid"), column("entity_id"))
        found = select(fts.c.rowid).where(fts.c[index].op("MATCH")(" AND ".join(indexed)))
        conditions.append(key.in_(select(rows.c.entity_id).where(rows.c.rowid.in_(found))))
    return and_(*conditions)


def _phrase(form: str) -> str:
    """A form as an FTS5 string: quoted, so that no character of it is query syntax."""
    return '"' + form.replace('"', '""') + '"'
