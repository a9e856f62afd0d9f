"""The security server's one settings model (ARCHITECTURE rule 6): a file, then ``VDX_SS_...``.

Read once at the composition root by :func:`load_settings` and passed down as plain values.
Defaults follow the X-Road security server defaults (security server user guide, network
ports): client proxy 8080, server proxy 5500 (mutual TLS), OCSP responses for peers 5577,
admin API 4000; the global configuration is downloaded every 60 s (pr-gconf §5).

``python -m security_server.settings --markdown`` prints the settings reference committed as
``docs/reference/security-server-settings.md``; a test keeps the two equal.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from security_server.messagelog.settings import MessageLogSettings
from security_server.opmonitor.settings import OpMonitorSettings
from vdx.settings_files import (
    FileThenEnvironmentSettings,
    markdown_main,
    read_file,
    reference_markdown,
)

ENV_PREFIX = "VDX_SS_"
# Nested settings in the environment: VDX_SS_MESSAGELOG__ARCHIVE_DIR=... (pydantic-settings).
NESTED_DELIMITER = "__"
SQLITE_FILE = "security-server.db"
ARCHIVE_FOLDER = "messagelog"


class SecurityServerSettings(FileThenEnvironmentSettings):
    """Settings of one security server node."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="forbid",
        frozen=False,
    )

    data_dir: Path = Field(
        default=Path("/var/lib/vdx/security-server"),
        description=(
            "Folder of the embedded database, the downloaded global configuration "
            "(`{data_dir}/globalconf`) and the software token (`{data_dir}/tokens`)."
        ),
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the server configuration database. Default: "
            f"`sqlite+aiosqlite:///{{data_dir}}/{SQLITE_FILE}`; production: "
            "`postgresql+asyncpg://user@host/db`."
        ),
    )
    anchor_file: Path | None = Field(
        default=None,
        description=(
            "Configuration anchor (XML) of the instance, as exported by the central server. "
            "Required to run."
        ),
    )
    listen_host: str = Field(default="127.0.0.1", description="Address every listener binds to.")
    client_proxy_port: int = Field(
        default=8080, ge=0, le=65535, description="Client proxy for information systems (HTTP)."
    )
    client_proxy_tls_port: int = Field(
        default=8443,
        ge=0,
        le=65535,
        description=(
            "Client proxy over HTTPS with the internal TLS certificate in "
            "`{data_dir}/internal-tls` (generated on first start); information systems of "
            "clients with connection type HTTPS or HTTPS_NO_AUTH call here."
        ),
    )
    server_proxy_port: int = Field(
        default=5500,
        ge=0,
        le=65535,
        description="Server proxy for other security servers (mutual TLS, auth certificate).",
    )
    ocsp_port: int = Field(
        default=5577,
        ge=0,
        le=65535,
        description=(
            "OCSP responses of this server's auth certificate for peers (pr-messtransp). "
            "Peers look for it at port 5577 of the registered address's host, or, when the "
            "registered address names its own port P (several servers on one host), at P + 77."
        ),
    )
    max_message_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest request or response body (with attachments) the proxies accept; a larger "
            "one is refused with an X-Road fault before it is read further."
        ),
    )
    peer_ocsp_port: int = Field(
        default=5577,
        ge=1,
        le=65535,
        description=(
            "Port of the providers' OCSP listeners, asked for the status of their auth "
            "certificates before a request is sent (an address with its own port P: P + 77)."
        ),
    )
    admin_api_port: int = Field(
        default=4000, ge=0, le=65535, description="Admin listener: `/health`, `/metrics`."
    )
    conf_download_interval_seconds: float = Field(
        default=60, gt=0, description="How often the global configuration is downloaded."
    )
    token_pin: SecretStr | None = Field(
        default=None,
        description=(
            "PIN of the software token in `{data_dir}/tokens` holding the sign and auth keys "
            "(created empty on first start). Prefer the environment (`VDX_SS_TOKEN_PIN`) to "
            "the file. Unset: the token is created by the initialisation through the admin "
            "API and logged in there (`POST /api/v1/tokens/login`); until then no keys are "
            "available and the proxies refuse traffic."
        ),
    )

    management_service_url: str | None = Field(
        default=None,
        description=(
            "Where management requests other than `authCertReg` go (clientReg, "
            "clientDeletion, authCertDeletion; pr-mserv). Default: derived from the global "
            "configuration's private parameters: the host of `authCertRegServiceAddress`, "
            "port 4002, path `/managementservice/`, plain HTTP "
            "(`http://HOST:4002/managementservice/`). `authCertReg` always goes to "
            "`authCertRegServiceAddress` over TLS trusting exactly `authCertRegServiceCert`."
        ),
    )

    messagelog: MessageLogSettings = Field(
        default_factory=MessageLogSettings,
        description=(
            "Message log: time-stamping, body logging, archiving (table below). "
            "`archive_dir` defaults to `{data_dir}/messagelog`; the time-stamping interval "
            "is the global configuration's `timeStampingIntervalSeconds` once one is "
            "downloaded, `timestamping_interval_seconds` before."
        ),
    )
    opmonitor: OpMonitorSettings = Field(
        default_factory=OpMonitorSettings,
        description="Operational monitoring: buffer, retention, queries (table below).",
    )

    @model_validator(mode="after")
    def _derived(self) -> Self:
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir}/{SQLITE_FILE}"
        if "archive_dir" not in self.messagelog.model_fields_set:
            # Next to the node's other data, not a fixed system folder.
            self.messagelog = self.messagelog.model_copy(
                update={"archive_dir": self.data_dir / ARCHIVE_FOLDER}
            )
        return self

    @property
    def db_url(self) -> str:
        """The database URL, never None after validation."""
        assert self.database_url is not None  # noqa: S101 - set by the validator above
        return self.database_url


