"""Every operation of the admin REST API, as data: path, handler, role, bodies, documentation.

The application's routes and the OpenAPI document are both built from :data:`OPERATIONS`, so
a route cannot exist undocumented or unguarded. Paths are relative to ``/api/v1``.

Roles (security server user guide, user roles; ss-admin contract §2): every GET is open to
any valid key (the observer's view) except the API keys themselves; a change needs the role
that owns the resource.
"""

from __future__ import annotations

from security_server.admin_api import schemas as s
from security_server.admin_api.keys import Role
from server_kit.admin_api.routes import Operation, Query
from server_kit.admin_api.routes import check_table as _check_table
from server_kit.admin_api.routes import op as _op

PREFIX = "/api/v1"
SEC = Role.SECURITY_OFFICER
REG = Role.REGISTRATION_OFFICER
SVC = Role.SERVICE_ADMINISTRATOR
ADMIN = Role.SYSTEM_ADMINISTRATOR
CERT_TYPES = ("application/x-pem-file", "application/pkix-cert", "application/octet-stream")


_C = "/clients/{client_id}"
_K = "/keys/{key_id}"
_CERT = "/certificates/{cert_id}"
_D = "/service-descriptions/{description_id}"
_SV = "/services/{service_id}"
_G = _C + "/local-groups/{group_code}"
_MR = s.ManagementRequest

