"""reference data version token and its triggers; stock looked up by product

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The tables of server.db.models.reference.REFERENCE_TABLES, spelled out: a migration
# must not change when the model module does.
_TABLES = ("territories", "territory_rules", "territory_assignments", "tax_rates", "price_lists")
_OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "reference_data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_data_version")),
    )
    op.execute("INSERT INTO reference_data_version (id, token) VALUES (1, 'initial')")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_levels_product_id"), ["product_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION fieldsales_reference_changed() RETURNS trigger AS $$ BEGIN "
            "UPDATE reference_data_version SET token = md5(random()::text || clock_timestamp()::text) "
            "WHERE id = 1; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in _TABLES:
            # Once per statement: a bulk import of a price list changes the token once.
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
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_levels_product_id"))
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER {table}_reference_changed ON {table}")
        op.execute("DROP FUNCTION fieldsales_reference_changed()")
    else:
        for table in _TABLES:
            for operation in _OPERATIONS:
                op.execute(f"DROP TRIGGER {table}_reference_{operation.lower()}")
    op.drop_table("reference_data_version")
