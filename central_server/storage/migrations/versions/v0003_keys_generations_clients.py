"""Configuration signing keys on tokens, stored generations, leases, disabled clients.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

``configuration_signing_keys`` was created by 0001 but never written, so it is recreated with
its token, key state and activation time rather than altered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

CODE = 255


def upgrade() -> None:
    with op.batch_alter_table("server_clients") as batch:
        batch.add_column(sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()))
    op.drop_table("configuration_signing_keys")
    op.create_table(
        "configuration_signing_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("token_id", sa.String(CODE), nullable=False),
        sa.Column("key_id", sa.String(CODE), nullable=False, unique=True),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source IN ('internal', 'external')", name="known_source"),
        sa.CheckConstraint("state IN ('announced', 'active', 'retired')", name="known_state"),
    )
    op.create_index(
        "uq_configuration_signing_keys_active",
        "configuration_signing_keys",
        ["source"],
        unique=True,
        sqlite_where=sa.text("state = 'active'"),
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_table(
        "configuration_generations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("node", sa.String(CODE), nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(CODE), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("configuration_generations")
    op.drop_table("configuration_signing_keys")
    op.create_table(
        "configuration_signing_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(CODE), nullable=False, unique=True),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('internal', 'external')", name="known_source"),
    )
    with op.batch_alter_table("server_clients") as batch:
        batch.drop_column("enabled")
