"""The onboarding of the sandbox federation, step by step over the admin REST APIs.

The same journey as docs/tutorial-onboarding.md (and tests/e2e/federation.py) with ``vdx cs``
and ``vdx ss``: the central server's registry and trust services, then on each security server
(security server user guide §3-§4): initialisation, auth and sign keys, CSRs, certificates
from the CA, authCertReg approved on the central server, activation, the subsystem added and
registered (clientReg approved); finally the provider's service descriptions and access rights.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from vdx.cli._sandbox_http import AdminApi, post_bytes, segment, until
from vdx.cli._sandbox_topology import CONSUMER, HOST, MEMBER_CLASSES, PARTIES, PROVIDER, Party
from vdx.crypto.cert_profile import DEFAULT_PROVIDER

Say = Callable[[str], None]
# Waits for a decision to travel: approval -> next configuration generation -> download.
DECISION_SECONDS = 30
# The demo provider's REST service code and the SOAP services its WSDL describes.
REST_CODE = "demo"
SOAP_CODES = ("getRandom.v1", "helloService.v1")


async def setup_registry(cs: AdminApi, ca_dir: Path, trust: dict[str, str], say: Say) -> None:
    """Member classes, members, subsystems, the approved CA (with OCSP) and the TSA."""
    for code, description in MEMBER_CLASSES:
        await cs.call("POST", "/member-classes", body={"code": code, "description": description})
    say(f"member classes {', '.join(c for c, _ in MEMBER_CLASSES)}")
    for party in PARTIES:
        await cs.call("POST", "/members", body={"id": party.owner, "name": party.member_name})
        await cs.call(
            "POST",
            f"/members/{segment(party.owner)}/subsystems",
            body={"code": party.subsystem_code, "name": party.subsystem_name},
        )
        say(f"member {party.owner} ({party.member_name}) with subsystem {party.subsystem_code}")
    pem = {name: (ca_dir / f"{name}.pem").read_text() for name in ("root-ca", "issuing-ca")}
    ocsp = {"url": trust["ocsp_url"], "certificate": (ca_dir / "ocsp.pem").read_text()}
    await cs.call(
        "POST",
        "/approved-cas",
        body={
            "name": "VDX-Test-CA",
            "certificate": pem["root-ca"],
            "certificate_profile_info": DEFAULT_PROVIDER,
            # The OCSP responder belongs to the CA that issues member certificates.
            "intermediates": [{"certificate": pem["issuing-ca"], "ocsp": [ocsp]}],
        },
    )
    await cs.call(
        "POST",
        "/approved-tsas",
        body={
            "name": "VDX-Test-TSA",
            "url": trust["tsa_url"],
            "certificate": (ca_dir / "tsa.pem").read_text(),
        },
    )
    say("trust services: approved CA (with its OCSP responder) and TSA")


async def export_anchor(cs: AdminApi, conf_url: str, out: Path) -> None:
    """Wait for a signed configuration, then save the anchor security servers start from."""

    async def published() -> bool:
        status = await cs.call("GET", "/configuration/status")
        return bool(status.get("available"))

    await until("the first signed global configuration", published)
    anchor = await cs.call("GET", "/configuration/anchor", query={"url": conf_url})
    await asyncio.to_thread(out.write_text, anchor)


async def _approve(cs: AdminApi, kind: str, party: Party, say: Say) -> None:
    async def pending() -> list[dict[str, Any]]:
        found = await cs.call("GET", "/management-requests", query={"state": "pending"})
        return [r for r in found if r["type"] == kind and party.server_code in r["server"]]

    for request in await until(f"a pending {kind} from {party.name}", pending, DECISION_SECONDS):
        await cs.call("POST", f"/management-requests/{request['id']}/approve")
        say(f"{party.name}: {kind} #{request['id']} approved on the central server")


async def _certificate(
    ss: AdminApi, session: aiohttp.ClientSession, issue_url: str, party: Party, usage: str
) -> str:
    key = await ss.call("POST", "/keys", body={"usage": usage, "label": f"{usage}-key"})
    body = {"member": party.owner} if usage == "sign" else {}
    csr = await ss.call("POST", f"/keys/{segment(key['id'])}/csr", body=body)
    cert = await post_bytes(
        session, f"{issue_url}?profile={usage}", csr.encode(), "application/pkcs10"
    )
    found = await ss.call("POST", "/certificates", raw=cert, content_type="application/x-pem-file")
    return str(found["id"])


async def onboard(
    cs: AdminApi,
    ss: AdminApi,
    session: aiohttp.ClientSession,
    *,
    party: Party,
    pin: str,
    issue_url: str,
    server_port: int,
    say: Say,
) -> None:
    """One security server from an empty database to a registered subsystem."""
    await ss.call(
        "POST",
        "/system/initialize",
        body={
            "owner_member_class": party.member_class,
            "owner_member_code": party.member_code,
            "server_code": party.server_code,
            "pin": pin,
        },
        # The instance comes from the first configuration download after start.
        retry_unavailable=DECISION_SECONDS,
    )
    say(f"{party.name}: initialised as {party.owner}:{party.server_code}")
    auth = await _certificate(ss, session, issue_url, party, "auth")
    await _certificate(ss, session, issue_url, party, "sign")
    say(f"{party.name}: auth and sign keys, CSRs, certificates issued by the test CA, imported")
    await ss.call(
        "POST", f"/certificates/{auth}/register", body={"address": f"{HOST}:{server_port}"}
    )
    await _approve(cs, "authCertReg", party, say)

    async def registered() -> bool:
        return bool((await ss.call("GET", f"/certificates/{auth}"))["status"] == "registered")

    await until(f"{party.name}'s auth certificate registered", registered, DECISION_SECONDS)
    await ss.call("POST", f"/certificates/{auth}/activate")
    say(f"{party.name}: auth certificate registered and activated")
    # The demo information systems speak plain HTTP (connection type HTTP); the owner member
    # too, as the client of the WSDL download (`/wsdl?...`).
    await ss.call("POST", "/clients", body={"id": party.subsystem, "connection_type": "HTTP"})
    await ss.call("PATCH", f"/clients/{segment(party.owner)}", body={"connection_type": "HTTP"})
    await ss.call("POST", f"/clients/{segment(party.subsystem)}/register")
    await _approve(cs, "clientReg", party, say)

    async def client_registered() -> bool:
        found = await ss.call("GET", f"/clients/{segment(party.subsystem)}")
        return bool(found["state"] == "registered")

    await until(f"{party.name}'s subsystem registered", client_registered, DECISION_SECONDS)
    say(f"{party.name}: subsystem {party.subsystem} registered")


async def publish_services(provider: AdminApi, demo_url: str, say: Say) -> None:
    """The provider's WSDL and OpenAPI descriptions, enabled, opened to the consumer."""
    path = f"/clients/{segment(PROVIDER.subsystem)}/service-descriptions"
    added = [
        await provider.call("POST", path, body={"type": "WSDL", "url": f"{demo_url}/soap?wsdl"}),
        await provider.call(
            "POST",
            path,
            body={
                "type": "OPENAPI3",
                "url": f"{demo_url}/rest/openapi.json",
                "service_code": REST_CODE,
            },
        ),
    ]
    # New descriptions start disabled, as in X-Road: the administrator enables them.
    for description in added:
        await provider.call("POST", f"/service-descriptions/{description['id']}/enable")
    say("provider: WSDL (getRandom, helloService) and OpenAPI (demo) descriptions enabled")
    for code in (*SOAP_CODES, REST_CODE):
        await provider.call(
            "POST",
            f"/services/{segment(f'{PROVIDER.subsystem}:{code}')}/access-rights",
            body={"subject": CONSUMER.subsystem},
        )
    say(f"provider: access to {', '.join((*SOAP_CODES, REST_CODE))} granted to {CONSUMER.name}")


async def onboard_all(
    cs: AdminApi,
    servers: dict[str, AdminApi],
    session: aiohttp.ClientSession,
    *,
    pins: dict[str, str],
    issue_url: str,
    ports: dict[str, int],
    say: Say,
) -> None:
    """Both security servers at once (they wait on the same configuration rounds)."""
    await asyncio.gather(
        *(
            onboard(
                cs,
                servers[party.name],
                session,
                party=party,
                pin=pins[party.name],
                issue_url=issue_url,
                server_port=ports[f"{party.name}_server"],
                say=say,
            )
            for party in PARTIES
        )
    )
