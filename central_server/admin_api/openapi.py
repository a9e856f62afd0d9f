"""The OpenAPI 3 document of the central server's admin REST API: its words and models, put
together by :mod:`server_kit.admin_api.openapi` from the operation table."""

from __future__ import annotations

from typing import Any

from central_server.admin_api import schemas as s
from central_server.admin_api.routes import OPERATIONS, PREFIX
from server_kit.admin_api import openapi as kit
from server_kit.admin_api.routes import Operation

_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Invalid input",
    401: "Missing, malformed or unknown API key",
    403: "The API key lacks the role",
    404: "Not found",
    409: "Conflicts with the registry's state",
    413: "Body or certificate too large",
    503: "Not available yet",
}


def _unavailable(op: Operation) -> bool:
    # No configuration generated yet, or no management service configured.
    return op.tag in ("configuration", "management-requests")


_DOC = kit.ApiDoc(
    title="VDX central server admin API",
    description=(
        "Registry, trust services, system parameters, audit log and configuration of "
        "the VDX central server. Identifiers use the ':' form (EE:GOV:1234:SUB). "
        "Authenticate with `Authorization: X-Road-ApiKey token=<key>`."
    ),
    prefix=PREFIX,
    operations=OPERATIONS,
    request_models=s.REQUEST_MODELS,
    response_models=(*s.RESPONSE_MODELS, s.Subsystem, s.Intermediate, s.Ocsp),
    error_model=s.Error,
    statuses=_DESCRIPTIONS,
    unavailable=_unavailable,
)


def document() -> dict[str, Any]:
    return kit.document(_DOC)
