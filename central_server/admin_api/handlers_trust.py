"""Approved CAs (with intermediates and OCSP responders) and approved TSAs.

A CA is approved whole, with its intermediates and responders, as the registry's ``add_ca``
takes it; its parts are read-only sub-resources here (change one by replacing the CA).
"""

from __future__ import annotations

from aiohttp import web

from central_server.admin_api import convert
from central_server.admin_api import schemas as s
from central_server.admin_api._base import HandlerBase, no_content, parse_body, reply
from central_server.registry import CaSpec, TsaInfo
from central_server.registry.errors import not_found


class TrustHandlers(HandlerBase):
    async def _ca(self, name: str) -> CaSpec:
        for ca in await self.registry.list_cas():
            if ca.name == name:
                return ca
        raise not_found(f"CA {name[:100]!r} does not exist")

    async def _tsa(self, name: str) -> TsaInfo:
        for tsa in await self.registry.list_tsas():
            if tsa.name == name:
                return tsa
        raise not_found(f"TSA {name[:100]!r} does not exist")

    async def list_cas(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.ca(ca) for ca in await self.registry.list_cas()])

    async def add_ca(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.CaIn)
        await self.registry.add_ca(convert.ca_spec(body), actor=actor)
        return reply(convert.ca(await self._ca(body.name)), 201)

    async def get_ca(self, request: web.Request, actor: str) -> web.Response:
        del actor
        return reply(convert.ca(await self._ca(request.match_info["name"])))

    async def delete_ca(self, request: web.Request, actor: str) -> web.Response:
        await self.registry.delete_ca(request.match_info["name"], actor=actor)
        return no_content()

    async def list_intermediates(self, request: web.Request, actor: str) -> web.Response:
        del actor
        ca = await self._ca(request.match_info["name"])
        return reply([convert.intermediate(i) for i in ca.intermediates])

    async def list_ocsp_responders(self, request: web.Request, actor: str) -> web.Response:
        del actor
        return reply(convert.ca(await self._ca(request.match_info["name"])).ocsp)

    async def list_tsas(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.tsa(tsa) for tsa in await self.registry.list_tsas()])

    async def add_tsa(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.TsaIn)
        cert = convert.certificate_bytes(body.certificate, "TSA certificate")
        await self.registry.add_tsa(body.name, body.url, cert, priority=body.priority, actor=actor)
        return reply(convert.tsa(await self._tsa(body.name)), 201)

    async def get_tsa(self, request: web.Request, actor: str) -> web.Response:
        del actor
        return reply(convert.tsa(await self._tsa(request.match_info["name"])))

    async def delete_tsa(self, request: web.Request, actor: str) -> web.Response:
        await self.registry.delete_tsa(request.match_info["name"], actor=actor)
        return no_content()
