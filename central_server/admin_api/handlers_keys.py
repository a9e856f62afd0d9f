"""Configuration signing keys: list, generate (announced), activate, retire."""

from __future__ import annotations

import base64
from typing import Literal, cast

from aiohttp import web

from central_server.admin_api import schemas as s
from central_server.admin_api._base import HandlerBase, parse_body, reply
from central_server.admin_api.errors import ApiError
from central_server.conf_keys import ConfSigningKeys, SigningKeyError, SigningKeyInfo

_STATUS = {"not_found": 404, "conflict": 409, "invalid": 400}
_Source = Literal["internal", "external"]
_State = Literal["announced", "active", "retired"]


def signing_key(info: SigningKeyInfo) -> s.SigningKey:
    return s.SigningKey(
        key_id=info.key_id,
        source=cast(_Source, info.source),
        token_id=info.token_id,
        state=cast(_State, str(info.state)),
        cert_hash=info.cert_hash,
        certificate=base64.b64encode(info.cert_der).decode("ascii"),
        created_at=info.created_at,
        activated_at=info.activated_at,
    )


class KeysHandlers(HandlerBase):
    signing_keys: ConfSigningKeys | None = None

    def _keys(self) -> ConfSigningKeys:
        if self.signing_keys is None:
            raise ApiError(
                503, "unavailable", "Signing keys are not on a token here (set token_pin)"
            )
        return self.signing_keys

    async def list_signing_keys(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([signing_key(k) for k in await self._keys().list_keys()])

    async def generate_signing_key(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.SigningKeyIn)
        try:
            info = await self._keys().generate(body.source, actor=actor)
        except SigningKeyError as error:
            raise ApiError(_STATUS[error.code], error.code, error.message) from None
        return reply(signing_key(info), 201)

    async def activate_signing_key(self, request: web.Request, actor: str) -> web.Response:
        try:
            info = await self._keys().activate(request.match_info["key_id"], actor=actor)
        except SigningKeyError as error:
            raise ApiError(_STATUS[error.code], error.code, error.message) from None
        return reply(signing_key(info))

    async def retire_signing_key(self, request: web.Request, actor: str) -> web.Response:
        try:
            info = await self._keys().retire(request.match_info["key_id"], actor=actor)
        except SigningKeyError as error:
            raise ApiError(_STATUS[error.code], error.code, error.message) from None
        return reply(signing_key(info))
