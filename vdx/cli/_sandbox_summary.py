"""What the sandbox tells its user: endpoints, API keys and ready-to-paste examples, printed
and written as ``sandbox.json`` (for scripts) in the data directory."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from vdx.cli._sandbox_onboard import REST_CODE
from vdx.cli._sandbox_topology import (
    CONSUMER,
    INSTANCE,
    PARTIES,
    PROVIDER,
    SUMMARY_FILE,
    Layout,
    Party,
    url,
    write_private,
)

SOAP_REQUEST_FILE = "requests/helloService.xml"


def _ident(tag: str, party: Party, object_type: str, extra: str = "") -> str:
    return (
        f'    <xrd:{tag} iden:objectType="{object_type}">\n'
        f"      <iden:xRoadInstance>{INSTANCE}</iden:xRoadInstance>\n"
        f"      <iden:memberClass>{party.member_class}</iden:memberClass>\n"
        f"      <iden:memberCode>{party.member_code}</iden:memberCode>\n"
        f"      <iden:subsystemCode>{party.subsystem_code}</iden:subsystemCode>\n"
        f"{extra}    </xrd:{tag}>\n"
    )


def soap_request(name: str = "Sandbox") -> str:
    """A helloService request in the SOAP message protocol 4.0 (pr-mess §2.3 headers)."""
    service = (
        "      <iden:serviceCode>helloService</iden:serviceCode>\n"
        "      <iden:serviceVersion>v1</iden:serviceVersion>\n"
    )
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"\n'
        '    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"\n'
        '    xmlns:iden="http://x-road.eu/xsd/identifiers">\n'
        "  <SOAP-ENV:Header>\n"
        + _ident("client", CONSUMER, "SUBSYSTEM")
        + _ident("service", PROVIDER, "SERVICE", service)
        + "    <xrd:id>sandbox-hello-1</xrd:id>\n"
        "    <xrd:protocolVersion>4.0</xrd:protocolVersion>\n"
        "  </SOAP-ENV:Header>\n"
        "  <SOAP-ENV:Body>\n"
        '    <prod:helloService xmlns:prod="http://test.x-road.global/producer">\n'
        f"      <prod:name>{name}</prod:name>\n"
        "    </prod:helloService>\n"
        "  </SOAP-ENV:Body>\n"
        "</SOAP-ENV:Envelope>\n"
    )


def summary(layout: Layout, ports: dict[str, int], api_keys: dict[str, str]) -> dict[str, Any]:
    """The content of ``sandbox.json``; identifiers of clients and services in the ``/`` form
    (REST r1 §4: the X-Road-Client header and the ``/r1/...`` path)."""
    request = layout.root / SOAP_REQUEST_FILE
    consumer_url = url(ports, "consumer_client")
    rest_path = f"/r1/{PROVIDER.slash()}/{REST_CODE}/hello?name=Sandbox"
    servers = [
        {
            "name": party.name,
            "owner": party.owner.replace(":", "/"),
            "server_code": party.server_code,
            "client_url": url(ports, f"{party.name}_client"),
            "admin_url": url(ports, f"{party.name}_admin", "/api/v1"),
            "metrics_url": url(ports, f"{party.name}_admin", "/metrics"),
            "health_url": url(ports, f"{party.name}_admin", "/health"),
            "server_port": ports[f"{party.name}_server"],
            "config_file": str(layout.ss_config(party)),
        }
        for party in PARTIES
    ]
    return {
        "instance": INSTANCE,
        "data_dir": str(layout.root),
        "central_server": {
            "conf_url": url(ports, "cs_conf", "/internalconf"),
            "admin_url": url(ports, "cs_admin", "/api/v1"),
            "health_url": url(ports, "cs_admin", "/health"),
            "metrics_url": url(ports, "cs_conf", "/metrics"),
            "anchor_file": str(layout.anchor),
            "config_file": str(layout.cs_config),
        },
        "security_servers": servers,
        "trust_services": {
            "issue_url": url(ports, "ca", "/issue"),
            "ocsp_url": url(ports, "ca", "/ocsp"),
            "tsa_url": url(ports, "ca", "/tsa"),
        },
        "demo_provider": {
            "wsdl_url": url(ports, "demo", "/soap?wsdl"),
            "openapi_url": url(ports, "demo", "/rest/openapi.json"),
        },
        "clients": {"consumer": CONSUMER.slash(), "provider": PROVIDER.slash()},
        "services": {
            "soap": f"{PROVIDER.slash()}/helloService",
            "soap_version": "v1",
            "rest": f"{PROVIDER.slash()}/{REST_CODE}",
        },
        "api_keys": {
            "central_server": api_keys["central_server"],
            **{party.name: api_keys[party.name] for party in PARTIES},
        },
        "examples": {
            "soap_request_file": str(request),
            "soap_curl": "curl -sS -H 'Content-Type: text/xml' --data-binary "
            f"@{shlex.quote(str(request))} {consumer_url}",
            "rest_curl": f"curl -sS -H 'X-Road-Client: {CONSUMER.slash()}' "
            f"'{consumer_url}{rest_path}'",
            "wsdl_url": f"{consumer_url}/wsdl?xRoadInstance={INSTANCE}"
            f"&memberClass={PROVIDER.member_class}&memberCode={PROVIDER.member_code}"
            f"&subsystemCode={PROVIDER.subsystem_code}&serviceCode=helloService&version=v1",
        },
    }


def write(layout: Layout, data: dict[str, Any]) -> Path:
    request = layout.root / SOAP_REQUEST_FILE
    request.parent.mkdir(parents=True, exist_ok=True)
    request.write_text(soap_request())
    path = layout.root / SUMMARY_FILE
    # API keys inside: readable by the owner only.
    write_private(path, json.dumps(data, indent=2) + "\n")
    return path


def render(data: dict[str, Any], path: Path, seconds: float, restarted: bool) -> str:
    """The summary printed when the sandbox is ready."""
    cs = data["central_server"]
    how = "restarted (onboarding already done)" if restarted else "onboarded"
    lines = [
        "",
        f"VDX sandbox ready in {seconds:.1f} s: instance {data['instance']}, federation {how}.",
        "",
        "Central server",
        f"  global configuration  {cs['conf_url']}",
        f"  admin API             {cs['admin_url']}   (key: api_keys.central_server)",
        f"  anchor                {cs['anchor_file']}",
    ]
    for server in data["security_servers"]:
        lines += [
            f"Security server '{server['name']}' (owner {server['owner']})",
            f"  client proxy          {server['client_url']}",
            f"  admin API             {server['admin_url']}   (key: api_keys.{server['name']})",
            f"  health, metrics       {server['health_url']}  {server['metrics_url']}",
            f"  server proxy (mTLS)   port {server['server_port']}",
        ]
    lines += [
        "Clients   consumer {consumer}   provider {provider}".format(**data["clients"]),
        f"Services  SOAP {data['services']['soap']} (v1)   REST {data['services']['rest']}",
        "",
        "Try it (SOAP helloService through both security servers):",
        f"  {data['examples']['soap_curl']}",
        "Try it (REST):",
        f"  {data['examples']['rest_curl']}",
        "WSDL for a SOAP client library (e.g. zeep):",
        f"  {data['examples']['wsdl_url']}",
        "",
        f"Everything above, with the API keys, is in {path}",
        "Logs: " + str(Path(data["data_dir"]) / "logs") + "    Ctrl-C stops the sandbox.",
    ]
    return "\n".join(lines)
