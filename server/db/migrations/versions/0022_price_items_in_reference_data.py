"""reference data: price list items and their breaks change the token too

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:00:00

Every listing and every order prices products from price list items. The process keeps
the items it has read with its copy of the reference data (server/features/shared/
reference_data.py), so a write to the items or their breaks, whoever makes it, must give
the copy a new token, as writes to the list headers already do (0004).
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Spelled out: a migration must not change when server.db.models.reference does.
_TABLES = ("price_list_items", "price_breaks")
_OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The function of 0004: a new random token, once per statement.
        for table in _TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_reference_changed AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION fieldsales_reference_changed()"
            )
        return
    for table in _TABLES:
        for operation in _OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {table}_reference_{operation.lower()} AFTER {operation} ON {table} "
                "BEGIN UPDATE reference_data_version SET token = lower(hex(randomblob(16))) "
                "WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER {table}_reference_changed ON {table}")
        return
    for table in _TABLES:
        for operation in _OPERATIONS:
            op.execute(f"DROP TRIGGER {table}_reference_{operation.lower()}")
