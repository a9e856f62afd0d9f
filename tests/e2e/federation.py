"""A whole federation on 127.0.0.1, built through the real onboarding steps (no tests here).

The test CA (CA, OCSP, TSA), a central server, two security servers of different members and
the demo provider run as subprocesses of our console script. Everything is set up with the
commands an operator types: ``vdx cs`` on the central server's registry, ``vdx ss`` over each
security server's admin API, certificates issued by the CA from the servers' own CSRs, and the
management requests (authCertReg, clientReg) approved on the central server. Nothing is
replaced or reached into.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.processes import Service, free_port, http, start, vdx, vdx_json, wait_until

INSTANCE = "VN"
CS_PIN = "cs-token-pin"
SS_PIN = "ss-token-pin"
# Batches every 2 s (the central server's timeStampingIntervalSeconds, which the security
# servers follow once they hold a configuration) so message-log tests wait seconds, not minutes.
TIMESTAMPING_INTERVAL_SECONDS = 2
# The security servers' [messagelog] table: archives every few seconds; traffic is refused
# after 8 s of failed time-stamping (the default 4 h cannot be waited for). Only a stopped TSA
# makes time-stamping fail, and the test that stops it waits for traffic to resume.
MESSAGELOG_GRACE_SECONDS = 8
MESSAGELOG_SETTINGS = (
    "[messagelog]\narchive_interval_seconds = 3\n"
    f"acceptable_timestamp_failure_seconds = {MESSAGELOG_GRACE_SECONDS}\n"
)
ROLES = (
    "system-administrator",
    "security-officer",
    "registration-officer",
    "service-administrator",
)


@dataclass
class SecurityServer:
    name: str
    owner: str  # INSTANCE:CLASS:CODE
    server_code: str
    subsystem: str  # INSTANCE:CLASS:CODE:SUB
    directory: Path
    server_port: int
    service: Service | None = None
    api_key: str = ""
    cert_ids: dict[str, str] = field(default_factory=dict)

    @property
    def client_url(self) -> str:
        assert self.service is not None
        return self.service.urls["client-proxy"]

    @property
    def admin_url(self) -> str:
        assert self.service is not None
        return self.service.urls["admin"]

    def env(self) -> dict[str, str]:
        return {"VDX_SS_ADMIN_URL": self.admin_url, "VDX_SS_API_KEY": self.api_key}

    def ss(self, *args: str) -> Any:
        """``vdx ss ... --json`` against this server's admin API."""
        return vdx_json("ss", *args, env=self.env())


@dataclass
class Federation:
    root: Path
    ca: Service
    ca_manifest: dict[str, Any]
    central: Service
    cs_config: Path
    anchor: Path
    demo: Service
    consumer: SecurityServer
    provider: SecurityServer
    management_port: int

    def cs(self, *args: str) -> Any:
        return vdx_json("cs", *args, "--config", str(self.cs_config))

    def restart_ca(self) -> None:
        """Start the test CA again on its old port (its URLs are in the global configuration)."""
        self.ca.stop()
        port = str(urlsplit(self.ca_manifest["tsa_url"]).port)
        self.ca = start(
            "testca",
            ["testca", "serve", "--dir", "ca", "--port", port],
            cwd=self.root,
            ready="tsa_url",
        )


def _start_ca(root: Path) -> tuple[Service, dict[str, Any]]:
    vdx("testca", "init", "--dir", "ca", "--intermediate", cwd=root)
    service = start(
        "testca", ["testca", "serve", "--dir", "ca", "--port", "0"], cwd=root, ready="tsa_url"
    )
    manifest_path = root / "ca" / "testca.json"
    manifest = wait_until(
        "the test CA's URLs",
        lambda: (m := json.loads(manifest_path.read_text())).get("tsa_url") and m,
        detail=service.output,
    )
    return service, manifest


def _setup_registry(root: Path, config: Path, manifest: dict[str, Any]) -> None:
    def cs(*args: str) -> None:
        vdx("cs", *args, "--config", str(config), cwd=root)

    cs("init", "--instance", INSTANCE)
    cs("member-class", "add", "GOV", "--description", "Government agencies")
    cs("member-class", "add", "COM", "--description", "Companies")
    cs("member", "add", f"{INSTANCE}:GOV:1001", "--name", "Ministry of Data")
    cs("member", "add", f"{INSTANCE}:COM:2002", "--name", "Consumer Company")
    cs("subsystem", "add", f"{INSTANCE}:GOV:1001:PROVIDER", "--name", "Registry service")
    cs("subsystem", "add", f"{INSTANCE}:COM:2002:CONSUMER", "--name", "Client application")
    base = manifest["ocsp_url"]
    cs(
        "ca",
        "add",
        "--name",
        "VDX Test CA",
        "--cert",
        "ca/root-ca.pem",
        "--intermediate",
        "ca/issuing-ca.pem",
        "--ocsp-url",
        base,
        "--ocsp-cert",
        "ca/ocsp.pem",
    )
    cs("tsa", "add", "--name", "VDX Test TSA", "--url", manifest["tsa_url"], "--cert", "ca/tsa.pem")


