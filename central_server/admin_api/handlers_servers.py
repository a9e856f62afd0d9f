"""Security servers (with authentication certificates and clients) and global groups."""

from __future__ import annotations

from aiohttp import web

from central_server.admin_api import convert
from central_server.admin_api import schemas as s
from central_server.admin_api._base import HandlerBase, no_content, parse_body, reply


class ServersHandlers(HandlerBase):
    async def list_servers(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.server(x) for x in await self.registry.list_security_servers()])

    async def add_server(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.SecurityServerIn)
        server = convert.server_id(body.id)
        await self.registry.add_security_server(server, body.address, actor=actor)
        return reply(convert.server(await self.registry.get_security_server(server)), 201)

    async def get_server(self, request: web.Request, actor: str) -> web.Response:
        del actor
        server = convert.server_id(request.match_info["server_id"])
        return reply(convert.server(await self.registry.get_security_server(server)))

    async def update_server(self, request: web.Request, actor: str) -> web.Response:
        server = convert.server_id(request.match_info["server_id"])
        body = await parse_body(request, s.SecurityServerPatch)
        # Check it exists first, so an empty patch still answers 404 for an unknown server.
        await self.registry.get_security_server(server)
        if body.address is not None:
            await self.registry.set_server_address(server, body.address, actor=actor)
        if body.maintenance is not None:
            await self.registry.set_maintenance(
                server, body.maintenance, body.maintenance_message, actor=actor
            )
        return reply(convert.server(await self.registry.get_security_server(server)))

    async def delete_server(self, request: web.Request, actor: str) -> web.Response:
        server = convert.server_id(request.match_info["server_id"])
        await self.registry.delete_security_server(server, actor=actor)
        return no_content()

    async def list_auth_certs(self, request: web.Request, actor: str) -> web.Response:
        del actor
        server = convert.server_id(request.match_info["server_id"])
        found = await self.registry.get_security_server(server)
        return reply([s.AuthCert(hash=h.hex()) for h in found.auth_cert_hashes])

    async def add_auth_cert(self, request: web.Request, actor: str) -> web.Response:
        server = convert.server_id(request.match_info["server_id"])
        body = await parse_body(request, s.CertificateIn)
        cert = convert.certificate_bytes(body.certificate, "authentication certificate")
        digest = await self.registry.add_auth_cert(server, cert, actor=actor)
        return reply(s.AuthCert(hash=digest.hex()), 201)

    async def delete_auth_cert(self, request: web.Request, actor: str) -> web.Response:
        server = convert.server_id(request.match_info["server_id"])
        digest = convert.hex_hash(request.match_info["cert_hash"])
        await self.registry.delete_auth_cert(server, digest, actor=actor)
        return no_content()

    async def list_server_clients(self, request: web.Request, actor: str) -> web.Response:
        del actor
        server = convert.server_id(request.match_info["server_id"])
        found = await self.registry.get_security_server(server)
        return reply([s.ClientRef(client=c.to_colon()) for c in found.clients])

    async def add_server_client(self, request: web.Request, actor: str) -> web.Response:
        server = convert.server_id(request.match_info["server_id"])
        body = await parse_body(request, s.ClientRef)
        client = convert.client_id(body.client)
        await self.registry.add_server_client(server, client, actor=actor)
        return reply(s.ClientRef(client=client.to_colon()), 201)

    async def remove_server_client(self, request: web.Request, actor: str) -> web.Response:
        server = convert.server_id(request.match_info["server_id"])
        client = convert.client_id(request.match_info["client_id"])
        await self.registry.remove_server_client(server, client, actor=actor)
        return no_content()

    # ------------------------------------------------------------------ global groups

    async def list_groups(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.group(g) for g in await self.registry.list_global_groups()])

    async def add_group(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.GlobalGroupIn)
        await self.registry.add_global_group(body.code, body.description, actor=actor)
        return reply(convert.group(await self.registry.get_global_group(body.code)), 201)

    async def get_group(self, request: web.Request, actor: str) -> web.Response:
        del actor
        code = request.match_info["group_code"]
        return reply(convert.group(await self.registry.get_global_group(code)))

    async def delete_group(self, request: web.Request, actor: str) -> web.Response:
        await self.registry.delete_global_group(request.match_info["group_code"], actor=actor)
        return no_content()

    async def list_group_members(self, request: web.Request, actor: str) -> web.Response:
        del actor
        found = await self.registry.get_global_group(request.match_info["group_code"])
        return reply([s.ClientRef(client=m.to_colon()) for m in found.members])

    async def add_group_member(self, request: web.Request, actor: str) -> web.Response:
        code = request.match_info["group_code"]
        body = await parse_body(request, s.ClientRef)
        client = convert.client_id(body.client)
        await self.registry.add_group_member(code, client, actor=actor)
        return reply(s.ClientRef(client=client.to_colon()), 201)

    async def remove_group_member(self, request: web.Request, actor: str) -> web.Response:
        code = request.match_info["group_code"]
        client = convert.client_id(request.match_info["client_id"])
        await self.registry.remove_group_member(code, client, actor=actor)
        return no_content()
