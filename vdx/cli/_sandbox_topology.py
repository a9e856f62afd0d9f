"""The sandbox's federation as data: who is who, which ports, which files (no I/O but files).

One instance ``VN`` (two letters: it is the ``C`` of the certificate subjects the test CA
issues), two member classes, a provider member (a ministry) and a consumer member (a company),
each with one subsystem and one security server. Every listener is on 127.0.0.1. The ports
are chosen once and kept in ``state.json``: a security server's server-proxy address is
registered with the central server (authCertReg), and the central server publishes its
registration and management ports in the private parameters (pr-gconf), so a restart must
bind the same ones.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from security_server.settings import SecurityServerSettings

INSTANCE = "VN"
STATE_FILE = "state.json"
SUMMARY_FILE = "sandbox.json"
HOST = "127.0.0.1"
# Short intervals so the onboarding takes seconds, not minutes; production keeps the X-Road
# defaults (generation and download every 60 s).
CONF_INTERVAL_SECONDS = 1

MEMBER_CLASSES = (("GOV", "Government agencies"), ("COM", "Companies"))
CS_PORTS = ("conf", "conf_https", "registration", "management", "admin")
SS_PORTS = ("client", "client_tls", "server", "admin")
# A peer looks for the OCSP listener of a server registered as host:P at P + 77 (the
# security server settings reference, `ocsp_port`): the sandbox keeps to that rule.
OCSP_OFFSET = 77


@dataclass(frozen=True)
class Party:
    """One security server with its owner member and the subsystem it serves."""

    name: str  # consumer | provider
    member_class: str
    member_code: str
    member_name: str
    subsystem_code: str
    subsystem_name: str
    server_code: str

    @property
    def owner(self) -> str:
        return f"{INSTANCE}:{self.member_class}:{self.member_code}"

    @property
    def subsystem(self) -> str:
        return f"{self.owner}:{self.subsystem_code}"

    def slash(self) -> str:
        """The subsystem in the ``/`` form (X-Road-Client header, REST r1 §4)."""
        return self.subsystem.replace(":", "/")


PROVIDER = Party("provider", "GOV", "1001", "Ministry of Data", "PROVIDER", "Registry", "SS-PROV")
CONSUMER = Party("consumer", "COM", "2002", "Consumer Company", "CONSUMER", "Client app", "SS-CONS")
PARTIES = (CONSUMER, PROVIDER)


def free_port() -> int:
    """A port free right now on 127.0.0.1 (chosen before the server that binds it starts)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _free_server_port() -> int:
    """A free port P whose OCSP companion P + 77 is free too."""
    while True:
        port = free_port()
        if port + OCSP_OFFSET <= 65535 and _is_free(port + OCSP_OFFSET):
            return port


def allocate_ports(base: int | None) -> dict[str, int]:
    """``base`` given: a fixed layout from it (ca, cs_*, demo, consumer_*, provider_*, and
    each server's OCSP port at its server port + 77); none: free ports picked now."""
    names = ["ca", *(f"cs_{p}" for p in CS_PORTS), "demo"]
    names += [f"{party.name}_{p}" for party in PARTIES for p in SS_PORTS]
    if base is None:
        ports = {
            name: _free_server_port() if name.endswith("_server") else free_port() for name in names
        }
    else:
        layout = {"ca": 0, "demo": 6}
        layout.update({f"cs_{p}": 1 + n for n, p in enumerate(CS_PORTS)})
        for offset, party in ((10, CONSUMER), (20, PROVIDER)):
            layout.update({f"{party.name}_{p}": offset + n for n, p in enumerate(SS_PORTS)})
        top = max(layout.values()) + OCSP_OFFSET
        if base < 1024 or base + top > 65535:
            raise ValueError(f"--port-base must leave room for N..N+{top} in 1024..65535")
        ports = {name: base + layout[name] for name in names}
    for party in PARTIES:
        ports[f"{party.name}_ocsp"] = ports[f"{party.name}_server"] + OCSP_OFFSET
    if len(set(ports.values())) != len(ports):
        if base is not None:  # pragma: no cover - the fixed layout has no overlap
            raise ValueError("overlapping ports in the layout")
        return allocate_ports(None)  # a port picked twice: pick again
    return ports


@dataclass
class State:
    """What a restart needs: ports, secrets of this sandbox only, and how far it got."""

    ports: dict[str, int]
    cs_token_pin: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    ss_pins: dict[str, str] = field(
        default_factory=lambda: {p.name: secrets.token_urlsafe(12) for p in PARTIES}
    )
    api_keys: dict[str, str] = field(default_factory=dict)
    onboarded: bool = False
    onboarding_seconds: float | None = None

    def save(self, data_dir: Path) -> None:
        write_private(data_dir / STATE_FILE, json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, data_dir: Path) -> State | None:
        path = data_dir / STATE_FILE
        if not path.exists():
            return None
        values: dict[str, Any] = json.loads(path.read_text())
        return cls(**values)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds API keys and PINs)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


@dataclass(frozen=True)
class Layout:
    """Where every part keeps its files under the sandbox's data directory."""

    root: Path

    @property
    def ca_dir(self) -> Path:
        return self.root / "ca"

    @property
    def cs_config(self) -> Path:
        return self.root / "central-server" / "cs.toml"

    @property
    def anchor(self) -> Path:
        return self.root / "anchor.xml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ss_config(self, party: Party) -> Path:
        return self.root / f"ss-{party.name}" / "ss.toml"


def write_configs(layout: Layout, ports: dict[str, int]) -> None:
    """The settings files, as an operator would write them (docs/reference/*-settings.md)."""
    cs_dir = layout.cs_config.parent
    cs_dir.mkdir(parents=True, exist_ok=True)
    layout.cs_config.write_text(
        f'instance_identifier = "{INSTANCE}"\n'
        f'data_dir = "{cs_dir / "data"}"\n'
        f'listen_host = "{HOST}"\n'
        f"conf_http_port = {ports['cs_conf']}\n"
        f"conf_https_port = {ports['cs_conf_https']}\n"
        f"registration_port = {ports['cs_registration']}\n"
        f"management_port = {ports['cs_management']}\n"
        f"admin_api_port = {ports['cs_admin']}\n"
        f"conf_generation_interval_seconds = {CONF_INTERVAL_SECONDS}\n"
    )
    for party in PARTIES:
        tls_line = ""
        if "client_proxy_tls_port" in SecurityServerSettings.model_fields:
            tls_line = f"client_proxy_tls_port = {ports[f'{party.name}_client_tls']}\n"
        config = layout.ss_config(party)
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'data_dir = "{config.parent / "data"}"\n'
            f'anchor_file = "{layout.anchor}"\n'
            f'listen_host = "{HOST}"\n'
            f"client_proxy_port = {ports[f'{party.name}_client']}\n"
            + tls_line
            + f"server_proxy_port = {ports[f'{party.name}_server']}\n"
            f"ocsp_port = {ports[f'{party.name}_ocsp']}\n"
            f"admin_api_port = {ports[f'{party.name}_admin']}\n"
            f"conf_download_interval_seconds = {CONF_INTERVAL_SECONDS}\n"
            # The central server's management service is not on its default port 4002.
            "management_service_url = "
            f'"http://{HOST}:{ports["cs_management"]}/managementservice/"\n'
        )


def url(ports: dict[str, int], name: str, path: str = "") -> str:
    return f"http://{HOST}:{ports[name]}{path}"
