"""Refusals become responses here, through :mod:`vdx.message.faults` only.

Each rendered error is logged once with its detail UUID, so the operator finds the caller's
``faultDetail`` / ``detail`` in the structured log (pr-mess §2.5).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from vdx.errors import Code, Origin, XRoadError
from vdx.message import faults

log = structlog.get_logger("security_server.proxy")


def _response(rendered: faults.RenderedFault) -> web.Response:
    return web.Response(status=rendered.status, headers=dict(rendered.headers), body=rendered.body)


def soap_fault(error: XRoadError, origin: Origin, **fields: object) -> web.Response:
    rendered = faults.soap_fault(error, origin)
    _log(error.attributed_to(origin), **fields)
    return _response(rendered)


def rest_error(
    error: XRoadError, origin: Origin, accept: str | None, **fields: object
) -> web.Response:
    rendered = faults.rest_error(error, origin, accept)
    _log(error.attributed_to(origin), **fields)
    return _response(rendered)


def _log(error: XRoadError, **fields: object) -> None:
    log.warning(
        "exchange_refused",
        fault_code=error.fault_code,
        fault_detail=error.detail,
        reason=error.message,
        **fields,
    )


def unexpected(exc: Exception, origin: Origin) -> XRoadError:
    """An unforeseen failure: logged with its type only, answered as ``InternalError``."""
    return XRoadError(Code.INTERNAL_ERROR, f"Internal error ({type(exc).__name__})", origin)
