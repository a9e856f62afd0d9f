"""Run aiohttp applications until Ctrl-C or SIGTERM: the one serving loop of every ``vdx``
command that starts listeners (central server, security server, test CA)."""

from __future__ import annotations

import asyncio
import signal
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import typer
from aiohttp import web

Listener = tuple[web.Application, int, ssl.SSLContext | None]


async def wait_for_stop() -> None:
    """Return on the first SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@asynccontextmanager
async def listening(
    listeners: Mapping[str, Listener], host: str, *, width: int = 13
) -> AsyncIterator[dict[str, int]]:
    """Start every listener, print its URL, yield the bound ports; clean all up on exit,
    including the ones started before a later one failed to bind."""
    runners: list[web.AppRunner] = []
    ports: dict[str, int] = {}
    try:
        for name, (application, port, tls_context) in listeners.items():
            runner = web.AppRunner(application, access_log=None)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, host, port, ssl_context=tls_context).start()
            ports[name] = runner.addresses[0][1]
            scheme = "https" if tls_context else "http"
            typer.echo(f"{name:{width}} {scheme}://{host}:{ports[name]}")
        yield ports
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
