"""sync_changes keyed by an integer the database assigns

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:30:00

Every write transaction appends to the change feed, and nothing reads it by its key: the
feed is read in (seq, id) order. A text UUID key was one more b-tree written for every
change, and an id made for each; an integer key is SQLite's rowid itself (no index of its
own) and a sequence on PostgreSQL. Existing rows keep their order within a seq.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NEXT = "sync_changes_next"
_COLUMNS = "seq, entity_type, entity_id, territory_id, owner_id, at"


def _data_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("territory_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("owner_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("at", server.db.types.UTCDateTime(timezone=True), nullable=False),
    ]


def _swap(id_column: sa.Column[Any], copy_select: str) -> None:
    """Build the table anew beside the old one, copy, drop the old one, take its name."""
    postgres = op.get_bind().dialect.name == "postgresql"
    # PostgreSQL's constraint names are unique among the old table's too: renamed below.
    pk_name = "pk_sync_changes_next" if postgres else "pk_sync_changes"
    op.create_table(_NEXT, id_column, *_data_columns(), sa.PrimaryKeyConstraint("id", name=pk_name))
    op.execute(copy_select)
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_changes_territory_id"))
        batch_op.drop_index(batch_op.f("ix_sync_changes_seq"))
    op.drop_table("sync_changes")
    op.rename_table(_NEXT, "sync_changes")
    if postgres:
        op.execute(
            "ALTER TABLE sync_changes RENAME CONSTRAINT pk_sync_changes_next TO pk_sync_changes"
        )
        op.execute(
            "ALTER SEQUENCE IF EXISTS sync_changes_next_id_seq RENAME TO sync_changes_id_seq"
        )
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_changes_seq"), ["seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_changes_territory_id"), ["territory_id"], unique=False
        )


def upgrade() -> None:
    _swap(
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        f"INSERT INTO {_NEXT} ({_COLUMNS}) SELECT {_COLUMNS} FROM sync_changes ORDER BY seq, id",
    )


def downgrade() -> None:
    _swap(
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        f"INSERT INTO {_NEXT} (id, {_COLUMNS}) SELECT CAST(id AS VARCHAR(36)), {_COLUMNS} FROM sync_changes",
    )
