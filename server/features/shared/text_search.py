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

from sqlalchemy import and_, bindparam, column, or_, select, table

from server.domain.search import LIKE_ESCAPE, like_contains

__all__ = [
    "DocumentShape",
    "bound_document_matches",
    "document_shape",
    "document_values",
]

_TRIGRAM = 3

# Per query word: how many of its forms are compared with LIKE, or None for a word looked
# up in the SQLite FTS5 index. A statement built for one shape serves every search of it.
DocumentShape = tuple[int | None, ...]


def document_shape(words: Sequence[Sequence[str]], dialect: str) -> DocumentShape:
    """The shape of a search for `words` (each given as its forms)."""
    return tuple(
        None if dialect == "sqlite" and all(len(f) >= _TRIGRAM for f in forms) else len(forms)
        for forms in words
    )


def bound_document_matches(
    document: Any, key: Any, index: str, shape: DocumentShape, *, prefix: str = "doc"
) -> Any:
    """The condition that every word is found in the `document` column, with the words as
    parameters (`document_values`); `key` is the row's id and `index` the name of its
    SQLite index."""
    conditions: list[Any] = []
    for i, forms in enumerate(shape):
        if forms is not None:
            patterns = (
                document.like(bindparam(f"{prefix}{i}_{j}"), escape=LIKE_ESCAPE)
                for j in range(forms)
            )
            conditions.append(or_(*patterns))
    if None in shape:
        fts = table(index, column("rowid"), column(index))
        rows = table(f"{index}_rows", column("rowid"), column("entity_id"))
        found = select(fts.c.rowid).where(fts.c[index].op("MATCH")(bindparam(f"{prefix}_match")))
        conditions.append(key.in_(select(rows.c.entity_id).where(rows.c.rowid.in_(found))))
    return and_(*conditions)


def document_values(
    words: Sequence[Sequence[str]], shape: DocumentShape, *, prefix: str = "doc"
) -> dict[str, str]:
    """The parameters of `bound_document_matches` for `words` of that shape: LIKE patterns,
    and the indexed words as one FTS5 MATCH expression."""
    values: dict[str, str] = {}
    indexed: list[str] = []
    for i, (forms, kind) in enumerate(zip(words, shape, strict=True)):
        if kind is None:
            indexed.append("(" + " OR ".join(_phrase(form) for form in forms) + ")")
        else:
            values.update({f"{prefix}{i}_{j}": like_contains(f) for j, f in enumerate(forms)})
    if indexed:
        values[f"{prefix}_match"] = " AND ".join(indexed)
    return values


def _phrase(form: str) -> str:
    """A form as an FTS5 string: quoted, so that no character of it is query syntax."""
    return '"' + form.replace('"', '""') + '"'