def load_settings(path: Path | None) -> SecurityServerSettings:
    """Read ``path`` (when given), then let ``VDX_SS_*`` environment variables override it."""
    values = read_file(path) if path is not None else {}
    return SecurityServerSettings(**values)


def _default_text(name: str) -> str | None:
    if name == "database_url":
        return f"`sqlite+aiosqlite:///{{data_dir}}/{SQLITE_FILE}`"
    if name == "management_service_url":
        return "derived from the private parameters"
    if name in NESTED:
        return "(table below)"
    if name == "archive_dir":
        return f"`{{data_dir}}/{ARCHIVE_FOLDER}`"
    return None


# The nested sections: name in the file (a TOML table) -> model.
NESTED: dict[str, type[BaseModel]] = {
    "messagelog": MessageLogSettings,
    "opmonitor": OpMonitorSettings,
}


def _section(name: str, model: type[BaseModel]) -> str:
    """One nested model as a table: a `[name]` table in the file, `VDX_SS_NAME__FIELD` in the
    environment (JSON for mappings)."""
    prefix = f"{ENV_PREFIX}{name.upper()}{NESTED_DELIMITER}"
    lines = [
        "",
        f"## `[{name}]`",
        "",
        (
            f"In the file: the `[{name}]` table; in the environment: `{prefix}<NAME>` "
            "(a mapping as JSON)."
        ),
        "",
        "| Setting | Environment | Type | Default | Description |",
        "|---|---|---|---|---|",
    ]
    for field_name, field in model.model_fields.items():
        kind = getattr(field.annotation, "__name__", None) or str(field.annotation)
        kind = kind.replace("|", "\\|")
        default = _default_text(field_name) if name == "messagelog" else None
        if default is None:
            value = field.get_default(call_default_factory=True)
            value = value.value if isinstance(value, Enum) else value
            default = "(none)" if value is None else f"`{value}`"
        lines.append(
            f"| `{name}.{field_name}` | `{prefix}{field_name.upper()}` | {kind} | {default} "
            f"| {field.description or ''} |"
        )
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """The settings reference, generated from the model (nested models as their own tables)."""
    top = reference_markdown(
        SecurityServerSettings,
        title="Security server settings",
        module="security_server.settings",
        env_prefix=ENV_PREFIX,
        default_text=_default_text,
    )
    return top + "".join(_section(name, model) for name, model in NESTED.items())


def main(argv: list[str]) -> int:
    return markdown_main(argv, "security_server.settings", markdown)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
