"""One hop of the baseline chain: a plain aiohttp reverse proxy, no security work.

``client`` role: plain HTTP in, mutual TLS out (presents the client certificate, verifies the
server's against the bench CA). ``server`` role: mutual TLS in (requires and verifies the
client certificate), plain HTTP out to the service. Both keep pooled keep-alive connections
upstream and read whole bodies, as a security server must before it signs. Run as
``python -m benchmarks.baseline_proxy --role client|server ...``; prints ``proxy ready`` once
it listens, and stops on SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from benchmarks.pki import HOST

FORWARDED = ("Content-Type", "SOAPAction", "Accept")
MAX_BODY = 4 * 1024 * 1024
POOL = 256
UPSTREAM = web.AppKey("upstream", aiohttp.ClientSession)


def _keep(name: str, names: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return lowered.startswith("x-road-") or any(lowered == n.lower() for n in names)


def build(role: str, upstream: str, pki: Path) -> tuple[web.Application, ssl.SSLContext | None]:
    """The proxy app and, for the server role, the TLS context it listens with."""
    outbound: ssl.SSLContext | bool = False
    inbound: ssl.SSLContext | None = None
    if role == "client":
        outbound = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(pki / "ca.pem"))
        outbound.load_cert_chain(pki / "client.pem", pki / "client.key")
    else:
        inbound = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki / "ca.pem"))
        inbound.load_cert_chain(pki / "server.pem", pki / "server.key")
        inbound.verify_mode = ssl.CERT_REQUIRED

    async def session_context(app: web.Application) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=POOL, keepalive_timeout=60, ssl=outbound)
        async with aiohttp.ClientSession(connector=connector) as session:
            app[UPSTREAM] = session
            yield

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if _keep(k, FORWARDED)}
        async with request.app[UPSTREAM].request(
            request.method, upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            content = await answer.read()
            back = {k: v for k, v in answer.headers.items() if _keep(k, ("Content-Type",))}
            return web.Response(body=content, status=answer.status, headers=back)

    app = web.Application(client_max_size=MAX_BODY)
    app.cleanup_ctx.append(session_context)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app, inbound


async def serve(role: str, port: int, upstream: str, pki: Path) -> None:
    app, tls = build(role, upstream, pki)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, ssl_context=tls, backlog=1024)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"proxy ready: {role} on {HOST}:{port} -> {upstream}", flush=True)  # noqa: T201
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", choices=("client", "server"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="base URL, e.g. https://127.0.0.1:9")
    parser.add_argument("--pki", type=Path, required=True, help="folder written by pki.create")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.role, args.port, args.upstream.rstrip("/"), args.pki))


if __name__ == "__main__":
    main(sys.argv[1:])
