"""The token, its keys and certificates, and authentication-certificate registration: all
through the onboarding service (ss-admin contract §1)."""

from __future__ import annotations

from aiohttp import web

from security_server.admin_api import convert
from security_server.admin_api import schemas as s
from security_server.admin_api._base import (
    HandlerBase,
    no_content,
    parse_body,
    raw_body,
    reply_json,
)
from security_server.admin_api.errors import ApiError
from security_server.onboarding import parse_algorithm, parse_usage


class TokensHandlers(HandlerBase):
    async def login(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.LoginIn)
        await self.onboarding.login(body.pin, actor=actor)
        return no_content()

    async def logout(self, request: web.Request, actor: str) -> web.Response:
        del request
        await self.onboarding.logout(actor=actor)
        return no_content()

    async def token(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply_json((await self.onboarding.token_info()).to_json())

    async def generate_key(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.KeyIn)
        try:
            algorithm = parse_algorithm(body.algorithm)
        except ValueError:
            raise ApiError(400, "invalid", "Unknown key algorithm (e.g. RSA2048)") from None
        info = await self.onboarding.generate_key(
            parse_usage(body.usage), body.label, actor=actor, algorithm=algorithm
        )
        return reply_json(info.to_json(), 201)

    async def delete_key(self, request: web.Request, actor: str) -> web.Response:
        await self.onboarding.delete_key(request.match_info["key_id"], actor=actor)
        return no_content()

    async def create_csr(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.CsrIn, optional=True)
        member = None if body.member is None else convert.member_id(body.member)
        pem = await self.onboarding.create_csr(
            request.match_info["key_id"], member=member, actor=actor
        )
        return web.Response(body=pem, content_type="application/pkcs10")

    async def import_certificate(self, request: web.Request, actor: str) -> web.Response:
        data = await raw_body(request)
        return reply_json(
            (await self.onboarding.import_certificate(data, actor=actor)).to_json(), 201
        )

    async def get_certificate(self, request: web.Request, actor: str) -> web.Response:
        del actor
        info = await self.onboarding.certificate(request.match_info["cert_id"])
        return reply_json(info.to_json())

    async def activate_certificate(self, request: web.Request, actor: str) -> web.Response:
        cert_id = request.match_info["cert_id"]
        return reply_json(
            (await self.onboarding.activate_certificate(cert_id, actor=actor)).to_json()
        )

    async def disable_certificate(self, request: web.Request, actor: str) -> web.Response:
        cert_id = request.match_info["cert_id"]
        return reply_json(
            (await self.onboarding.disable_certificate(cert_id, actor=actor)).to_json()
        )

    async def delete_certificate(self, request: web.Request, actor: str) -> web.Response:
        await self.onboarding.delete_certificate(request.match_info["cert_id"], actor=actor)
        return no_content()

    async def register_certificate(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.RegisterCertIn)
        sent = await self.onboarding.register_auth_certificate(
            request.match_info["cert_id"], body.address, actor=actor
        )
        return reply_json(sent.to_json(), 202)

    async def unregister_certificate(self, request: web.Request, actor: str) -> web.Response:
        sent = await self.onboarding.unregister_auth_certificate(
            request.match_info["cert_id"], actor=actor
        )
        return reply_json(sent.to_json(), 202)
