"""Two security servers on 127.0.0.1 for the proxy tests (no tests here).

The federation of :mod:`tests.unit.security_server.exchange_support` with its addresses and
service URLs pointing at real, ephemeral ports: the consumer's client proxy (plain HTTP),
both server proxies (mutual TLS with the test PKI's auth certificates), and the producer's
SOAP and REST services. Every context reads through :class:`Current`, so a test swaps the
configuration as the composition root would.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from security_server.confclient.model import GlobalConfiguration, build_configuration
from security_server.exchange import SigningMaterial
from security_server.ocsp_responder import create_ocsp_responder
from security_server.proxy import (
    AuthMaterial,
    ProxyContext,
    create_client_proxy,
    create_client_proxy_tls,
    create_server_proxy,
    peer_ocsp,
    server_ssl_context,
)
from security_server.proxy.evidence import NO_EVIDENCE, Evidence
from security_server.serverconf.model import (
    BASE_ENDPOINT,
    ClientState,
    ConnectionType,
    DescriptionKind,
    ServerIdentity,
)
from security_server.serverconf.snapshot import (
    ClientEntry,
    Grant,
    ServerConfSnapshot,
    ServiceEntry,
    build_snapshot,
)
from tests.unit.crypto import pki
from tests.unit.security_server import exchange_support as es
from vdx.globalconf.model import SecurityServer
from vdx.identifiers import ClientId
from vdx.message import multipart
from vdx.message.soap_model import NS_SOAP11

HOST = "127.0.0.1"
ROGUE = "SS-X"  # an auth certificate from the approved CA, registered to nobody


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with bound_socket() as sock:
        return port_of(sock)


def auth_material(server_code: str) -> AuthMaterial:
    return AuthMaterial(es.auth_cert(server_code), pki.key(f"auth-{server_code}"))


def configuration(
    consumer_address: str,
    producer_address: str,
    *,
    expire: datetime | None = None,
    consumer_clients: tuple[ClientId, ...] | None = None,
    extra_servers: tuple[SecurityServer, ...] = (),
) -> GlobalConfiguration:
    """The federation's configuration; ``consumer_clients`` replaces SS-C's registered clients
    (e.g. ``()``: the consumer's subsystem lost its membership there); ``extra_servers`` are
    added (e.g. a second server of the producer)."""
    shared = es.shared_parameters(producer_address=producer_address)
    servers = (
        tuple(
            dataclasses.replace(
                s,
                address=consumer_address,
                clients=s.clients if consumer_clients is None else consumer_clients,
            )
            if s.server_code == "SS-C"
            else s
            for s in shared.security_servers
        )
        + extra_servers
    )
    return build_configuration(
        dataclasses.replace(shared, security_servers=servers),
        None,
        expire_date=expire or es.NOW + timedelta(minutes=10),
        version=4,
        source_url="http://cs.test/internalconf",
        directory_digest=b"\0" * 32,
    )


def producer_soap_serverconf(
    service_url: str,
    *,
    timeout: int = 5,
    disabled_notice: str | None = None,
    state: ClientState = ClientState.REGISTERED,
    tls_verify: bool = True,
    is_certs: tuple[bytes, ...] = (),
) -> ServerConfSnapshot:
    """SS-P's SOAP services; ``state`` is the provider's client state on SS-P, ``is_certs``
    its information systems' TLS certificates (DER)."""
    services = [
        ServiceEntry(s, DescriptionKind.WSDL, service_url, timeout, tls_verify, disabled_notice)
        for s in (es.GET_STATE, es.CLOSED)
    ]
    return build_snapshot(
        ServerIdentity(es.SS_P),
        [ClientEntry(es.PRODUCER, state, ConnectionType.HTTP, is_certs)],
        services,
        [Grant(es.GET_STATE, BASE_ENDPOINT, es.CONSUMER)],
        {},
    )


def producer_rest_serverconf(base_url: str) -> ServerConfSnapshot:
    pets = ServiceEntry(
        es.PETS,
        DescriptionKind.OPENAPI3,
        base_url,
        5,
        True,
        endpoints=(BASE_ENDPOINT, es.PETS_READ),
    )
    return build_snapshot(
        ServerIdentity(es.SS_P),
        [ClientEntry(es.PRODUCER_REST, ClientState.REGISTERED, ConnectionType.HTTP)],
        [pets],
        [Grant(es.PETS, es.PETS_READ, es.CONSUMER_APP)],
        {},
    )


@dataclass
class Current:
    """What the providers return now; tests replace fields to swap configuration.

    ``producer_conf`` (when set) is SS-P's own copy of the global configuration; ``auth_ocsp``
    (by server code) and ``signing`` (by member code) replace the OCSP responses a server
    staples for its auth certificate and a member's signing material.
    """

    conf: GlobalConfiguration
    consumer_serverconf: ServerConfSnapshot
    producer_serverconf: ServerConfSnapshot
    producer_conf: GlobalConfiguration | None = None
    auth_ocsp: dict[str, tuple[bytes, ...]] = field(default_factory=dict)
    signing: dict[str, SigningMaterial] = field(default_factory=dict)
    # What SS-P's OCSP listener (pr-messtransp §3) serves: hex SHA-1 of a cert -> response.
    producer_ocsp_listener: dict[str, bytes] | None = None


def context(
    current: Current,
    server_code: str,
    *,
    producer: bool,
    auth_code: str | None = None,
    peer_ocsp_port: int | None = None,
    evidence: Evidence = NO_EVIDENCE,
) -> ProxyContext:
    auth = auth_material(auth_code or server_code)
    ocsp = (es.ocsp(auth.certificate),)

    def conf() -> GlobalConfiguration:
        return (current.producer_conf if producer else None) or current.conf

    def serverconf() -> ServerConfSnapshot:
        return current.producer_serverconf if producer else current.consumer_serverconf

    def signing(member: ClientId) -> SigningMaterial:
        code = member.member_code
        return current.signing.get(code) or es.signing(code)

    return ProxyContext(
        conf=conf,
        serverconf=serverconf,
        trust=lambda: conf().trust,
        signing=signing,
        auth=lambda: auth,
        auth_ocsp=lambda: current.auth_ocsp.get(server_code, ocsp),
        clock=lambda: es.NOW,
        peer_port=1,  # every address here carries its port
        peer_ocsp_port=peer_ocsp_port,
        # Every provider of the test federation (relays and extra servers included) has its
        # OCSP responses at the one producer listener.
        peer_ocsp_address=None
        if peer_ocsp_port is None
        else (lambda _a: f"{HOST}:{peer_ocsp_port}"),
        evidence=evidence,
    )


def producer_ocsp_listener(current: Current) -> web.Application:
    """SS-P's OCSP listener: its auth certificate's good response unless a test says else."""
    default = {peer_ocsp.cert_hash(der(es.auth_cert("SS-P"))): es.ocsp(es.auth_cert("SS-P"))}

    def responses() -> dict[str, bytes]:
        found = current.producer_ocsp_listener
        return default if found is None else found

    return create_ocsp_responder(responses)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


# ---------------------------------------------------------------- the producer's services


def state_answer(request_xml: bytes) -> bytes:
    """getstate.answer's shape: the request's header, ``getStateResponse`` echoing the value."""
    head, _, rest = request_xml.partition(b"<SOAP-ENV:Body>")
    value = rest.split(b"<xroad:getState>", 1)[1].split(b"</xroad:getState>", 1)[0]
    body = (
        b"<SOAP-ENV:Body><xroad:getStateResponse><response>"
        + value
        + b"</response></xroad:getStateResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    return head + body


CALLS = web.AppKey("calls", list[str])
RELEASE = web.AppKey("release", asyncio.Event)
SLOW_LIMIT = 30.0  # the slow service answers at the latest then, released or not
FORGED = {  # what a careless service writes where the provider's server speaks (pr-rest §4.3)
    "X-Road-Id": "forged-id",
    "X-Road-Client": "EE/BUSINESS/stranger",
    "X-Road-Service": "EE/BUSINESS/stranger/X/forged",
    "X-Road-Request-Hash": "Zm9yZ2Vk",
}


async def _soap_service(request: web.Request) -> web.Response:
    request.app[CALLS].append(request.path)
    answer = state_answer(await request.read())
    return web.Response(body=answer, headers={"Content-Type": "text/xml; charset=utf-8"})


async def _slow_soap_service(request: web.Request) -> web.Response:
    """Answers only when the test releases it: longer than any service timeout here."""
    request.app[CALLS].append(request.path)
    body = await request.read()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(request.app[RELEASE].wait(), SLOW_LIMIT)
    return web.Response(body=state_answer(body), headers={"Content-Type": "text/xml"})


async def _echo_attachments(request: web.Request) -> web.Response:
    """A SOAP service with attachments (SwA or MTOM): answers getState and returns every
    attachment it received, headers and bytes as they came, after its own root part."""
    request.app[CALLS].append(request.path)
    body = await request.read()
    media = multipart.parse_content_type(request.headers.get("Content-Type"))
    boundary = media.param("boundary")
    if media.media_type != "multipart/related" or boundary is None:
        return web.Response(status=400, text="expected multipart/related")
    root, *attachments = multipart.split(body, boundary)
    answer_root = multipart.Part(root.headers, state_answer(root.body))
    out = multipart.new_boundary("echo")
    kind = media.param("type") or "text/xml"
    return web.Response(
        body=multipart.build([answer_root, *attachments], out),
        headers={"Content-Type": f'multipart/related; type="{kind}"; boundary={out}'},
    )


async def _pet(request: web.Request) -> web.Response:
    request.app[CALLS].append(request.path)
    headers = FORGED if request.query.get("forge") == "yes" else None
    return web.json_response(
        {"id": request.match_info["pet_id"], "client": request.headers.get("X-Road-Client")},
        headers=headers,
    )


def services_app(calls: list[str], release: asyncio.Event | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)  # large attachments pass
    app[CALLS] = calls
    app[RELEASE] = release or asyncio.Event()
    app.router.add_post("/soap", _soap_service)
    app.router.add_post("/slow", _slow_soap_service)
    app.router.add_post("/echo", _echo_attachments)
    app.router.add_get("/api/pets/{pet_id}", _pet)
    return app


# ---------------------------------------------------------------- the running federation


@dataclass
class Federation:
    current: Current
    client_proxy_url: str
    producer_port: int
    consumer_port: int
    service_url: str
    rest_url: str
    rogue_port: int
    service_calls: list[str] = field(default_factory=list)
    runners: list[web.AppRunner] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    # With federation(client_tls=...): the client proxy's HTTPS side and its internal cert.
    client_proxy_tls_url: str = ""
    internal_cert: Path | None = None

    def swap_producer_address(self, port: int) -> None:
        self.current.conf = configuration(f"{HOST}:{self.consumer_port}", f"{HOST}:{port}")

    def configuration(self, **options: Any) -> GlobalConfiguration:
        """The federation's configuration with :func:`configuration`'s ``options``."""
        return configuration(
            f"{HOST}:{self.consumer_port}", f"{HOST}:{self.producer_port}", **options
        )


async def _serve(
    federation_runners: list[web.AppRunner],
    app: web.Application,
    sock: socket.socket,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock, ssl_context=ssl_context)
    await site.start()
    federation_runners.append(runner)


@asynccontextmanager
async def federation(
    client_tls: Path | None = None, evidence: Mapping[str, Evidence] | None = None
) -> AsyncIterator[Federation]:
    """The running federation; with ``client_tls`` (a data directory) the consumer's client
    proxy also serves HTTPS with the internal TLS certificate generated there; ``evidence``
    (by server code, ``SS-C`` / ``SS-P``) gives a server its message log and operational
    monitoring hooks (test_exchange_evidence builds real ones)."""
    evidence = evidence or {}
    socks = {
        name: bound_socket()
        for name in ("client", "client_tls", "consumer", "producer", "rogue", "is", "ocsp")
    }
    ports = {name: port_of(sock) for name, sock in socks.items()}
    service_base = f"http://{HOST}:{ports['is']}"
    current = Current(
        configuration(f"{HOST}:{ports['consumer']}", f"{HOST}:{ports['producer']}"),
        es.consumer_serverconf(),
        producer_soap_serverconf(f"{service_base}/soap"),
    )
    fed = Federation(
        current,
        f"http://{HOST}:{ports['client']}",
        ports["producer"],
        ports["consumer"],
        f"{service_base}/soap",
        f"{service_base}/api/",
        ports["rogue"],
    )
    trust = current.conf.trust
    consumer_ctx = context(
        current,
        "SS-C",
        producer=False,
        peer_ocsp_port=ports["ocsp"],
        evidence=evidence.get("SS-C", NO_EVIDENCE),
    )
    producer_ctx = context(
        current, "SS-P", producer=True, evidence=evidence.get("SS-P", NO_EVIDENCE)
    )
    rogue_ctx = context(current, "SS-P", producer=True, auth_code=ROGUE)
    try:
        await _serve(fed.runners, services_app(fed.service_calls, fed.release), socks["is"])
        await _serve(fed.runners, producer_ocsp_listener(current), socks["ocsp"])
        await _serve(fed.runners, create_client_proxy(consumer_ctx), socks["client"])
        if client_tls is not None:
            tls_ctx = create_client_proxy_tls(client_tls, consumer_ctx.serverconf, es.NOW, HOST)
            await _serve(
                fed.runners, create_client_proxy(consumer_ctx), socks["client_tls"], tls_ctx
            )
            fed.client_proxy_tls_url = f"https://{HOST}:{ports['client_tls']}"
            fed.internal_cert = client_tls / "internal-tls" / "internal.crt"
        for name, ctx in (
            ("consumer", consumer_ctx),
            ("producer", producer_ctx),
            ("rogue", rogue_ctx),
        ):
            tls = server_ssl_context(ctx.auth(), trust)
            await _serve(fed.runners, create_server_proxy(ctx), socks[name], ssl_context=tls)
        yield fed
    finally:
        fed.release.set()  # a slow service still waiting answers now, so cleanup is quick
        for runner in reversed(fed.runners):
            await runner.cleanup()
        for sock in socks.values():
            sock.close()


__all__ = ["Federation", "federation"]


# ---------------------------------------------------------------- talking to the client proxy


def soap_query(service_code: str = "getState", **replacements: str) -> es.Query:
    """getstate.query with a fresh message id; the service code names the header and body."""
    values = {"411d6755661409fed365ad8135f8210be07613da": str(uuid.uuid4())}
    values["getState"] = service_code
    values.update(replacements)
    return es.query("getstate.query", values)


async def call(
    method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request as an information system makes it: status, headers and body."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=body, headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def soap_fault(body: bytes) -> tuple[str, str, str]:
    """``faultcode``, ``faultstring`` and ``faultDetail``, which must be a UUID (pr-mess §2.5)."""
    root = etree.fromstring(body)
    fault = root.find(f".//{{{NS_SOAP11}}}Fault")
    assert fault is not None, body
    code, string = fault.findtext("faultcode"), fault.findtext("faultstring")
    detail = fault.findtext("detail/faultDetail")
    assert code is not None
    assert string is not None
    assert detail is not None
    uuid.UUID(detail)
    return code, string, detail


def logged(logs: Sequence[Mapping[str, Any]], code: str, detail: str) -> bool:
    """The structured log holds the refusal the caller received (code and detail UUID)."""
    return any(
        e["event"] == "exchange_refused"
        and e.get("fault_code") == code
        and e.get("fault_detail") == detail
        for e in logs
    )
