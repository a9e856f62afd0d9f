"""Initial schema: registry, trust services, requests, signing keys, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

CODE = 255
NAME = 1024


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = False, cascade: bool = False) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=nullable,
    )


def _created(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _member_only_index(name: str, table: str, owner: str) -> None:
    # NULL subsystem ids never collide in a unique constraint; this covers member rows.
    where = sa.text("subsystem_id IS NULL")
    op.create_index(
        name, table, [owner, "member_id"], unique=True, sqlite_where=where, postgresql_where=where
    )


def upgrade() -> None:
    op.create_table(
        "system_parameters",
        sa.Column("name", sa.String(CODE), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "member_classes",
        _id(),
        sa.Column("code", sa.String(CODE), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "members",
        _id(),
        _fk("member_class_id", "member_classes.id"),
        sa.Column("member_code", sa.String(CODE), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.UniqueConstraint("member_class_id", "member_code"),
    )
    op.create_table(
        "subsystems",
        _id(),
        _fk("member_id", "members.id", cascade=True),
        sa.Column("subsystem_code", sa.String(CODE), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=True),
        sa.UniqueConstraint("member_id", "subsystem_code"),
    )
    op.create_table(
        "security_servers",
        _id(),
        _fk("owner_id", "members.id"),
        sa.Column("server_code", sa.String(CODE), nullable=False),
        sa.Column("address", sa.String(CODE), nullable=True),
        sa.Column("in_maintenance", sa.Boolean, nullable=False),
        sa.Column("maintenance_message", sa.Text, nullable=True),
        sa.UniqueConstraint("owner_id", "server_code"),
    )
    op.create_table(
        "auth_certs",
        _id(),
        _fk("server_id", "security_servers.id", cascade=True),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("cert_hash", sa.LargeBinary(64), nullable=False, unique=True),
    )
    op.create_table(
        "server_clients",
        _id(),
        _fk("server_id", "security_servers.id", cascade=True),
        _fk("member_id", "members.id"),
        _fk("subsystem_id", "subsystems.id", nullable=True),
        sa.UniqueConstraint("server_id", "member_id", "subsystem_id"),
    )
    _member_only_index("uq_server_clients_member_only", "server_clients", "server_id")
    op.create_table(
        "global_groups",
        _id(),
        sa.Column("group_code", sa.String(CODE), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "global_group_members",
        _id(),
        _fk("group_id", "global_groups.id", cascade=True),
        _fk("member_id", "members.id"),
        _fk("subsystem_id", "subsystems.id", nullable=True),
        sa.UniqueConstraint("group_id", "member_id", "subsystem_id"),
    )
    _member_only_index("uq_global_group_members_member_only", "global_group_members", "group_id")
    op.create_table(
        "approved_cas",
        _id(),
        sa.Column("name", sa.String(CODE), nullable=False, unique=True),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("authentication_only", sa.Boolean, nullable=False),
        sa.Column("certificate_profile_info", sa.String(CODE), nullable=False),
        sa.Column("csr_format", sa.String(16), nullable=True),
    )
    op.create_table(
        "ca_intermediates",
        _id(),
        _fk("ca_id", "approved_cas.id", cascade=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ocsp_responders",
        _id(),
        _fk("ca_id", "approved_cas.id", nullable=True, cascade=True),
        _fk("intermediate_id", "ca_intermediates.id", nullable=True, cascade=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("url", sa.String(NAME), nullable=False),
        sa.Column("cert_der", sa.LargeBinary, nullable=True),
        sa.CheckConstraint("(ca_id IS NULL) <> (intermediate_id IS NULL)", name="one_issuer"),
    )
    op.create_table(
        "approved_tsas",
        _id(),
        sa.Column("name", sa.String(CODE), nullable=False, unique=True),
        sa.Column("url", sa.String(NAME), nullable=False),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
    )
    op.create_table(
        "management_requests",
        _id(),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        _created("created_at"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(CODE), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'revoked')", name="known_state"
        ),
    )
    op.create_table(
        "configuration_signing_keys",
        _id(),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(CODE), nullable=False, unique=True),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        _created("created_at"),
        sa.CheckConstraint("source IN ('internal', 'external')", name="known_source"),
    )
    op.create_table(
        "audit_log",
        _id(),
        _created("at"),
        sa.Column("actor", sa.String(CODE), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(NAME), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "configuration_signing_keys",
        "management_requests",
        "approved_tsas",
        "ocsp_responders",
        "ca_intermediates",
        "approved_cas",
        "global_group_members",
        "global_groups",
        "server_clients",
        "auth_certs",
        "security_servers",
        "subsystems",
        "members",
        "member_classes",
        "system_parameters",
    ):
        op.drop_table(table)
