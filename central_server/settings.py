"""The central server's one settings model (ARCHITECTURE rule 6): a file, then ``VDX_CS_...``.

Read once at the composition root by :func:`load_settings` and passed down as plain values.
Defaults follow the X-Road defaults: configuration regenerated every 60 s and valid for 600 s
(pr-gconf ``Expire-date``), configuration download on 80/443, registration service 4001,
management service 4002, admin API 4000 (X-Road central server user guide, network ports).

``python -m central_server.settings --markdown`` prints the settings reference committed as
``docs/reference/central-server-settings.md``; a test keeps the two equal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from vdx.errors import XRoadError
from vdx.identifiers import check_strict
from vdx.settings_files import (
    FileThenEnvironmentSettings,
    markdown_main,
    read_file,
    reference_markdown,
)

ENV_PREFIX = "VDX_CS_"
SQLITE_FILE = "central-server.db"


class CentralServerSettings(FileThenEnvironmentSettings):
    """Settings of one central server node."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=False)

    instance_identifier: str | None = Field(
        default=None,
        description="X-Road instance identifier; when set, the registry must carry the same one.",
    )
    data_dir: Path = Field(
        default=Path("/var/lib/vdx/central-server"),
        description="Folder of the embedded database, generated configuration and keys.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the registry database. Default: "
            f"`sqlite+aiosqlite:///{{data_dir}}/{SQLITE_FILE}`; production: "
            "`postgresql+asyncpg://user@host/db`."
        ),
    )
    conf_generation_interval_seconds: int = Field(
        default=60, gt=0, description="How often the global configuration is generated."
    )
    conf_expire_seconds: int = Field(
        default=600,
        gt=0,
        description="Validity of a generated configuration (`Expire-date` = now + this).",
    )
    listen_host: str = Field(default="127.0.0.1", description="Address every service binds to.")
    conf_http_port: int = Field(
        default=80, ge=0, le=65535, description="Configuration download (HTTP)."
    )
    conf_https_port: int = Field(
        default=443, ge=0, le=65535, description="Configuration download (HTTPS)."
    )
    registration_port: int = Field(
        default=4001, ge=0, le=65535, description="Registration service (authCertReg, TLS)."
    )
    management_port: int = Field(default=4002, ge=0, le=65535, description="Management service.")
    admin_api_port: int = Field(default=4000, ge=0, le=65535, description="Admin REST API.")
    public_host: str | None = Field(
        default=None,
        description=(
            "Host name security servers use to reach this server (configuration download, "
            "registration). Default: `listen_host`."
        ),
    )
    management_service_provider: str | None = Field(
        default=None,
        description=(
            "Client id (`INSTANCE:CLASS:CODE:SUBSYSTEM`) of the management services provider "
            "named in the private parameters. Default: `{instance}:GOV:CENTRAL:MANAGEMENT`."
        ),
    )
    conf_versions: list[int] = Field(
        default=[5],
        description="Configuration versions generated; the highest is served by default.",
    )
    token_library: str | None = Field(
        default=None,
        description=(
            "PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`) holding the configuration "
            "signing keys; unset: the software token in `{data_dir}/tokens`. The PIN is "
            "`token_pin` in both cases."
        ),
    )
    token_label: str = Field(
        default="vdx-conf-signing",
        description="Label of the PKCS#11 token when `token_library` is set.",
    )
    token_pin: SecretStr | None = Field(
        default=None,
        description=(
            "PIN of the software token in `{data_dir}/tokens` that holds the configuration "
            "signing keys (created, with a first key per source, on first start). Prefer the "
            "environment to the file. Unset: the legacy PEM key in `{data_dir}/conf-signing` "
            "signs, and key rotation is unavailable."
        ),
    )
    node_id: str | None = Field(
        default=None,
        description=(
            "Name of this node among the central server nodes sharing one database (holder of "
            "the generation lease, recorded with each generation). Default: `host:pid`."
        ),
    )

    @field_validator("instance_identifier")
    @classmethod
    def _strict_instance(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_strict(value, "instance_identifier")
            except XRoadError as error:
                raise ValueError(error.message) from None
        return value

    @model_validator(mode="after")
    def _derived(self) -> Self:
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir}/{SQLITE_FILE}"
        if self.conf_expire_seconds <= self.conf_generation_interval_seconds:
            raise ValueError(
                "conf_expire_seconds must be longer than conf_generation_interval_seconds, "
                "or every configuration expires before the next one is published"
            )
        return self

    @property
    def db_url(self) -> str:
        """The database URL, never None after validation."""
        assert self.database_url is not None  # noqa: S101 - set by the validator above
        return self.database_url


def load_settings(path: Path | None) -> CentralServerSettings:
    """Read ``path`` (when given), then let ``VDX_CS_*`` environment variables override it."""
    values = read_file(path) if path is not None else {}
    return CentralServerSettings(**values)


def _default_text(name: str) -> str | None:
    if name == "database_url":
        return f"`sqlite+aiosqlite:///{{data_dir}}/{SQLITE_FILE}`"
    return None


def markdown() -> str:
    """The settings reference, generated from the model."""
    return reference_markdown(
        CentralServerSettings,
        title="Central server settings",
        module="central_server.settings",
        env_prefix=ENV_PREFIX,
        default_text=_default_text,
    )


def main(argv: list[str]) -> int:
    return markdown_main(argv, "central_server.settings", markdown)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
