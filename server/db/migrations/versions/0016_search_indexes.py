"""search indexes: one folded search document per customer and per product, by trigrams

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 06:05:00

A search used to scan names, addresses and contacts with LIKE '%word%' through correlated
subqueries (products: names, SKUs and descriptions): every search read every row. The
document holds those fields folded, one per line, and is indexed for substring search: on SQLite by an FTS5 table with the trigram
tokenizer, kept in step with the column by triggers; on PostgreSQL by a GIN trigram index
(pg_trgm), which LIKE '%word%' uses directly. Without the pg_trgm extension (a role that may
not create it) the column is still written and searched, without the index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.domain.search import customer_search_documents, product_search_document

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


# Each FTS table's rows are keyed by an INTEGER PRIMARY KEY of a table of their own: the
# implicit rowids of customers and products may change at a VACUUM, which would point the
# index at the wrong rows.
def _sqlite_index(index: str, table: str) -> list[str]:
    rows = f"{index}_rows"
    return [
        f"""CREATE TABLE {rows} (
              rowid INTEGER PRIMARY KEY,
              entity_id VARCHAR(36) NOT NULL UNIQUE,
              document TEXT NOT NULL
            )""",
        f"""CREATE VIRTUAL TABLE {index} USING fts5(
              document, content='{rows}', content_rowid='rowid', tokenize='trigram'
            )""",
        f"""CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN
              INSERT INTO {rows}(entity_id, document) VALUES (new.id, new.search_document);
            END""",
        f"""CREATE TRIGGER {index}_update AFTER UPDATE OF search_document ON {table} BEGIN
              UPDATE {rows} SET document = new.search_document WHERE entity_id = old.id;
            END""",
        f"""CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN
              DELETE FROM {rows} WHERE entity_id = old.id;
            END""",
        f"""CREATE TRIGGER {rows}_insert AFTER INSERT ON {rows} BEGIN
              INSERT INTO {index}(rowid, document) VALUES (new.rowid, new.document);
            END""",
        f"""CREATE TRIGGER {rows}_update AFTER UPDATE ON {rows} BEGIN
              INSERT INTO {index}({index}, rowid, document)
              VALUES ('delete', old.rowid, old.document);
              INSERT INTO {index}(rowid, document) VALUES (new.rowid, new.document);
            END""",
        f"""CREATE TRIGGER {rows}_delete AFTER DELETE ON {rows} BEGIN
              INSERT INTO {index}({index}, rowid, document)
              VALUES ('delete', old.rowid, old.document);
            END""",
        f"INSERT INTO {rows}(entity_id, document) SELECT id, search_document FROM {table}",
    ]


INDEXES = {"customer_search": "customers", "product_search": "products"}


def upgrade() -> None:
    for table in INDEXES.values():
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("search_document", sa.Text(), nullable=False, server_default="")
            )
    _backfill()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for index, table in INDEXES.items():
            for statement in _sqlite_index(index, table):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            savepoint.commit()
        except sa.exc.DBAPIError:
            savepoint.rollback()
            return
        for table in INDEXES.values():
            op.execute(
                f"CREATE INDEX ix_{table}_search_document ON {table}"
                " USING gin (search_document gin_trgm_ops)"
            )


def _backfill() -> None:
    bind = op.get_bind()
    documents = customer_search_documents(
        bind.execute(
            sa.text(
                "SELECT id, legal_name, trading_name, number, tax_id, search_name FROM customers"
            )
        ),
        bind.execute(sa.text("SELECT customer_id, city, postal_code FROM customer_addresses")),
        bind.execute(sa.text("SELECT customer_id, name, email FROM customer_contacts")),
    )
    products = {
        product_id: product_search_document(name, sku, description)
        for product_id, name, sku, description in bind.execute(
            sa.text("SELECT id, name, sku, description FROM products")
        )
    }
    for table, found in (("customers", documents), ("products", products)):
        if found:
            bind.execute(
                sa.text(f"UPDATE {table} SET search_document = :document WHERE id = :id"),
                [{"id": key, "document": value} for key, value in found.items()],
            )


def downgrade() -> None:
    bind = op.get_bind()
    for index, table in INDEXES.items():
        if bind.dialect.name == "sqlite":
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {index}_{name}")
                op.execute(f"DROP TRIGGER IF EXISTS {index}_rows_{name}")
            op.execute(f"DROP TABLE IF EXISTS {index}")
            op.execute(f"DROP TABLE IF EXISTS {index}_rows")
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_document")
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_document")
