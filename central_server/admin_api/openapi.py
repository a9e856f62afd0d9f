"""The OpenAPI 3 document of the admin REST API, built from the operation table and the
pydantic models (one source for routes, validation and documentation)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from central_server.admin_api import schemas as s
from central_server.admin_api.routes import OPERATIONS, PREFIX, Operation

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{([^{}]+)}")
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


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in s.REQUEST_MODELS
    ]
    nested: tuple[type[BaseModel], ...] = (s.Subsystem, s.Intermediate, s.Ocsp)
    models += [(m, "serialization") for m in (*s.RESPONSE_MODELS, *nested)]
    _, schema = models_json_schema(models, ref_template=_REF)
    return dict(schema.get("$defs", {}))


def _ref(model: type[Any]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _error(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": _ref(s.Error)}},
    }


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(op.path)
    ]
    params += [
        {
            "name": q.name,
            "in": "query",
            "required": q.required,
            "description": q.description,
            "schema": {"type": q.type},
        }
        for q in op.query
    ]
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    ok: dict[str, Any] = {"description": _DESCRIPTIONS[op.status]}
    if op.response is not None:
        schema = {"type": "array", "items": _ref(op.response)} if op.many else _ref(op.response)
        ok["content"] = {op.media_type: {"schema": schema}}
    elif op.media_type != "application/json":
        ok["content"] = {op.media_type: {"schema": {"type": "string"}}}
    elif op.public:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(op.status): ok}
    if op.public:
        doc["security"] = []
    else:
        responses["401"] = _error(401)
    if op.role is not None:
        responses["403"] = _error(403)
        doc["description"] = f"Requires the role `{op.role.value}`."
    for status in _error_statuses(op, bool(params)):
        responses[str(status)] = _error(status)
    doc["responses"] = responses
    return doc


def _error_statuses(op: Operation, has_params: bool) -> list[int]:
    statuses = []
    if has_params or op.body is not None:
        statuses.append(400)
    if _PARAM.search(op.path):
        statuses.append(404)
    if op.method != "GET":
        statuses.append(409)
    if op.body is not None:
        statuses.append(413)
    if op.tag in ("configuration", "management-requests"):
        statuses.append(503)
    return statuses


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "VDX central server admin API",
            "version": API_VERSION,
            "description": (
                "Registry, trust services, system parameters, audit log and configuration of "
                "the VDX central server. Identifiers use the ':' form (EE:GOV:1234:SUB). "
                "Authenticate with `Authorization: X-Road-ApiKey token=<key>`."
            ),
        },
        "servers": [{"url": PREFIX}],
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "ApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "X-Road-ApiKey token=<key>",
                }
            },
        },
    }
