"""The demo REST service and its OpenAPI 3 document.

``GET /random`` -> ``{"data": n}``; ``GET /hello?name=N`` -> ``{"message": ...}``;
``POST /echo`` returns the JSON it was sent (to exercise request bodies through the exchange).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

MAX_ECHO_BYTES = 1024 * 1024


def openapi(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3 description; ``server_url`` is where the security server calls."""
    text = {"type": "object", "properties": {"message": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "VDX demo REST service", "version": "1.0.0"},
        "servers": [{"url": server_url}],
        "paths": {
            "/random": {
                "get": {
                    "operationId": "getRandom",
                    "responses": {
                        "200": {
                            "description": "A random number 1..100",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"data": {"type": "integer"}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/hello": {
                "get": {
                    "operationId": "hello",
                    "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "A greeting",
                            "content": {"application/json": {"schema": text}},
                        }
                    },
                }
            },
            "/echo": {
                "post": {
                    "operationId": "echo",
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {"200": {"description": "The request body"}},
                }
            },
        },
    }


async def random_number(_request: web.Request) -> web.Response:
    return web.json_response({"data": 1 + secrets.randbelow(100)})


async def hello(request: web.Request) -> web.Response:
    name = request.query.get("name", "").strip() or "stranger"
    return web.json_response({"message": f"Hello {name}! Greetings from adapter server!"})


async def echo(request: web.Request) -> web.Response:
    body = await request.content.read(MAX_ECHO_BYTES + 1)
    if len(body) > MAX_ECHO_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_ECHO_BYTES, actual_size=len(body))
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return web.json_response({"error": "the body is not JSON"}, status=400)
    return web.json_response(data)
