"""OpenAPI 3 documents (JSON or YAML) to REST endpoints: each operation (method + path) is
an endpoint of the one service the operator names.

Path templates become endpoint globs: ``/pets/{petId}`` is stored as ``/pets/*``, since a path
parameter fills exactly one segment (OpenAPI 3.0.3 §4.7.9.2) and ``*`` matches one segment's
characters (see :mod:`security_server.serverconf.decisions`). ``$ref`` path items are skipped:
resolving them could mean fetching other documents.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from security_server.serverconf import validation
from security_server.serverconf.errors import DescriptionError, ServerConfError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Operation keys of a path item (OpenAPI 3.0.3 §4.7.9.1, 3.1.0 §4.8.9.1).
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{[^{}/]*\}")


@dataclass(frozen=True, slots=True)
class OpenApiDocument:
    base_url: str | None  # the first server's URL, when it is absolute http(s)
    endpoints: tuple[tuple[str, str], ...]  # (METHOD, path glob), in document order


def _load(data: bytes, max_bytes: int) -> Any:
    if len(data) > max_bytes:
        raise DescriptionError(f"OpenAPI document larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DescriptionError("OpenAPI document is not UTF-8 text") from None
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        raise DescriptionError("OpenAPI document is neither valid JSON nor valid YAML") from None


def _base_url(servers: Any) -> str | None:
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return None
    url = servers[0].get("url")
    variables = servers[0].get("variables")
    if not isinstance(url, str):
        return None
    if isinstance(variables, dict):
        for name, spec in variables.items():
            if isinstance(name, str) and isinstance(spec, dict):
                default = spec.get("default")
                if isinstance(default, str):
                    url = url.replace("{" + name + "}", default)
    try:
        return validation.url(url, "server URL")
    except ServerConfError:
        return None


def _glob(path: str) -> str:
    glob = _TEMPLATE.sub("*", path)
    try:
        return validation.endpoint_path(glob)
    except ServerConfError as error:
        raise DescriptionError(f"OpenAPI path {path[:80]!r}: {error.message}") from None


def parse_openapi(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> OpenApiDocument:
    """Endpoints and base URL of an OpenAPI 3 document; raises only :class:`DescriptionError`."""
    document = _load(data, max_bytes)
    if not isinstance(document, dict):
        raise DescriptionError("OpenAPI document is not an object")
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        raise DescriptionError("Only OpenAPI 3 documents are supported (no 'openapi: 3.x')")
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise DescriptionError("OpenAPI document has no 'paths' object")
    found: dict[tuple[str, str], None] = {}
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise DescriptionError("OpenAPI paths must be strings starting with '/'")
        if not isinstance(item, dict) or "$ref" in item:
            continue
        glob = _glob(path)
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found.setdefault((method.upper(), glob), None)
    if not found:
        raise DescriptionError("The OpenAPI document defines no operations")
    return OpenApiDocument(_base_url(document.get("servers")), tuple(found))
