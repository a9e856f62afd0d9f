"""The security server's server-configuration tables (SQLAlchemy Core), same on both databases.

Revision 0001 creates exactly these; a test compares the migrated schema with this metadata, so
a change here needs a new revision. Identifiers are kept as their parts plus a ``*_key`` column
holding the ``:`` text form, which is unique and unambiguous because ``:`` can never be part of
an identifier; NULL subsystem codes would not collide in a unique constraint, the key does.
Certificates are DER; times are UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

CODE = 255
NAME = 1024
KEY = 1100  # four codes and three separators


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str) -> sa.Column[int]:
    # Children go with their parent: a deleted client takes its descriptions, services,
    # endpoints, groups and access rights along.
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), nullable=False)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


# The server's own identity: at most one row (id is always 1).
server_identity = sa.Table(
    "server_identity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("instance", sa.String(CODE), nullable=False),
    sa.Column("member_class", sa.String(CODE), nullable=False),
    sa.Column("member_code", sa.String(CODE), nullable=False),
    sa.Column("server_code", sa.String(CODE), nullable=False),
    sa.CheckConstraint("id = 1", name="single_row"),
)

clients = sa.Table(
    "clients",
    metadata,
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

# TLS certificates of a client's information systems (connection type HTTPS).
is_certs = sa.Table(
    "is_certs",
    metadata,
    _id(),
    _fk("client_id", "clients.id"),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    sa.Column("cert_hash", sa.LargeBinary(32), nullable=False),
    sa.UniqueConstraint("client_id", "cert_hash"),
)

service_descriptions = sa.Table(
    "service_descriptions",
    metadata,
    _id(),
    _fk("client_id", "clients.id"),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("url", sa.String(NAME), nullable=False),
    # The document as last fetched (WSDL or OpenAPI), served by getWsdl / getOpenAPI.
    sa.Column("content", sa.LargeBinary, nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("disabled_notice", sa.Text, nullable=True),
    _at("refreshed_at"),
    sa.UniqueConstraint("client_id", "url"),
    sa.CheckConstraint("kind IN ('WSDL', 'OPENAPI3', 'REST')", name="known_kind"),
)

services = sa.Table(
    "services",
    metadata,
    _id(),
    _fk("description_id", "service_descriptions.id"),
    _fk("client_id", "clients.id"),
    sa.Column("service_code", sa.String(CODE), nullable=False),
    # '' when the service has no version: NULLs would not collide in the unique constraint.
    sa.Column("service_version", sa.String(CODE), nullable=False),
    sa.Column("title", sa.String(NAME), nullable=True),
    sa.Column("url", sa.String(NAME), nullable=False),
    sa.Column("timeout", sa.Integer, nullable=False),
    sa.Column("tls_verify", sa.Boolean, nullable=False),
    sa.UniqueConstraint("client_id", "service_code", "service_version"),
)

# Every service has one base endpoint (method '*', path '**') that SOAP access rights and
# whole-service REST rights refer to; REST services add endpoints from OpenAPI or by hand.
endpoints = sa.Table(
    "endpoints",
    metadata,
    _id(),
    _fk("service_id", "services.id"),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("path", sa.String(NAME), nullable=False),
    sa.Column("generated", sa.Boolean, nullable=False),
    sa.UniqueConstraint("service_id", "method", "path"),
)

local_groups = sa.Table(
    "local_groups",
    metadata,
    _id(),
    _fk("client_id", "clients.id"),
    sa.Column("group_code", sa.String(CODE), nullable=False),
    sa.Column("description", sa.String(NAME), nullable=False),
    _at("updated_at"),
    sa.UniqueConstraint("client_id", "group_code"),
)

local_group_members = sa.Table(
    "local_group_members",
    metadata,
    _id(),
    _fk("group_id", "local_groups.id"),
    sa.Column("member_key", sa.String(KEY), nullable=False),
    _at("added_at"),
    sa.UniqueConstraint("group_id", "member_key"),
)

# subject_type: MEMBER / SUBSYSTEM (subject_key = the client's ':' form), GLOBALGROUP
# ('INSTANCE:CODE'), LOCALGROUP (the group code, of the service's own client).
access_rights = sa.Table(
    "access_rights",
    metadata,
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

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    _at("at"),
    sa.Column("actor", sa.String(CODE), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(NAME), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
)
