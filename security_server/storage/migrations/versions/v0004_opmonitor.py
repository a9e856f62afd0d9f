"""Operational monitoring records (pr-opmon Annex B), one row per exchange and side.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TEXT = 255
FAULT = 2048

# 64-bit ids on PostgreSQL; INTEGER on SQLite so the id is the rowid alias.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(name: str, length: int = TEXT) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=True)


def _long(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=True)


def upgrade() -> None:
    op.create_table(
        "op_records",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("monitoring_data_ts", sa.BigInteger, nullable=False),
        sa.Column("security_server_type", sa.String(16), nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
        sa.Column("request_in_ts", sa.BigInteger, nullable=False),
        _text("security_server_internal_ip"),
        _long("request_out_ts"),
        _long("response_in_ts"),
        _long("response_out_ts"),
        _text("client_xroad_instance"),
        _text("client_member_class"),
        _text("client_member_code"),
        _text("client_subsystem_code"),
        _text("service_xroad_instance"),
        _text("service_member_class"),
        _text("service_member_code"),
        _text("service_subsystem_code"),
        _text("service_code"),
        _text("service_version"),
        _text("rest_method"),
        _text("rest_path"),
        _text("represented_party_class"),
        _text("represented_party_code"),
        _text("message_id"),
        _text("message_user_id"),
        _text("message_issue"),
        _text("message_protocol_version"),
        _text("client_security_server_address"),
        _text("service_security_server_address"),
        _long("request_size"),
        _long("request_mime_size"),
        sa.Column("request_attachment_count", sa.Integer, nullable=True),
        _long("response_size"),
        _long("response_mime_size"),
        sa.Column("response_attachment_count", sa.Integer, nullable=True),
        _text("service_type"),
        _text("fault_code"),
        _text("fault_string", FAULT),
        sa.Column("status_code", sa.Integer, nullable=True),
        _text("xroad_version"),
        _text("x_request_id"),
        sa.CheckConstraint(
            "security_server_type IN ('Client', 'Producer')", name="known_server_type"
        ),
    )
    op.create_index("ix_op_records_ts", "op_records", ["monitoring_data_ts", "id"])


def downgrade() -> None:
    op.drop_index("ix_op_records_ts", table_name="op_records")
    op.drop_table("op_records")
