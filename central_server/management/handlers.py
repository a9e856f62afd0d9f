"""HTTP endpoints of the registration service (4001) and the management service (4002).

    POST {path}                       a management request (SOAP or the signed multipart);
                                      answers the SOAP response with requestId, or a SOAP fault
    GET  {path}requests/{id}?server=  the request's state as JSON, for the server that sent it

The composition root serves the registration service (``authCertReg`` only) on its own TLS
listener and the management service (every other type) on another, both from one
:class:`ManagementService`. The body is read in chunks up to the limit and never further, so an
oversized request (50 MB) is refused after at most ``max_body_bytes``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import structlog
from aiohttp import web

from central_server.management.service import ManagementService, RequestNotFoundError
from vdx.errors import Code, Origin, XRoadError
from vdx.message import faults
from vdx.message.management import (
    DEFAULT_MAX_BYTES,
    ManagementLimits,
    RequestType,
    decode_request,
    encode_response,
)

DEFAULT_PATH = "/managementservice/"
REGISTRATION_TYPES = frozenset({RequestType.AUTH_CERT_REG})
MANAGEMENT_TYPES = frozenset(RequestType) - REGISTRATION_TYPES
_CHUNK = 64 * 1024
_log = structlog.get_logger(__name__)


class ManagementHandlers:
    def __init__(
        self,
        service: ManagementService,
        *,
        types: Iterable[RequestType],
        max_body_bytes: int = DEFAULT_MAX_BYTES,
        origin: str = "security-server",
    ) -> None:
        self._service = service
        self._types = frozenset(types)
        self._limits = ManagementLimits(max_bytes=max_body_bytes)
        self._origin = origin

    async def post(self, request: web.Request) -> web.Response:
        try:
            body = await _read_limited(request, self._limits.max_bytes)
            decoded = decode_request(body, request.headers.get("Content-Type"), self._limits)
            if decoded.body.type not in self._types:
                raise XRoadError(
                    Code.UNKNOWN_SERVICE, f"{decoded.body.type} is not served at this address"
                )
            record = await self._service.submit(decoded, origin=self._origin)
        except XRoadError as error:
            return _fault(error.attributed_to(Origin.CLIENT))
        except Exception:  # noqa: BLE001 - the boundary: no stack trace leaves the server
            internal = XRoadError(Code.INTERNAL_ERROR, "Internal error", Origin.SERVER)
            _log.exception("management request failed", detail=internal.detail)
            return _fault(internal)
        _log.info(
            "management request stored",
            request_id=record.id,
            type=str(record.type),
            state=str(record.state),
            message_id=record.message_id,
        )
        return web.Response(
            body=encode_response(decoded, record.id),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )

    async def state(self, request: web.Request) -> web.Response:
        try:
            request_id = int(request.match_info["id"])
            record = await self._service.status(request_id, request.query.get("server", ""))
        except (ValueError, RequestNotFoundError):
            return web.json_response({"error": "no such request"}, status=404)
        return web.json_response(
            {
                "id": record.id,
                "type": str(record.type),
                "state": str(record.state),
                "created_at": record.created_at.isoformat(),
                "decided_at": record.decided_at.isoformat() if record.decided_at else None,
            },
            dumps=json.dumps,
        )


def _fault(error: XRoadError) -> web.Response:
    _log.info("management request refused", code=error.fault_code, detail=error.detail)
    rendered = faults.soap_fault(error)
    return web.Response(status=rendered.status, body=rendered.body, headers=dict(rendered.headers))


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit`` (never buffered whole)."""
    too_big = XRoadError(Code.INVALID_REQUEST, f"Request larger than {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def setup_management_services(
    app: web.Application,
    *,
    service: ManagementService,
    types: Iterable[RequestType] = MANAGEMENT_TYPES,
    path: str = DEFAULT_PATH,
    max_body_bytes: int = DEFAULT_MAX_BYTES,
    origin: str = "security-server",
) -> ManagementHandlers:
    """Add the POST endpoint for ``types`` and the state endpoint under ``path`` to ``app``.

    The registration listener (4001) passes ``types=REGISTRATION_TYPES``; the management
    listener (4002) keeps the default ``MANAGEMENT_TYPES``.
    """
    handlers = ManagementHandlers(
        service, types=types, max_body_bytes=max_body_bytes, origin=origin
    )
    base = path if path.endswith("/") else f"{path}/"
    app.router.add_post(base, handlers.post)
    if base != "/":
        app.router.add_post(base.rstrip("/"), handlers.post)
    app.router.add_get(base + r"requests/{id:\d{1,18}}", handlers.state)
    return handlers
