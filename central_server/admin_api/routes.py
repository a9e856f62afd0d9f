"""Every operation of the admin REST API, as data: path, handler, role, bodies, documentation.

The application's routes and the OpenAPI document are both built from :data:`OPERATIONS`, so
a route cannot exist undocumented or unguarded. Paths are relative to ``/api/v1``.

Roles (X-Road central server user guide, user roles): reading is open to any valid key (the
observer's view) except the API keys themselves; a change needs the role that owns the resource.
"""

from __future__ import annotations

from central_server.admin_api import schemas as s
from central_server.admin_api.keys import Role
from server_kit.admin_api.routes import Operation, Query
from server_kit.admin_api.routes import check_table as _check_table
from server_kit.admin_api.routes import op as _op

PREFIX = "/api/v1"
REG = Role.REGISTRATION_OFFICER
SEC = Role.SECURITY_OFFICER
ADMIN = Role.SYSTEM_ADMINISTRATOR


_M = "/members/{member_id}"
_S = "/security-servers/{server_id}"
_G = "/global-groups/{group_code}"
_R = "/management-requests/{request_id}"
_K = "/configuration/signing-keys"
_LIMIT = Query("limit", "1..10000, default 100", "integer")

# One row per operation, kept compact so the whole API reads as one table.
# fmt: off
OPERATIONS: tuple[Operation, ...] = (
    _op("GET", "/openapi.json", "openapi", "This OpenAPI document", "meta", public=True),
    # instance and member classes: the system administrator's
    _op("GET", "/instance", "get_instance", "The instance identifier", "instance",
        response=s.Instance),
    _op("PUT", "/instance", "set_instance", "Set the instance identifier (once)", "instance",
        role=ADMIN, body=s.InstanceIn, response=s.Instance),
    _op("GET", "/member-classes", "list_member_classes", "Member classes", "member-classes",
        response=s.MemberClass, many=True),
    _op("POST", "/member-classes", "add_member_class", "Add a member class", "member-classes",
        role=ADMIN, body=s.MemberClassIn, response=s.MemberClass, status=201),
    _op("PATCH", "/member-classes/{code}", "update_member_class", "Change a description",
        "member-classes", role=ADMIN, body=s.MemberClassPatch, response=s.MemberClass),
    _op("DELETE", "/member-classes/{code}", "delete_member_class", "Delete an unused class",
        "member-classes", role=ADMIN, status=204),
    # members and subsystems
    _op("GET", "/members", "list_members", "Members with their subsystems", "members",
        response=s.Member, many=True),
    _op("POST", "/members", "add_member", "Add a member", "members", role=REG,
        body=s.MemberIn, response=s.Member, status=201),
    _op("GET", _M, "get_member", "One member", "members", response=s.Member),
    _op("PATCH", _M, "rename_member", "Rename a member", "members", role=REG,
        body=s.MemberPatch, response=s.Member),
    _op("DELETE", _M, "delete_member", "Delete a member and its subsystems", "members",
        role=REG, status=204),
    _op("GET", _M + "/subsystems", "list_subsystems", "A member's subsystems", "members",
        response=s.Subsystem, many=True),
    _op("POST", _M + "/subsystems", "add_subsystem", "Add a subsystem", "members", role=REG,
        body=s.SubsystemIn, response=s.Subsystem, status=201),
    _op("DELETE", _M + "/subsystems/{code}", "delete_subsystem", "Delete a subsystem",
        "members", role=REG, status=204),
    # security servers
    _op("GET", "/security-servers", "list_servers", "Security servers", "security-servers",
        response=s.SecurityServer, many=True),
    _op("POST", "/security-servers", "add_server", "Register a security server",
        "security-servers", role=REG, body=s.SecurityServerIn, response=s.SecurityServer,
        status=201),
    _op("GET", _S, "get_server", "One security server", "security-servers",
        response=s.SecurityServer),
    _op("PATCH", _S, "update_server", "Change the address or maintenance mode",
        "security-servers", role=REG, body=s.SecurityServerPatch, response=s.SecurityServer),
    _op("DELETE", _S, "delete_server", "Delete a security server", "security-servers",
        role=REG, status=204),
    _op("GET", _S + "/auth-certs", "list_auth_certs", "Authentication certificate hashes",
        "security-servers", response=s.AuthCert, many=True),
    _op("POST", _S + "/auth-certs", "add_auth_cert", "Register an authentication certificate",
        "security-servers", role=REG, body=s.CertificateIn, response=s.AuthCert, status=201),
    _op("DELETE", _S + "/auth-certs/{cert_hash}", "delete_auth_cert",
        "Delete an authentication certificate", "security-servers", role=REG, status=204),
    _op("GET", _S + "/clients", "list_server_clients", "Clients of a security server",
        "security-servers", response=s.ClientRef, many=True),
    _op("POST", _S + "/clients", "add_server_client", "Register a client", "security-servers",
        role=REG, body=s.ClientRef, response=s.ClientRef, status=201),
    _op("DELETE", _S + "/clients/{client_id}", "remove_server_client", "Remove a client",
        "security-servers", role=REG, status=204),
    # global groups
    _op("GET", "/global-groups", "list_groups", "Global groups", "global-groups",
        response=s.GlobalGroup, many=True),
    _op("POST", "/global-groups", "add_group", "Add a global group", "global-groups", role=REG,
        body=s.GlobalGroupIn, response=s.GlobalGroup, status=201),
    _op("GET", _G, "get_group", "One global group", "global-groups", response=s.GlobalGroup),
    _op("DELETE", _G, "delete_group", "Delete a global group", "global-groups", role=REG,
        status=204),
    _op("GET", _G + "/members", "list_group_members", "Members of a group", "global-groups",
        response=s.ClientRef, many=True),
    _op("POST", _G + "/members", "add_group_member", "Add a member or subsystem",
        "global-groups", role=REG, body=s.ClientRef, response=s.ClientRef, status=201),
    _op("DELETE", _G + "/members/{client_id}", "remove_group_member", "Remove a group member",
        "global-groups", role=REG, status=204),
    # management requests from security servers: the registration officer decides
    _op("GET", "/management-requests", "list_requests", "Management requests, newest first",
        "management-requests", response=s.ManagementRequest, many=True,
        query=(Query("state", "pending, approved, rejected or revoked"),
               Query("limit", "1..1000, default 100", "integer"))),
    _op("GET", _R, "get_request", "One management request", "management-requests",
        response=s.ManagementRequest),
    _op("POST", _R + "/approve", "approve_request",
        "Approve a pending request: its change is applied to the registry",
        "management-requests", role=REG, response=s.ManagementRequest),
    _op("POST", _R + "/reject", "reject_request", "Reject a pending request",
        "management-requests", role=REG, body=s.RejectIn, response=s.ManagementRequest),
    # trust services: the security officer's
    _op("GET", "/approved-cas", "list_cas", "Approved CAs", "trust-services",
        response=s.Ca, many=True),
    _op("POST", "/approved-cas", "add_ca",
        "Approve a CA with its intermediates and OCSP responders", "trust-services",
        role=SEC, body=s.CaIn, response=s.Ca, status=201),
    _op("GET", "/approved-cas/{name}", "get_ca", "One approved CA", "trust-services",
        response=s.Ca),
    _op("DELETE", "/approved-cas/{name}", "delete_ca", "Remove an approved CA",
        "trust-services", role=SEC, status=204),
    _op("GET", "/approved-cas/{name}/intermediates", "list_intermediates",
        "A CA's intermediate CAs", "trust-services", response=s.Intermediate, many=True),
    _op("GET", "/approved-cas/{name}/ocsp-responders", "list_ocsp_responders",
        "The top CA's OCSP responders", "trust-services", response=s.Ocsp, many=True),
    _op("GET", "/approved-tsas", "list_tsas", "Approved timestamping authorities",
        "trust-services", response=s.Tsa, many=True),
    _op("POST", "/approved-tsas", "add_tsa", "Approve a TSA", "trust-services", role=SEC,
        body=s.TsaIn, response=s.Tsa, status=201),
    _op("GET", "/approved-tsas/{name}", "get_tsa", "One approved TSA", "trust-services",
        response=s.Tsa),
    _op("DELETE", "/approved-tsas/{name}", "delete_tsa", "Remove an approved TSA",
        "trust-services", role=SEC, status=204),
    # system: parameters, audit log, API keys, configuration
    _op("GET", "/system-parameters", "get_parameters", "System parameters (with defaults)",
        "system", response=s.SystemParameters),
    _op("PUT", "/system-parameters/{name}", "set_parameter", "Set a system parameter",
        "system", role=ADMIN, body=s.SystemParameterIn, response=s.SystemParameters),
    _op("GET", "/audit-log", "audit_log", "Audit log, newest first", "system",
        response=s.AuditEntry, many=True,
        query=(_LIMIT, Query("offset", "rows to skip, default 0", "integer"))),
    _op("GET", "/api-keys", "list_api_keys", "API keys (never the keys themselves)", "system",
        role=ADMIN, response=s.ApiKey, many=True),
    _op("POST", "/api-keys", "create_api_key", "Create an API key; the key is shown once",
        "system", role=ADMIN, body=s.ApiKeyIn, response=s.ApiKeyCreated, status=201),
    _op("DELETE", "/api-keys/{key_id}", "revoke_api_key", "Revoke an API key", "system",
        role=ADMIN, response=s.ApiKey),
    _op("GET", "/configuration/status", "conf_status", "The configuration being served",
        "configuration", response=s.ConfStatus),
    # configuration signing keys: the security officer's; activation applies at the next
    # generation, announced keys are listed for verification before they sign
    _op("GET", _K, "list_signing_keys", "Configuration signing keys", "configuration",
        response=s.SigningKey, many=True),
    _op("POST", _K, "generate_signing_key", "Generate a key on the token (announced)",
        "configuration", role=SEC, body=s.SigningKeyIn, response=s.SigningKey, status=201),
    _op("POST", _K + "/{key_id}/activate", "activate_signing_key",
        "Make an announced key its source's active key (the previous one is retired)",
        "configuration", role=SEC, response=s.SigningKey),
    _op("POST", _K + "/{key_id}/retire", "retire_signing_key", "Withdraw an announced key",
        "configuration", role=SEC, response=s.SigningKey),
    _op("GET", "/configuration/anchor", "anchor", "The configuration anchor (XML); its hash "
        "in the X-Anchor-Hash header", "configuration", media_type="application/xml",
        query=(Query("url", "Download URL security servers use, e.g. "
                     "http://cs.example/internalconf", required=True),)),
)
# fmt: on


def check_table(operations: tuple[Operation, ...] = OPERATIONS) -> None:
    """Every change needs a role; every (method, path) appears once."""
    _check_table(operations)