def _write_cs_config(root: Path, management_port: int) -> Path:
    config = root / "cs.toml"
    config.write_text(
        f'instance_identifier = "{INSTANCE}"\ndata_dir = "{root / "cs"}"\n'
        "conf_http_port = 0\nconf_https_port = 0\nconf_generation_interval_seconds = 1\n"
        # The registration and management ports are published in the private parameters, so
        # they must be known before the server binds them (port 0 would be published as 0).
        f"registration_port = {free_port()}\nmanagement_port = {management_port}\n"
        "admin_api_port = 0\n"
    )
    return config


@contextmanager
def federation(root: Path) -> Iterator[Federation]:
    with ExitStack() as stack:
        ca, manifest = _start_ca(root)
        started: list[Federation] = []

        # The CA may be restarted by a test: stop the one running at the end.
        def stop_ca() -> None:
            (started[0].ca if started else ca).stop()

        stack.callback(stop_ca)
        management_port = free_port()
        config, anchor = _write_cs_config(root, management_port), root / "anchor.xml"
        _setup_registry(root, config, manifest)
        central = start(
            "central-server",
            ["central-server", "run", "--config", str(config)],
            env={"VDX_CS_TOKEN_PIN": CS_PIN},
            cwd=root,
        )
        stack.callback(central.stop)
        conf_url = central.urls["conf"]
        wait_until(
            "a published configuration",
            lambda: http(f"{conf_url}/internalconf")[0] == 200,
            detail=central.output,
        )
        _set_system_parameter(
            central, config, "timeStampingIntervalSeconds", TIMESTAMPING_INTERVAL_SECONDS
        )
        vdx(
            "cs",
            "anchor",
            "export",
            "--url",
            f"{conf_url}/internalconf",
            "--out",
            str(anchor),
            "--config",
            str(config),
            cwd=root,
        )
        demo = start("demo-provider", ["demo-provider", "serve", "--port", "0"], cwd=root)
        stack.callback(demo.stop)
        consumer = SecurityServer(
            "consumer",
            f"{INSTANCE}:COM:2002",
            "SS-CONSUMER",
            f"{INSTANCE}:COM:2002:CONSUMER",
            root / "ss-consumer",
            free_port(),
        )
        provider = SecurityServer(
            "provider",
            f"{INSTANCE}:GOV:1001",
            "SS-PROVIDER",
            f"{INSTANCE}:GOV:1001:PROVIDER",
            root / "ss-provider",
            free_port(),
        )
        fed = Federation(
            root, ca, manifest, central, config, anchor, demo, consumer, provider, management_port
        )
        started.append(fed)
        for server in (consumer, provider):
            _start_security_server(fed, server)
            stack.callback(_stopper(server))
        for server in (consumer, provider):
            onboard(fed, server)
        publish_services(fed)
        yield fed


def _set_system_parameter(central: Service, config: Path, name: str, value: int) -> None:
    """As the operator sets it: over the central server's admin API (system administrator)."""
    created = vdx_json(
        "cs",
        "api-key",
        "create",
        "--name",
        "e2e-admin",
        "--role",
        "system-administrator",
        "--config",
        str(config),
    )
    status, _, body = http(
        f"{central.urls['admin']}/api/v1/system-parameters/{name}",
        data=json.dumps({"value": value}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"X-Road-ApiKey token={created['key']}",
        },
        method="PUT",
    )
    assert status == 200, body


def _stopper(server: SecurityServer) -> Any:
    def stop() -> None:
        if server.service is not None:
            server.service.stop()

    return stop


