"""Server configuration: identity, clients, IS certificates, service descriptions, services,
endpoints, local groups, access rights, audit log.

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
KEY = 1100


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), nullable=False)


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "server_identity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("instance", sa.String(CODE), nullable=False),
        sa.Column("member_class", sa.String(CODE), nullable=False),
        sa.Column("member_code", sa.String(CODE), nullable=False),
        sa.Column("server_code", sa.String(CODE), nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    op.create_table(
        "clients",
        _id(),
        sa.Column("client_key", sa.String(KEY), nullable=False, unique=True),
        sa.Column("instance", sa.String(CODE), nullable=False),
        sa.Column("member_class", sa.String(CODE), nullable=False),
        sa.Column("member_code", sa.String(CODE), nullable=False),
        sa.Column("subsystem_code", sa.String(CODE), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("connection_type", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "state IN ('saved', 'registration_in_progress', 'registered', 'deletion_in_progress')",
            name="known_state",
        ),
        sa.CheckConstraint(
            "connection_type IN ('HTTP', 'HTTPS_NO_AUTH', 'HTTPS')", name="known_connection_type"
        ),
    )
    op.create_table(
        "is_certs",
        _id(),
        _fk("client_id", "clients.id"),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("cert_hash", sa.LargeBinary(32), nullable=False),
        sa.UniqueConstraint("client_id", "cert_hash"),
    )
    op.create_table(
        "service_descriptions",
        _id(),
        _fk("client_id", "clients.id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(NAME), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("disabled_notice", sa.Text, nullable=True),
        _at("refreshed_at"),
        sa.UniqueConstraint("client_id", "url"),
        sa.CheckConstraint("kind IN ('WSDL', 'OPENAPI3', 'REST')", name="known_kind"),
    )
    op.create_table(
        "services",
        _id(),
        _fk("description_id", "service_descriptions.id"),
        _fk("client_id", "clients.id"),
        sa.Column("service_code", sa.String(CODE), nullable=False),
        sa.Column("service_version", sa.String(CODE), nullable=False),
        sa.Column("title", sa.String(NAME), nullable=True),
        sa.Column("url", sa.String(NAME), nullable=False),
        sa.Column("timeout", sa.Integer, nullable=False),
        sa.Column("tls_verify", sa.Boolean, nullable=False),
        sa.UniqueConstraint("client_id", "service_code", "service_version"),
    )
    op.create_table(
        "endpoints",
        _id(),
        _fk("service_id", "services.id"),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.String(NAME), nullable=False),
        sa.Column("generated", sa.Boolean, nullable=False),
        sa.UniqueConstraint("service_id", "method", "path"),
    )
    op.create_table(
        "local_groups",
        _id(),
        _fk("client_id", "clients.id"),
        sa.Column("group_code", sa.String(CODE), nullable=False),
        sa.Column("description", sa.String(NAME), nullable=False),
        _at("updated_at"),
        sa.UniqueConstraint("client_id", "group_code"),
    )
    op.create_table(
        "local_group_members",
        _id(),
        _fk("group_id", "local_groups.id"),
        sa.Column("member_key", sa.String(KEY), nullable=False),
        _at("added_at"),
        sa.UniqueConstraint("group_id", "member_key"),
    )
    op.create_table(
        "access_rights",
        _id(),
        _fk("endpoint_id", "endpoints.id"),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_key", sa.String(KEY), nullable=False),
        _at("granted_at"),
        sa.UniqueConstraint("endpoint_id", "subject_type", "subject_key"),
        sa.CheckConstraint(
            "subject_type IN ('MEMBER', 'SUBSYSTEM', 'GLOBALGROUP', 'LOCALGROUP')",
            name="known_subject",
        ),
    )
    op.create_table(
        "audit_log",
        _id(),
        _at("at"),
        sa.Column("actor", sa.String(CODE), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(NAME), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "access_rights",
        "local_group_members",
        "local_groups",
        "endpoints",
        "services",
        "service_descriptions",
        "is_certs",
        "clients",
        "server_identity",
    ):
        op.drop_table(table)
