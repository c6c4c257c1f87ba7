"""customer search index: one folded search document per customer, indexed by trigrams

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06 06:05:00

A search used to scan names, addresses and contacts with LIKE '%word%' through correlated
subqueries: every search read every customer. The document holds those fields folded, one
per line, and is indexed for substring search: on SQLite by an FTS5 table with the trigram
tokenizer, kept in step with the column by triggers; on PostgreSQL by a GIN trigram index
(pg_trgm), which LIKE '%word%' uses directly. Without the pg_trgm extension (a role that may
not create it) the column is still written and searched, without the index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.domain.search import customer_search_documents

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

# The FTS table's rows are keyed by an INTEGER PRIMARY KEY of a table of their own: the
# customers' implicit rowids may change at a VACUUM, which would point the index at the
# wrong customers.
SQLITE_INDEX = [
    """CREATE TABLE customer_search_rows (
         rowid INTEGER PRIMARY KEY,
         customer_id VARCHAR(36) NOT NULL UNIQUE,
         document TEXT NOT NULL
       )""",
    """CREATE VIRTUAL TABLE customer_search USING fts5(
         document, content='customer_search_rows', content_rowid='rowid', tokenize='trigram'
       )""",
    """CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
         INSERT INTO customer_search_rows(customer_id, document)
         VALUES (new.id, new.search_document);
       END""",
    """CREATE TRIGGER customer_search_update AFTER UPDATE OF search_document ON customers BEGIN
         UPDATE customer_search_rows SET document = new.search_document
         WHERE customer_id = old.id;
       END""",
    """CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
         DELETE FROM customer_search_rows WHERE customer_id = old.id;
       END""",
    """CREATE TRIGGER customer_search_rows_insert AFTER INSERT ON customer_search_rows BEGIN
         INSERT INTO customer_search(rowid, document) VALUES (new.rowid, new.document);
       END""",
    """CREATE TRIGGER customer_search_rows_update AFTER UPDATE ON customer_search_rows BEGIN
         INSERT INTO customer_search(customer_search, rowid, document)
         VALUES ('delete', old.rowid, old.document);
         INSERT INTO customer_search(rowid, document) VALUES (new.rowid, new.document);
       END""",
    """CREATE TRIGGER customer_search_rows_delete AFTER DELETE ON customer_search_rows BEGIN
         INSERT INTO customer_search(customer_search, rowid, document)
         VALUES ('delete', old.rowid, old.document);
       END""",
]


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("search_document", sa.Text(), nullable=False, server_default=""))
    _backfill()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_INDEX:
            op.execute(statement)
        op.execute(
            "INSERT INTO customer_search_rows(customer_id, document)"
            " SELECT id, search_document FROM customers"
        )
    elif bind.dialect.name == "postgresql":
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            savepoint.commit()
        except sa.exc.DBAPIError:
            savepoint.rollback()
            return
        op.execute(
            "CREATE INDEX ix_customers_search_document ON customers"
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
    if documents:
        bind.execute(
            sa.text("UPDATE customers SET search_document = :document WHERE id = :id"),
            [{"id": key, "document": value} for key, value in documents.items()],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS customer_search_{name}")
            op.execute(f"DROP TRIGGER IF EXISTS customer_search_rows_{name}")
        op.execute("DROP TABLE IF EXISTS customer_search")
        op.execute("DROP TABLE IF EXISTS customer_search_rows")
    else:
        op.execute("DROP INDEX IF EXISTS ix_customers_search_document")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("search_document")
