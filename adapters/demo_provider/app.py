"""``create_app()``: the demo SOAP service at ``/soap`` and the REST service under ``/rest``."""

from __future__ import annotations

from aiohttp import web

from adapters.demo_provider import rest, soap

SOAP_PATH = "/soap"
REST_PREFIX = "/rest"
OPENAPI_PATH = "/rest/openapi.json"


async def _openapi(request: web.Request) -> web.Response:
    base = str(request.url.with_path(REST_PREFIX).with_query(None))
    return web.json_response(rest.openapi(base))


def create_app() -> web.Application:
    app = web.Application(client_max_size=rest.MAX_ECHO_BYTES)
    app.router.add_route("*", SOAP_PATH, soap.soap_endpoint)
    app.router.add_get(OPENAPI_PATH, _openapi)
    app.router.add_get(f"{REST_PREFIX}/random", rest.random_number)
    app.router.add_get(f"{REST_PREFIX}/hello", rest.hello)
    app.router.add_post(f"{REST_PREFIX}/echo", rest.echo)
    return app
