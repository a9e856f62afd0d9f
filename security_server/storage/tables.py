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

# Admin REST API keys (revision 0002): only the SHA-256 of a key is kept; roles are the
# security server user guide's role names, as a JSON list.
api_keys = sa.Table(
    "api_keys",
    metadata,
    _id(),
    sa.Column("name", sa.String(CODE), nullable=False, unique=True),
    sa.Column("key_hash", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("roles", sa.JSON, nullable=False),
    _at("created_at"),
    _at("revoked_at", nullable=True),
)

# Message log (revision 0003; security server architecture §2.8). Ids are 64-bit on PostgreSQL:
# at 1,000 exchanges/s a 32-bit sequence runs out within weeks. On SQLite the column stays
# INTEGER so it is the rowid alias (auto-increment). The signature digest is kept next to the
# record (the reference's ``signatureHash``) so the timestamper reads leaves, not whole messages.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

messagelog_timestamps = sa.Table(
    "messagelog_timestamps",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("token", sa.LargeBinary, nullable=False),
    # The batch hash chain result XML; NULL when one record was stamped on its own.
    sa.Column("hash_chain_result", sa.LargeBinary, nullable=True),
    sa.Column("record_count", sa.Integer, nullable=False),
    _at("created_at"),
)

messagelog_records = sa.Table(
    "messagelog_records",
    metadata,
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
        sa.ForeignKey("messagelog_timestamps.id", ondelete="RESTRICT"),
        nullable=True,
    ),
    sa.Column("timestamp_hash_chain", sa.LargeBinary, nullable=True),
    sa.Column("archived", sa.Boolean, nullable=False),
    sa.Index("ix_messagelog_records_query", "query_id", "owner_key"),
    # Unstamped records (timestamp_id IS NULL) in id order: the timestamper's paging query.
    sa.Index("ix_messagelog_records_timestamp_id", "timestamp_id", "id"),
    sa.Index("ix_messagelog_records_archived", "archived", "id"),
)

# Operational monitoring records (revision 0004; pr-opmon Annex B, one row per exchange and
# side). String lengths are Annex B's maxLength (the store clips longer values). Answers page
# by (monitoring_data_ts, id), hence the index; records older than the retention are deleted
# by monitoring_data_ts too.
OPMON_TEXT = 255
OPMON_FAULT = 2048


def _opmon_text(name: str, length: int = OPMON_TEXT) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=True)


def _opmon_long(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=True)


op_records = sa.Table(
    "op_records",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("monitoring_data_ts", sa.BigInteger, nullable=False),
    sa.Column("security_server_type", sa.String(16), nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Column("request_in_ts", sa.BigInteger, nullable=False),
    _opmon_text("security_server_internal_ip"),
    _opmon_long("request_out_ts"),
    _opmon_long("response_in_ts"),
    _opmon_long("response_out_ts"),
    *(
        _opmon_text(f"{side}_{part}")
        for side in ("client", "service")
        for part in ("xroad_instance", "member_class", "member_code", "subsystem_code")
    ),
    _opmon_text("service_code"),
    _opmon_text("service_version"),
    _opmon_text("rest_method"),
    _opmon_text("rest_path"),
    _opmon_text("represented_party_class"),
    _opmon_text("represented_party_code"),
    _opmon_text("message_id"),
    _opmon_text("message_user_id"),
    _opmon_text("message_issue"),
    _opmon_text("message_protocol_version"),
    _opmon_text("client_security_server_address"),
    _opmon_text("service_security_server_address"),
    _opmon_long("request_size"),
    _opmon_long("request_mime_size"),
    sa.Column("request_attachment_count", sa.Integer, nullable=True),
    _opmon_long("response_size"),
    _opmon_long("response_mime_size"),
    sa.Column("response_attachment_count", sa.Integer, nullable=True),
    _opmon_text("service_type"),
    _opmon_text("fault_code"),
    _opmon_text("fault_string", OPMON_FAULT),
    sa.Column("status_code", sa.Integer, nullable=True),
    _opmon_text("xroad_version"),
    _opmon_text("x_request_id"),
    sa.CheckConstraint("security_server_type IN ('Client', 'Producer')", name="known_server_type"),
    sa.Index("ix_op_records_ts", "monitoring_data_ts", "id"),
)
