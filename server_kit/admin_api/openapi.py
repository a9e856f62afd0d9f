"""The OpenAPI 3 document of an admin REST API, built from the server's operation table and
its pydantic models (one source for routes, validation and documentation).

What differs between the servers is data in :class:`ApiDoc`: the title, the models, the
status texts, which operations may answer 503, and the documentation of path parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from server_kit.admin_api.routes import Operation

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{([^{}]+)}")
DOCUMENT_HANDLER = "openapi"  # the operation serving this document: a JSON object


@dataclass(frozen=True, slots=True)
class ApiDoc:
    """One server's document: its words and models; the shape is the same for both."""

    title: str
    description: str
    prefix: str
    operations: tuple[Operation, ...]
    request_models: Sequence[type[BaseModel]]
    response_models: Sequence[type[BaseModel]]  # with the models they nest
    error_model: type[BaseModel]
    statuses: Mapping[int, str]  # the text of every status an operation may answer
    unavailable: Callable[[Operation], bool]  # the operations that may answer 503
    body_errors: tuple[int, ...] = (413,)  # statuses of an operation that takes a body
    param_docs: Mapping[str, str] = field(default_factory=dict)  # path parameter texts
    raw_types: tuple[str, ...] = ()  # media types of a raw (certificate) body


def _schemas(doc: ApiDoc) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in doc.request_models
    ]
    models += [(m, "serialization") for m in doc.response_models]
    _, schema = models_json_schema(models, ref_template=_REF)
    return dict(schema.get("$defs", {}))


def _ref(model: type[Any]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _error(doc: ApiDoc, status: int) -> dict[str, Any]:
    return {
        "description": doc.statuses[status],
        "content": {"application/json": {"schema": _ref(doc.error_model)}},
    }


def _parameters(doc: ApiDoc, op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in _PARAM.findall(op.path):
        param: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        }
        if name in doc.param_docs:
            param["description"] = doc.param_docs[name]
        params.append(param)
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
    return params


def _operation(doc: ApiDoc, op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    params = _parameters(doc, op)
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": not op.body_optional,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    elif op.raw_body:
        binary = {"schema": {"type": "string", "format": "binary"}}
        out["requestBody"] = {"required": True, "content": dict.fromkeys(doc.raw_types, binary)}
    ok: dict[str, Any] = {"description": doc.statuses[op.status]}
    if op.response is not None:
        schema = {"type": "array", "items": _ref(op.response)} if op.many else _ref(op.response)
        ok["content"] = {op.media_type: {"schema": schema}}
    elif op.media_type != "application/json":
        ok["content"] = {op.media_type: {"schema": {"type": "string"}}}
    elif op.handler == DOCUMENT_HANDLER:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(op.status): ok}
    if op.public:
        out["security"] = []
    else:
        responses["401"] = _error(doc, 401)
    if op.role is not None:
        responses["403"] = _error(doc, 403)
        out["description"] = f"Requires the role `{op.role.value}`."
    for status in _error_statuses(doc, op, bool(params)):
        responses[str(status)] = _error(doc, status)
    out["responses"] = responses
    return out


def _error_statuses(doc: ApiDoc, op: Operation, has_params: bool) -> list[int]:
    statuses = []
    takes_body = op.body is not None or op.raw_body
    if has_params or takes_body:
        statuses.append(400)
    if _PARAM.search(op.path):
        statuses.append(404)
    if op.method != "GET":
        statuses.append(409)
    if takes_body:
        statuses += doc.body_errors
    if doc.unavailable(op):
        statuses.append(503)
    return statuses


def document(doc: ApiDoc) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``doc``'s operations."""
    paths: dict[str, dict[str, Any]] = {}
    for op in doc.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(doc, op)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": doc.title, "version": API_VERSION, "description": doc.description},
        "servers": [{"url": doc.prefix}],
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(doc),
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
