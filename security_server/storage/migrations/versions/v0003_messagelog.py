"""Message log: signed messages with their signatures, and the batch timestamps covering them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

CODE = 255
NAME = 1024
KEY = 1100

# 64-bit ids on PostgreSQL; INTEGER on SQLite so the id is the rowid alias.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "messagelog_timestamps",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("token", sa.LargeBinary, nullable=False),
        sa.Column("hash_chain_result", sa.LargeBinary, nullable=True),
        sa.Column("record_count", sa.Integer, nullable=False),
        _at("created_at"),
    )
    op.create_table(
        "messagelog_records",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("query_id", sa.String(NAME), nullable=False),
        sa.Column("x_request_id", sa.String(NAME), nullable=True),
        sa.Column("client_key", sa.String(KEY), nullable=False),
        sa.Column("client_instance", sa.String(CODE), nullable=False),
        sa.Column("client_member_class", sa.String(CODE), nullable=False),
        sa.Column("client_member_code", sa.String(CODE), nullable=False),
        sa.Column("client_subsystem_code", sa.String(CODE), nullable=True),
        sa.Column("service_instance", sa.String(CODE), nullable=False),
        sa.Column("service_member_class", sa.String(CODE), nullable=False),
        sa.Column("service_member_code", sa.String(CODE), nullable=False),
        sa.Column("service_subsystem_code", sa.String(CODE), nullable=True),
        sa.Column("service_code", sa.String(CODE), nullable=False),
        sa.Column("service_version", sa.String(CODE), nullable=True),
        sa.Column("owner_key", sa.String(KEY), nullable=False),
        sa.Column("owner_instance", sa.String(CODE), nullable=False),
        sa.Column("owner_member_class", sa.String(CODE), nullable=False),
        sa.Column("owner_member_code", sa.String(CODE), nullable=False),
        sa.Column("owner_subsystem_code", sa.String(CODE), nullable=True),
        sa.Column("response", sa.Boolean, nullable=False),
        sa.Column("rest", sa.Boolean, nullable=False),
        sa.Column("message", sa.LargeBinary, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=True),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("signature_hash", sa.LargeBinary(64), nullable=False),
        sa.Column("hash_chain_result", sa.LargeBinary, nullable=True),
        sa.Column("hash_chain", sa.LargeBinary, nullable=True),
        _at("created_at"),
        sa.Column(
            "timestamp_id",
            _BIG_ID,
            sa.ForeignKey(
                "messagelog_timestamps.id",
                ondelete="RESTRICT",
                name="fk_messagelog_records_timestamp_id_messagelog_timestamps",
            ),
            nullable=True,
        ),
        sa.Column("timestamp_hash_chain", sa.LargeBinary, nullable=True),
        sa.Column("archived", sa.Boolean, nullable=False),
    )
    op.create_index("ix_messagelog_records_query", "messagelog_records", ["query_id", "owner_key"])
    op.create_index(
        "ix_messagelog_records_timestamp_id", "messagelog_records", ["timestamp_id", "id"]
    )
    op.create_index("ix_messagelog_records_archived", "messagelog_records", ["archived", "id"])


def downgrade() -> None:
    op.drop_table("messagelog_records")
    op.drop_table("messagelog_timestamps")