# One row per operation, kept compact so the whole API reads as one table.
# fmt: off
OPERATIONS: tuple[Operation, ...] = (
    _op("GET", "/openapi.json", "openapi", "This OpenAPI document", "meta"),
    # system: initialisation and status
    _op("GET", "/system/status", "status", "Initialisation, token and configuration status",
        "system", response=s.SystemStatus),
    _op("GET", "/system/globalconf", "globalconf", "The configuration client's status",
        "system", response=s.ConfClientStatus),
    _op("POST", "/system/initialize", "initialize",
        "Initialise: owner member, server code and the software token's PIN", "system",
        role=ADMIN, body=s.InitializeIn, response=s.SystemStatus, status=201),
    # token, keys, certificates: the security officer's
    _op("POST", "/tokens/login", "login", "Log the token in (the PIN is kept in memory)",
        "tokens", role=SEC, body=s.LoginIn, status=204),
    _op("POST", "/tokens/logout", "logout", "Log the token out", "tokens", role=SEC, status=204),
    _op("GET", "/tokens", "token", "The token with its keys and certificates", "tokens",
        response=s.TokenInfo),
    _op("POST", "/keys", "generate_key", "Generate a key on the token", "tokens", role=SEC,
        body=s.KeyIn, response=s.KeyInfo, status=201),
    _op("DELETE", _K, "delete_key", "Delete a key with its certificates", "tokens", role=SEC,
        status=204),
    _op("POST", _K + "/csr", "create_csr", "A certificate signing request (PEM) for the key",
        "tokens", role=SEC, body=s.CsrIn, body_optional=True, media_type="application/pkcs10"),
    _op("POST", "/certificates", "import_certificate",
        "Import a certificate issued for a key of the token (PEM or DER body)", "tokens",
        role=SEC, raw_body=True, response=s.CertInfo, status=201),
    _op("GET", _CERT, "get_certificate", "One certificate", "tokens", response=s.CertInfo),
    _op("POST", _CERT + "/activate", "activate_certificate", "Activate a certificate",
        "tokens", role=SEC, response=s.CertInfo),
    _op("POST", _CERT + "/disable", "disable_certificate", "Disable a certificate", "tokens",
        role=SEC, response=s.CertInfo),
    _op("DELETE", _CERT, "delete_certificate", "Delete a certificate", "tokens", role=SEC,
        status=204),
    _op("POST", _CERT + "/register", "register_certificate",
        "Send authCertReg for an authentication certificate", "tokens", role=SEC,
        body=s.RegisterCertIn, response=_MR, status=202),
    _op("POST", _CERT + "/unregister", "unregister_certificate",
        "Send authCertDeletion for an authentication certificate", "tokens", role=SEC,
        response=_MR, status=202),
    # clients: added and registered by the registration officer
    _op("GET", "/clients", "list_clients", "Clients of this server", "clients",
        response=s.Client, many=True),
    _op("POST", "/clients", "add_client", "Add a client (saved, not registered)", "clients",
        role=REG, body=s.ClientIn, response=s.Client, status=201),
    _op("GET", _C, "get_client", "One client", "clients", response=s.Client),
    _op("PATCH", _C, "patch_client", "Change the connection type", "clients", role=SVC,
        body=s.ClientPatch, response=s.Client),
    _op("DELETE", _C, "delete_client", "Delete a saved client", "clients", role=REG,
        status=204),
    _op("POST", _C + "/register", "register_client", "Send clientReg", "clients", role=REG,
        response=_MR, status=202),
    _op("POST", _C + "/unregister", "unregister_client", "Send clientDeletion", "clients",
        role=REG, response=_MR, status=202),
    _op("GET", _C + "/tls-certificates", "list_tls_certs",
        "Information systems' TLS certificates", "clients", response=s.TlsCertificate,
        many=True),
    _op("POST", _C + "/tls-certificates", "add_tls_cert",
        "Add an information system's TLS certificate (PEM or DER body)", "clients",
        role=SVC, raw_body=True, response=s.TlsCertificate, status=201),
    _op("DELETE", _C + "/tls-certificates/{cert_hash}", "delete_tls_cert",
        "Delete an information system's TLS certificate", "clients", role=SVC, status=204),
    # services: the service administrator's
    _op("GET", _C + "/service-descriptions", "list_descriptions",
        "Service descriptions with their services", "services", response=s.Description,
        many=True),
    _op("POST", _C + "/service-descriptions", "add_description",
        "Add a WSDL, OpenAPI 3 or REST description (documents are downloaded from url)",
        "services", role=SVC, body=s.DescriptionIn, response=s.Description, status=201),
    _op("POST", _D + "/refresh", "refresh_description", "Download the document again",
        "services", role=SVC, response=s.Description),
    _op("POST", _D + "/enable", "enable_description", "Enable the description's services",
        "services", role=SVC, response=s.Description),
    _op("POST", _D + "/disable", "disable_description", "Disable the description's services",
        "services", role=SVC, body=s.DisableIn, body_optional=True, response=s.Description),
    _op("DELETE", _D, "delete_description", "Delete a description with its services",
        "services", role=SVC, status=204),
    _op("GET", _SV, "get_service", "One service", "services", response=s.Service),
    _op("PATCH", _SV, "patch_service", "Change URL, timeout or TLS verification", "services",
        role=SVC, body=s.ServicePatch, response=s.Service),
    _op("POST", _SV + "/endpoints", "add_endpoint", "Add a REST endpoint by hand", "services",
        role=SVC, body=s.EndpointIn, response=s.Endpoint, status=201),
    _op("DELETE", _SV + "/endpoints", "delete_endpoint", "Delete a hand-made REST endpoint",
        "services", role=SVC, body=s.EndpointIn, status=204),
    _op("GET", _SV + "/access-rights", "list_access_rights", "Who may call the service",
        "access-rights", response=s.AccessRight, many=True),
    _op("POST", _SV + "/access-rights", "grant_access",
        "Grant access to the service (or one REST endpoint)", "access-rights", role=SVC,
        body=s.AccessRightIn, response=s.AccessRight, status=201),
    _op("DELETE", _SV + "/access-rights", "revoke_access", "Revoke an access right",
        "access-rights", role=SVC, body=s.AccessRightIn, status=204),
    _op("GET", _C + "/local-groups", "list_local_groups", "The client's local groups",
        "access-rights", response=s.LocalGroup, many=True),
    _op("POST", _C + "/local-groups", "add_local_group", "Add a local group",
        "access-rights", role=SVC, body=s.LocalGroupIn, response=s.LocalGroup, status=201),
    _op("GET", _G, "get_local_group", "One local group", "access-rights",
        response=s.LocalGroup),
    _op("PATCH", _G, "patch_local_group", "Change a local group's description",
        "access-rights", role=SVC, body=s.LocalGroupPatch, response=s.LocalGroup),
    _op("DELETE", _G, "delete_local_group", "Delete a local group and its access rights",
        "access-rights", role=SVC, status=204),
    _op("POST", _G + "/members", "add_group_member", "Add a member to a local group",
        "access-rights", role=SVC, body=s.GroupMemberIn, response=s.LocalGroup, status=201),
    _op("DELETE", _G + "/members", "remove_group_member", "Remove a member of a local group",
        "access-rights", role=SVC, body=s.GroupMemberIn, status=204),
    # audit log and API keys
    _op("GET", "/audit-log", "audit_log", "Audit log, newest first", "system",
        response=s.AuditEntry, many=True,
        query=(Query("limit", "1..10000, default 100", "integer"),
               Query("offset", "rows to skip, default 0", "integer"))),
    _op("GET", "/api-keys", "list_api_keys", "API keys (never the keys themselves)", "system",
        role=ADMIN, response=s.ApiKey, many=True),
    _op("POST", "/api-keys", "create_api_key", "Create an API key; the key is shown once",
        "system", role=ADMIN, body=s.ApiKeyIn, response=s.ApiKeyCreated, status=201),
    _op("DELETE", "/api-keys/{key_id}", "revoke_api_key", "Revoke an API key", "system",
        role=ADMIN, status=204),
)
# fmt: on


def check_table(operations: tuple[Operation, ...] = OPERATIONS) -> None:
    """Every change needs a role; every (method, path) appears once."""
    _check_table(operations)
