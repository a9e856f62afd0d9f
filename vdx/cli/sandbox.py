"""``vdx sandbox``: a whole X-Road federation on 127.0.0.1 in one command.

The test CA (with OCSP and TSA), a central server, two security servers of different members
and the demo provider run as child ``vdx`` processes, each with its own settings file in the
data directory, as on separate hosts. The sandbox then onboards everything through the same
admin REST APIs an operator uses (docs/tutorial-onboarding.md walks the same steps by hand),
prints the endpoints and examples, writes them to ``sandbox.json``, and runs until Ctrl-C.
Started again on the same data directory, it restarts the federation without onboarding.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Annotated

import aiohttp
import typer

from vdx.cli import _sandbox_bootstrap as bootstrap
from vdx.cli import _sandbox_onboard as onboarding
from vdx.cli import _sandbox_summary as summary
from vdx.cli._sandbox_http import AdminApi, status_of, until
from vdx.cli._sandbox_procs import SandboxError, Supervisor
from vdx.cli._sandbox_topology import (
    CONSUMER,
    PARTIES,
    PROVIDER,
    Layout,
    State,
    allocate_ports,
    url,
    write_configs,
)

app = typer.Typer(
    help="A whole federation on this machine, in one command.",
    add_completion=False,
    subcommand_metavar="",
)
READY_SECONDS = 30


class _Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, message: str) -> None:
        typer.echo(f"[{self.elapsed():5.1f}s] {message}")


@app.callback(invoke_without_command=True)
def sandbox(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the federation keeps its files.")
    ] = Path(".vdx-sandbox"),
    port_base: Annotated[
        int | None,
        typer.Option(
            "--port-base",
            help="Use ports N..N+99 (see docs/quickstart.md); default: free ports, kept.",
        ),
    ] = None,
) -> None:
    """Start (or restart) the sandbox federation; Ctrl-C stops it."""
    raise typer.Exit(asyncio.run(_main(data_dir.resolve(), port_base)))


async def _main(data_dir: Path, port_base: int | None) -> int:
    say = _Progress()
    supervisor = Supervisor(Layout(data_dir).logs)
    stopping = asyncio.Event()
    work = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if not stopping.is_set() and work is not None:
            stopping.set()
            work.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    code = 0
    try:
        await _run(data_dir, port_base, supervisor, say)
    except asyncio.CancelledError:
        if not stopping.is_set():
            raise
        typer.echo("\nstopping the sandbox ...")
    except (SandboxError, ValueError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        code = 1
    finally:
        await supervisor.stop_all()
    typer.echo("sandbox stopped")
    return code


async def _run(
    data_dir: Path, port_base: int | None, supervisor: Supervisor, say: _Progress
) -> None:
    layout = Layout(data_dir)
    state = State.load(data_dir)
    restarted = state is not None
    if state is None:
        state = await _create(layout, port_base, say)
    elif not state.onboarded:
        raise SandboxError(
            f"{data_dir} holds a sandbox whose onboarding did not finish; "
            "remove it or choose another --data-dir"
        )
    elif port_base is not None and state.ports["ca"] != port_base:
        say(f"keeping the ports of {data_dir} (the addresses are registered); --port-base ignored")
    ports = state.ports
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        cs = AdminApi(
            session, "central server", url(ports, "cs_admin"), state.api_keys["central_server"]
        )
        servers = {
            p.name: AdminApi(session, p.name, url(ports, f"{p.name}_admin"), state.api_keys[p.name])
            for p in PARTIES
        }
        await _start_base(layout, state, supervisor, say)
        if not restarted:
            trust = {"ocsp_url": url(ports, "ca", "/ocsp"), "tsa_url": url(ports, "ca", "/tsa")}
            await onboarding.setup_registry(cs, layout.ca_dir, trust, say)
            await onboarding.export_anchor(
                cs, url(ports, "cs_conf", "/internalconf"), layout.anchor
            )
            say(f"central server: global configuration published, anchor saved to {layout.anchor}")
        await _start_security_servers(layout, supervisor, say)
        if restarted:
            for party in PARTIES:
                # The software token's PIN is not in the settings: the operator logs in.
                await servers[party.name].call(
                    "POST", "/tokens/login", body={"pin": state.ss_pins[party.name]}
                )
            say("security servers: tokens logged in")
        else:
            await onboarding.onboard_all(
                cs,
                servers,
                session,
                pins=state.ss_pins,
                issue_url=url(ports, "ca", "/issue"),
                ports=ports,
                say=say,
            )
            await onboarding.publish_services(servers[PROVIDER.name], url(ports, "demo"), say)
            state.onboarded, state.onboarding_seconds = True, round(say.elapsed(), 1)
            state.save(data_dir)
        await _wait_ready(session, ports, say)
    data = summary.summary(layout, ports, state.api_keys)
    path = summary.write(layout, data)
    typer.echo(summary.render(data, path, say.elapsed(), restarted))
    typer.echo("sandbox ready")
    crashed = await supervisor.first_exit()
    raise SandboxError(
        f"{crashed.name} exited with {crashed.process.returncode}; {crashed.log}:\n{crashed.tail()}"
    )


async def _create(layout: Layout, port_base: int | None, say: _Progress) -> State:
    if layout.root.exists() and any(layout.root.iterdir()):
        raise SandboxError(f"{layout.root} is not empty and holds no sandbox; choose another")
    layout.root.mkdir(parents=True, exist_ok=True)
    state = State(allocate_ports(port_base))
    state.save(layout.root)
    write_configs(layout, state.ports)
    await asyncio.to_thread(bootstrap.init_test_ca, layout)
    say(f"test CA created in {layout.ca_dir} (root, issuing CA, OCSP responder, TSA)")
    await bootstrap.init_central_server(layout, state)
    await bootstrap.init_security_servers(layout, state)
    state.save(layout.root)
    say("settings written; registry of instance VN and first admin API keys created")
    return state


async def _start_base(layout: Layout, state: State, supervisor: Supervisor, say: _Progress) -> None:
    ports = state.ports
    await asyncio.gather(
        supervisor.start(
            "testca",
            ["testca", "serve", "--dir", str(layout.ca_dir), "--port", str(ports["ca"])],
            ready="test CA serving on",
        ),
        supervisor.start(
            "central-server",
            ["central-server", "run", "--config", str(layout.cs_config)],
            ready="central server running;",
            env={"VDX_CS_TOKEN_PIN": state.cs_token_pin},
        ),
        supervisor.start(
            "demo-provider",
            ["demo-provider", "serve", "--port", str(ports["demo"])],
            ready="demo provider running;",
        ),
    )
    say("started: test CA/OCSP/TSA, central server, demo provider (SOAP + REST)")


async def _start_security_servers(layout: Layout, supervisor: Supervisor, say: _Progress) -> None:
    await asyncio.gather(
        *(
            supervisor.start(
                f"ss-{party.name}",
                ["security-server", "run", "--config", str(layout.ss_config(party))],
                ready="security server running;",
            )
            for party in PARTIES
        )
    )
    say("started: security servers " + ", ".join(p.name for p in PARTIES))


async def _wait_ready(
    session: aiohttp.ClientSession, ports: dict[str, int], say: _Progress
) -> None:
    """Both servers healthy, and a REST and a SOAP call through both answered by the provider."""
    for party in PARTIES:
        health = url(ports, f"{party.name}_admin", "/health")

        async def healthy(health: str = health) -> bool:
            return (await status_of(session, health))[0] == 200

        await until(f"{party.name} healthy ({health})", healthy, READY_SECONDS)
    client = url(ports, "consumer_client")
    rest = f"{client}/r1/{PROVIDER.slash()}/{onboarding.REST_CODE}/hello?name=Sandbox"
    headers = {"X-Road-Client": CONSUMER.slash()}

    async def rest_answers() -> bool:
        return (await status_of(session, rest, headers=headers))[0] == 200

    await until("a REST call through both security servers", rest_answers, READY_SECONDS)

    async def soap_answers() -> bool:
        body = summary.soap_request()
        try:
            async with session.post(
                client, data=body.encode(), headers={"Content-Type": "text/xml"}
            ) as answer:
                return answer.status == 200 and b"Hello Sandbox" in await answer.read()
        except aiohttp.ClientError:
            return False

    await until("a SOAP call through both security servers", soap_answers, READY_SECONDS)
    say("ready: SOAP and REST calls answered through both security servers")
