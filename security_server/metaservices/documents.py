"""Service descriptions as the metaservices hand them out: addresses hidden (pure).

A WSDL's ``soap:address`` becomes ``http://example.org/xroad-endpoint`` (pr-meta §4); an
OpenAPI document's ``servers[].url`` keeps only its path, as the reference's anonymiser does,
so the information system's host never leaves the provider's security server. A URL with
server variables is kept, since its host is a template, not an address.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import yaml

from vdx.errors import Code, XRoadError

JSON_TYPE = "application/json"
YAML_TYPE = "text/yaml"  # pr-mrest Annex A: getOpenAPI answers application/json or text/yaml


def _anonymise(document: Any) -> None:
    servers = document.get("servers") if isinstance(document, dict) else None
    if not isinstance(servers, list):
        return
    for server in servers:
        url = server.get("url") if isinstance(server, dict) else None
        if isinstance(url, str) and "{" not in url:
            server["url"] = urlsplit(url).path or "/"


def hide_openapi_servers(content: bytes) -> tuple[bytes, str]:
    """The stored OpenAPI document with its server URLs anonymised, and its media type."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise XRoadError(Code.INTERNAL_ERROR, "Stored OpenAPI document is not UTF-8") from None
    try:
        if text.lstrip().startswith("{"):
            document = json.loads(text)
            _anonymise(document)
            return json.dumps(document, ensure_ascii=False).encode("utf-8"), JSON_TYPE
        document = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        raise XRoadError(Code.INTERNAL_ERROR, "Stored OpenAPI document cannot be read") from None
    _anonymise(document)
    dumped = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return dumped.encode("utf-8"), YAML_TYPE