def _start_security_server(fed: Federation, server: SecurityServer) -> None:
    server.directory.mkdir()
    config = server.directory / "ss.toml"
    config.write_text(
        f'data_dir = "{server.directory / "data"}"\nanchor_file = "{fed.anchor}"\n'
        f"client_proxy_port = 0\nserver_proxy_port = {server.server_port}\n"
        # Peers find the OCSP listener of a server registered as host:P at P + 77.
        f"ocsp_port = {server.server_port + 77}\nclient_proxy_tls_port = 0\n"
        "admin_api_port = 0\nconf_download_interval_seconds = 1\n"
        # Not the default port 4002 of the central server's host, so named explicitly.
        f'management_service_url = "http://127.0.0.1:{fed.management_port}/managementservice/"\n'
        + MESSAGELOG_SETTINGS
    )
    created = vdx_json(
        "ss",
        "api-key",
        "create",
        "--config",
        str(config),
        "--name",
        "admin",
        *[arg for role in ROLES for arg in ("--role", role)],
    )
    server.api_key = created["key"]
    server.service = start(server.name, ["security-server", "run", "--config", str(config)])


def restart_security_server(server: SecurityServer) -> None:
    """Start a stopped (or killed) security server again with the same settings file."""
    assert server.service is not None
    assert server.service.process.poll() is not None
    server.service.stop()  # collects the output drainer
    config = server.directory / "ss.toml"
    server.service = start(server.name, ["security-server", "run", "--config", str(config)])
    # The PIN lives in the server's memory only: after a restart the operator logs in again.
    vdx("ss", "token", "login", "--pin", SS_PIN, env=server.env())


def _issue(fed: Federation, csr_pem: bytes, profile: str) -> bytes:
    status, _, body = http(
        f"{fed.ca_manifest['issue_url']}?profile={profile}",
        data=csr_pem,
        headers={"Content-Type": "application/pkcs10"},
    )
    assert status == 200, body
    return body


def _approve_pending(fed: Federation, kind: str, server: SecurityServer) -> None:
    def pending() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = fed.cs("request", "list", "--state", "pending")
        return [r for r in found if r["type"] == kind and server.server_code in r["server"]]

    for record in wait_until(f"a pending {kind} from {server.name}", pending):
        fed.cs("request", "approve", str(record["id"]))


def onboard(fed: Federation, server: SecurityServer) -> None:
    """The operator's journey on one security server (ug-ss §3, §4): initialise, keys,
    certificates from the CA, registration of the auth certificate and of the subsystem."""
    d = server.directory
    server.ss(
        "init",
        "--owner",
        server.owner,
        "--server-code",
        server.server_code,
        "--pin",
        SS_PIN,
    )
    for usage in ("auth", "sign"):
        key = server.ss("key", "add", "--usage", usage, "--label", f"{usage}-key")
        csr = d / f"{usage}.csr"
        member = ["--member", server.owner] if usage == "sign" else []
        vdx("ss", "key", "csr", key["id"], *member, "--out", str(csr), env=server.env())
        cert = d / f"{usage}.pem"
        cert.write_bytes(_issue(fed, csr.read_bytes(), usage))
        server.cert_ids[usage] = server.ss("cert", "import", str(cert))["id"]
    server.ss(
        "cert", "register", server.cert_ids["auth"], "--address", f"127.0.0.1:{server.server_port}"
    )
    _approve_pending(fed, "authCertReg", server)
    wait_until(
        f"{server.name}'s auth certificate registered",
        lambda: server.ss("cert", "show", server.cert_ids["auth"])["status"] == "registered",
    )
    server.ss("cert", "activate", server.cert_ids["auth"])
    # The demo information systems call over plain HTTP (ug-ss: connection type HTTP); the
    # owner member too, as the client of the UXP-form WSDL download.
    server.ss("client", "add", server.subsystem, "--connection-type", "HTTP")
    server.ss("client", "set-connection-type", server.owner, "HTTP")
    server.ss("client", "register", server.subsystem)
    _approve_pending(fed, "clientReg", server)
    wait_until(
        f"{server.name}'s subsystem registered",
        lambda: server.ss("client", "show", server.subsystem)["state"] == "registered",
    )


def publish_services(fed: Federation) -> None:
    """The provider describes its services and opens them to the consumer's subsystem."""
    p = fed.provider
    demo = fed.demo.urls["demo-provider"]
    added = [
        p.ss("description", "add", p.subsystem, "--type", "WSDL", "--url", f"{demo}/soap?wsdl"),
        p.ss(
            "description",
            "add",
            p.subsystem,
            "--type",
            "OPENAPI3",
            "--url",
            f"{demo}/rest/openapi.json",
            "--service-code",
            "demo",
        ),
    ]
    # New descriptions start disabled, as in X-Road: the administrator enables them.
    for description in added:
        p.ss("description", "enable", str(description["id"]))
    for code in ("getRandom.v1", "helloService.v1", "demo"):
        p.ss("access", "grant", f"{p.subsystem}:{code}", "--subject", fed.consumer.subsystem)
