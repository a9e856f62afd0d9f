"""System parameters, the audit log, API keys, configuration status and anchor export."""

from __future__ import annotations

import functools
import json

from aiohttp import web

from central_server.admin_api import conf, convert, openapi
from central_server.admin_api import schemas as s
from central_server.admin_api._base import HandlerBase, parse_body, reply
from central_server.admin_api.errors import ApiError

MAX_AUDIT_ROWS = 10_000


@functools.cache
def _openapi_text() -> str:
    return json.dumps(openapi.document(), indent=1)


def _int_query(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 9:
        raise ApiError(400, "invalid", f"{name} must be a non-negative integer")
    return int(text)


class SystemHandlers(HandlerBase):
    async def openapi(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return web.Response(text=_openapi_text(), content_type="application/json")

    async def get_parameters(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply(s.SystemParameters(parameters=await self.registry.get_system_parameters()))

    async def set_parameter(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.SystemParameterIn)
        await self.registry.set_system_parameter(
            request.match_info["name"], body.value, actor=actor
        )
        return reply(s.SystemParameters(parameters=await self.registry.get_system_parameters()))

    async def audit_log(self, request: web.Request, actor: str) -> web.Response:
        del actor
        limit = _int_query(request, "limit", 100)
        offset = _int_query(request, "offset", 0)
        entries = await self.registry.audit_log(limit, offset)
        return reply([convert.audit(e) for e in entries])

    async def list_api_keys(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.api_key(k) for k in await self.api_keys.list()])

    async def create_api_key(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.ApiKeyIn)
        info, key = await self.api_keys.create(body.name, body.roles, actor=actor)
        return reply(s.ApiKeyCreated(key=key, api_key=convert.api_key(info)), 201)

    async def revoke_api_key(self, request: web.Request, actor: str) -> web.Response:
        key_id = _path_int(request.match_info["key_id"])
        return reply(convert.api_key(await self.api_keys.revoke(key_id, actor=actor)))

    async def conf_status(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        if self.conf_status_provider is None:
            raise ApiError(503, "unavailable", "This node does not publish configuration")
        return reply(conf.conf_status(self.conf_status_provider(), self.clock()))

    async def anchor(self, request: web.Request, actor: str) -> web.Response:
        del actor
        if self.anchor_provider is None:
            raise ApiError(503, "unavailable", "This node does not publish configuration")
        url = request.query.get("url")
        if url is None:
            raise ApiError(400, "invalid", "Give the download URL: ?url=http://host/internalconf")
        try:
            conf.check_download_url(url)
        except ValueError as error:
            raise ApiError(400, "invalid", str(error)) from None
        try:
            exported = conf.export(await self.anchor_provider(url))
        except conf.AnchorUnavailableError as error:
            raise ApiError(503, "unavailable", str(error)) from None
        return web.Response(
            body=exported.xml,
            content_type="application/xml",
            headers={
                "X-Anchor-Hash": exported.hash,
                "Content-Disposition": 'attachment; filename="configuration-anchor.xml"',
            },
        )


def _path_int(text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise ApiError(404, "not_found", "No such API key")
    return int(text)
