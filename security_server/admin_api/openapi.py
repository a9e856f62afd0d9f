"""The OpenAPI 3 document of the security server's admin REST API: its words and models, put
together by :mod:`server_kit.admin_api.openapi` from the operation table."""

from __future__ import annotations

from typing import Any

from security_server.admin_api import schemas as s
from security_server.admin_api.routes import CERT_TYPES, OPERATIONS, PREFIX
from server_kit.admin_api import openapi as kit
from server_kit.admin_api.routes import Operation

_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: the management request was sent to the central server",
    204: "No content",
    400: "Invalid input",
    401: "Missing, malformed or unknown API key",
    403: "The API key lacks the role",
    404: "Not found",
    409: "Conflicts with the server's state",
    413: "Body too large",
    415: "Wrong content type",
    503: "Not available yet (no global configuration, central server unreachable)",
}
_PARAM_DOC = {
    "client_id": "INST:CLASS:CODE[:SUB], URL-encoded",
    "service_id": "INST:CLASS:CODE[:SUB]:SERVICECODE[.VERSION] (or ...:SUB:CODE:VERSION)",
    "cert_hash": "SHA-256 of the certificate's DER, hex",
}
_ONBOARDING_TAGS = ("system", "tokens")


def _unavailable(op: Operation) -> bool:
    # Onboarding needs the global configuration and, to register, the central server.
    return op.tag in _ONBOARDING_TAGS or op.path.endswith(("/register", "/unregister"))


_DOC = kit.ApiDoc(
    title="VDX security server admin API",
    description=(
        "Initialisation, token, keys and certificates, clients, services, access "
        "rights, audit log and API keys of a VDX security server. Identifiers use the "
        "':' form (VN:GOV:0101:TAX). Authenticate with "
        "`Authorization: X-Road-ApiKey token=<key>`."
    ),
    prefix=PREFIX,
    operations=OPERATIONS,
    request_models=s.REQUEST_MODELS,
    response_models=s.RESPONSE_MODELS,
    error_model=s.Error,
    statuses=_DESCRIPTIONS,
    unavailable=_unavailable,
    body_errors=(413, 415),
    param_docs=_PARAM_DOC,
    raw_types=CERT_TYPES,
)


def document() -> dict[str, Any]:
    return kit.document(_DOC)
