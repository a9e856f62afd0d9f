"""Status and initialisation, the audit log, API keys, the OpenAPI document."""

from __future__ import annotations

import functools
import json

from aiohttp import web

from security_server.admin_api import convert, openapi
from security_server.admin_api import schemas as s
from security_server.admin_api._base import HandlerBase, no_content, parse_body, reply, reply_json
from security_server.admin_api.errors import ApiError
from vdx.errors import XRoadError
from vdx.identifiers import ClientId

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


def _path_int(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise ApiError(404, "not_found", f"No such {what}")
    return int(text)


class SystemHandlers(HandlerBase):
    async def openapi(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return web.Response(text=_openapi_text(), content_type="application/json")

    async def status(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply_json((await self.onboarding.status()).to_json())

    async def globalconf(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply_json(self.conf_status().to_json())

    async def initialize(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.InitializeIn)
        # The instance is the one of the configuration anchor; the operator names the rest.
        instance = (await self.onboarding.status()).instance
        try:
            owner = ClientId(instance, body.owner_member_class, body.owner_member_code)
        except XRoadError as error:
            raise ApiError(400, "invalid", f"Bad owner identifier: {error.message}") from None
        await self.onboarding.initialize(owner, body.server_code, body.pin, actor=actor)
        return reply_json((await self.onboarding.status()).to_json(), 201)

    async def audit_log(self, request: web.Request, actor: str) -> web.Response:
        del actor
        limit = _int_query(request, "limit", 100)
        offset = _int_query(request, "offset", 0)
        entries = await self.serverconf.audit_log(limit=limit, offset=offset)
        return reply([convert.audit(e) for e in entries])

    async def list_api_keys(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.api_key(k) for k in await self.api_keys.list()])

    async def create_api_key(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.ApiKeyIn)
        info, key = await self.api_keys.create(body.name, body.roles, actor=actor)
        out = convert.api_key(info)
        created = s.ApiKeyCreated(
            id=out.id, name=out.name, roles=out.roles, created_at=out.created_at, key=key
        )
        return reply(created, 201)

    async def revoke_api_key(self, request: web.Request, actor: str) -> web.Response:
        key_id = _path_int(request.match_info["key_id"], "API key")
        await self.api_keys.revoke(key_id, actor=actor)
        return no_content()
