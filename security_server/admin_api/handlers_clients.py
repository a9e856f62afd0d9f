"""Clients, their registration, their information systems' TLS certificates, local groups."""

from __future__ import annotations

from aiohttp import web

from security_server.admin_api import convert
from security_server.admin_api import schemas as s
from security_server.admin_api._base import (
    HandlerBase,
    no_content,
    parse_body,
    raw_body,
    reply,
    reply_json,
)
from security_server.serverconf.errors import not_found
from security_server.serverconf.model import ConnectionType, LocalGroupInfo
from vdx.identifiers import ClientId


def _client(request: web.Request) -> ClientId:
    return convert.client_id(request.match_info["client_id"])


class ClientsHandlers(HandlerBase):
    async def list_clients(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.client(c) for c in await self.serverconf.list_clients()])

    async def add_client(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.ClientIn)
        client = convert.client_id(body.id)
        if body.connection_type is None:
            info = await self.serverconf.add_client(client, actor=actor)
        else:
            kind = ConnectionType(body.connection_type)
            info = await self.serverconf.add_client(client, actor=actor, connection_type=kind)
        return reply(convert.client(info), 201)

    async def get_client(self, request: web.Request, actor: str) -> web.Response:
        del actor
        return reply(convert.client(await self.serverconf.get_client(_client(request))))

    async def patch_client(self, request: web.Request, actor: str) -> web.Response:
        client = _client(request)
        body = await parse_body(request, s.ClientPatch)
        kind = ConnectionType(body.connection_type)
        await self.serverconf.set_connection_type(client, kind, actor=actor)
        return reply(convert.client(await self.serverconf.get_client(client)))

    async def delete_client(self, request: web.Request, actor: str) -> web.Response:
        await self.serverconf.delete_client(_client(request), actor=actor)
        return no_content()

    async def register_client(self, request: web.Request, actor: str) -> web.Response:
        sent = await self.onboarding.register_client(_client(request), actor=actor)
        return reply_json(sent.to_json(), 202)

    async def unregister_client(self, request: web.Request, actor: str) -> web.Response:
        sent = await self.onboarding.unregister_client(_client(request), actor=actor)
        return reply_json(sent.to_json(), 202)

    async def list_tls_certs(self, request: web.Request, actor: str) -> web.Response:
        del actor
        found = await self.serverconf.is_certs(_client(request))
        return reply([convert.tls_certificate(der) for der in found])

    async def add_tls_cert(self, request: web.Request, actor: str) -> web.Response:
        client = _client(request)
        data = await raw_body(request)
        digest = await self.serverconf.add_is_cert(client, data, actor=actor)
        for der in await self.serverconf.is_certs(client):
            out = convert.tls_certificate(der)
            if out.sha256 == digest.hex():
                return reply(out, 201)
        return reply(s.TlsCertificate(sha256=digest.hex()), 201)

    async def delete_tls_cert(self, request: web.Request, actor: str) -> web.Response:
        client = _client(request)
        digest = convert.cert_hash(request.match_info["cert_hash"])
        await self.serverconf.delete_is_cert(client, digest, actor=actor)
        return no_content()

    # ------------------------------------------------------------ local groups
    async def _group(self, client: ClientId, code: str) -> LocalGroupInfo:
        for group in await self.serverconf.list_local_groups(client):
            if group.code == code:
                return group
        raise not_found(f"{client} has no local group {code}")

    async def list_local_groups(self, request: web.Request, actor: str) -> web.Response:
        del actor
        groups = await self.serverconf.list_local_groups(_client(request))
        return reply([convert.local_group(g) for g in groups])

    async def add_local_group(self, request: web.Request, actor: str) -> web.Response:
        client = _client(request)
        body = await parse_body(request, s.LocalGroupIn)
        await self.serverconf.add_local_group(client, body.code, body.description, actor=actor)
        return reply(convert.local_group(await self._group(client, body.code)), 201)

    async def get_local_group(self, request: web.Request, actor: str) -> web.Response:
        del actor
        code = request.match_info["group_code"]
        return reply(convert.local_group(await self._group(_client(request), code)))

    async def patch_local_group(self, request: web.Request, actor: str) -> web.Response:
        client, code = _client(request), request.match_info["group_code"]
        body = await parse_body(request, s.LocalGroupPatch)
        await self.serverconf.update_local_group(client, code, body.description, actor=actor)
        return reply(convert.local_group(await self._group(client, code)))

    async def delete_local_group(self, request: web.Request, actor: str) -> web.Response:
        client, code = _client(request), request.match_info["group_code"]
        await self.serverconf.delete_local_group(client, code, actor=actor)
        return no_content()

    async def add_group_member(self, request: web.Request, actor: str) -> web.Response:
        client, code = _client(request), request.match_info["group_code"]
        body = await parse_body(request, s.GroupMemberIn)
        member = convert.client_id(body.member, "member")
        await self.serverconf.add_local_group_member(client, code, member, actor=actor)
        return reply(convert.local_group(await self._group(client, code)), 201)

    async def remove_group_member(self, request: web.Request, actor: str) -> web.Response:
        client, code = _client(request), request.match_info["group_code"]
        body = await parse_body(request, s.GroupMemberIn)
        member = convert.client_id(body.member, "member")
        await self.serverconf.remove_local_group_member(client, code, member, actor=actor)
        return no_content()
