"""The central server's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The initial Alembic revision creates exactly these; a test compares the migrated schema with
this metadata, so a change here needs a new revision. Certificates are stored as DER; the
authentication certificate hash is SHA-256 of the DER (shared-parameters ``authCertHash``, 32
bytes in the reference's V5 configuration). Times are UTC.
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

CODE = 255  # identifier parts: generous, the reference allows 255
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


system_parameters = sa.Table(
    "system_parameters",
    metadata,
    # instanceIdentifier, ocspFreshnessSeconds, timeStampingIntervalSeconds, ...
    sa.Column("name", sa.String(CODE), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

member_classes = sa.Table(
    "member_classes",
    metadata,
    _id(),
    sa.Column("code", sa.String(CODE), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False),
)

members = sa.Table(
    "members",
    metadata,
    _id(),
    _fk("member_class_id", "member_classes.id"),
    sa.Column("member_code", sa.String(CODE), nullable=False),
    sa.Column("name", sa.String(NAME), nullable=False),
    sa.UniqueConstraint("member_class_id", "member_code"),
)

subsystems = sa.Table(
    "subsystems",
    metadata,
    _id(),
    _fk("member_id", "members.id", cascade=True),
    sa.Column("subsystem_code", sa.String(CODE), nullable=False),
    sa.Column("name", sa.String(NAME), nullable=True),
    sa.UniqueConstraint("member_id", "subsystem_code"),
)

security_servers = sa.Table(
    "security_servers",
    metadata,
    _id(),
    _fk("owner_id", "members.id"),
    sa.Column("server_code", sa.String(CODE), nullable=False),
    sa.Column("address", sa.String(CODE), nullable=True),
    sa.Column("in_maintenance", sa.Boolean, nullable=False, default=False),
    sa.Column("maintenance_message", sa.Text, nullable=True),
    sa.UniqueConstraint("owner_id", "server_code"),
)

auth_certs = sa.Table(
    "auth_certs",
    metadata,
    _id(),
    _fk("server_id", "security_servers.id", cascade=True),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    # One certificate authenticates one server only.
    sa.Column("cert_hash", sa.LargeBinary(64), nullable=False, unique=True),
)

# A client is a member (subsystem_id NULL) or one of its subsystems. NULLs never collide in
# a unique constraint, so a partial unique index covers the member-client rows.
server_clients = sa.Table(
    "server_clients",
    metadata,
    _id(),
    _fk("server_id", "security_servers.id", cascade=True),
    _fk("member_id", "members.id"),
    _fk("subsystem_id", "subsystems.id", nullable=True),
    # Revision 0003: clientDisable / clientEnable (pr-mserv); a disabled client stays
    # registered but is left out of the shared parameters.
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("server_id", "member_id", "subsystem_id"),
    sa.Index(
        "uq_server_clients_member_only",
        "server_id",
        "member_id",
        unique=True,
        sqlite_where=sa.text("subsystem_id IS NULL"),
        postgresql_where=sa.text("subsystem_id IS NULL"),
    ),
)

global_groups = sa.Table(
    "global_groups",
    metadata,
    _id(),
    sa.Column("group_code", sa.String(CODE), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False),
)

global_group_members = sa.Table(
    "global_group_members",
    metadata,
    _id(),
    _fk("group_id", "global_groups.id", cascade=True),
    _fk("member_id", "members.id"),
    _fk("subsystem_id", "subsystems.id", nullable=True),
    sa.UniqueConstraint("group_id", "member_id", "subsystem_id"),
    sa.Index(
        "uq_global_group_members_member_only",
        "group_id",
        "member_id",
        unique=True,
        sqlite_where=sa.text("subsystem_id IS NULL"),
        postgresql_where=sa.text("subsystem_id IS NULL"),
    ),
)

approved_cas = sa.Table(
    "approved_cas",
    metadata,
    _id(),
    sa.Column("name", sa.String(CODE), nullable=False, unique=True),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    sa.Column("authentication_only", sa.Boolean, nullable=False),
    sa.Column("certificate_profile_info", sa.String(CODE), nullable=False),
    sa.Column("csr_format", sa.String(16), nullable=True),
)

ca_intermediates = sa.Table(
    "ca_intermediates",
    metadata,
    _id(),
    _fk("ca_id", "approved_cas.id", cascade=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
)

ocsp_responders = sa.Table(
    "ocsp_responders",
    metadata,
    _id(),
    # Exactly one of the two: a responder of the top CA or of one intermediate.
    _fk("ca_id", "approved_cas.id", nullable=True, cascade=True),
    _fk("intermediate_id", "ca_intermediates.id", nullable=True, cascade=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("url", sa.String(NAME), nullable=False),
    sa.Column("cert_der", sa.LargeBinary, nullable=True),
    sa.CheckConstraint("(ca_id IS NULL) <> (intermediate_id IS NULL)", name="one_issuer"),
)

approved_tsas = sa.Table(
    "approved_tsas",
    metadata,
    _id(),
    sa.Column("name", sa.String(CODE), nullable=False, unique=True),
    sa.Column("url", sa.String(NAME), nullable=False),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, default=0),
)

management_requests = sa.Table(
    "management_requests",
    metadata,
    _id(),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending/approved/rejected/revoked
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("origin", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_by", sa.String(CODE), nullable=True),
    sa.CheckConstraint(
        "state IN ('pending', 'approved', 'rejected', 'revoked')", name="known_state"
    ),
)

# Configuration signing keys (revision 0003 gives them a token and a state): one ``active``
# key per source signs; ``announced`` keys are listed as verification certificates before they
# sign (pr-gconf §2.2 key rotation); ``retired`` keys are kept for the record.
configuration_signing_keys = sa.Table(
    "configuration_signing_keys",
    metadata,
    _id(),
    sa.Column("source", sa.String(16), nullable=False),  # internal / external
    sa.Column("token_id", sa.String(CODE), nullable=False),
    sa.Column("key_id", sa.String(CODE), nullable=False, unique=True),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('internal', 'external')", name="known_source"),
    sa.CheckConstraint("state IN ('announced', 'active', 'retired')", name="known_state"),
    # One active key per source, even when two nodes start at once.
    sa.Index(
        "uq_configuration_signing_keys_active",
        "source",
        unique=True,
        sqlite_where=sa.text("state = 'active'"),
        postgresql_where=sa.text("state = 'active'"),
    ),
)

# Generations of the global configuration (revision 0003), so that every node on one database
# serves the same bytes: the newest row is served. ``body`` is the persistence JSON encoding.
configuration_generations = sa.Table(
    "configuration_generations",
    metadata,
    _id(),
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("node", sa.String(CODE), nullable=False),
)

# Leases for work one node does at a time (revision 0003): the holder until ``expires_at``.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(CODE), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(CODE), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(NAME), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
)

# Admin REST API keys (revision 0002). Only the SHA-256 of a key is stored; the key itself is
# shown once when created. ``roles`` is a JSON list of role names; revoked keys stay listed
# (their name appears in the audit log) but no longer authenticate.
api_keys = sa.Table(
    "api_keys",
    metadata,
    _id(),
    sa.Column("name", sa.String(CODE), nullable=False, unique=True),
    sa.Column("key_hash", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
