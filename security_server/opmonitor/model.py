"""Operational monitoring records and query values (pr-opmon Annex B; UC OPMON_01).

One :class:`OpRecord` describes one mediated exchange as seen by one security server: the
consumer's server writes a ``Client`` record, the provider's a ``Producer`` record. Times are
Unix milliseconds (``monitoring_data_ts``: seconds, set when the record is stored, as the
reference's monitoring daemon does). The search criteria and output selection are the codec's
values, re-exported here so the server speaks of one type.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vdx.identifiers import ClientId, ServiceId
from vdx.message.opmonitoring import RECORD_FIELDS, OutputSpec, SearchCriteria

__all__ = [
    "CAMEL_NAMES",
    "OpRecord",
    "OutputSpec",
    "SearchCriteria",
    "SecurityServerType",
    "party_fields",
]


class SecurityServerType(enum.StrEnum):
    """``securityServerType`` (Annex B enum)."""

    CLIENT = "Client"
    PRODUCER = "Producer"


@dataclass(frozen=True, slots=True)
class OpRecord:
    """One operational monitoring record; ``None`` means the field is unknown or not applicable
    (for example ``rest_method`` of a SOAP exchange) and is left out of the JSON."""

    security_server_type: SecurityServerType
    succeeded: bool
    request_in_ts: int
    monitoring_data_ts: int | None = None
    security_server_internal_ip: str | None = None
    request_out_ts: int | None = None
    response_in_ts: int | None = None
    response_out_ts: int | None = None
    client_xroad_instance: str | None = None
    client_member_class: str | None = None
    client_member_code: str | None = None
    client_subsystem_code: str | None = None
    service_xroad_instance: str | None = None
    service_member_class: str | None = None
    service_member_code: str | None = None
    service_subsystem_code: str | None = None
    service_code: str | None = None
    rest_method: str | None = None
    rest_path: str | None = None
    service_version: str | None = None
    represented_party_class: str | None = None
    represented_party_code: str | None = None
    message_id: str | None = None
    message_user_id: str | None = None
    message_issue: str | None = None
    message_protocol_version: str | None = None
    client_security_server_address: str | None = None
    service_security_server_address: str | None = None
    request_size: int | None = None
    request_mime_size: int | None = None
    request_attachment_count: int | None = None
    response_size: int | None = None
    response_mime_size: int | None = None
    response_attachment_count: int | None = None
    service_type: str | None = None
    fault_code: str | None = None
    fault_string: str | None = None
    status_code: int | None = None
    xroad_version: str | None = None
    x_request_id: str | None = None

    @property
    def client(self) -> ClientId | None:
        """The client identifier, when all its mandatory parts are known."""
        parts = (self.client_xroad_instance, self.client_member_class, self.client_member_code)
        if None in parts:
            return None
        return ClientId(*parts, self.client_subsystem_code)  # type: ignore[arg-type]

    @property
    def service(self) -> ServiceId | None:
        """The service identifier, when all its mandatory parts are known."""
        parts = (self.service_xroad_instance, self.service_member_class, self.service_member_code)
        if None in parts or self.service_code is None:
            return None
        provider = ClientId(*parts, self.service_subsystem_code)  # type: ignore[arg-type]
        return ServiceId(provider, self.service_code, self.service_version)

    @property
    def duration_ms(self) -> int | None:
        """From receiving the request to sending the response (the health data's duration)."""
        if self.response_out_ts is None:
            return None
        return max(0, self.response_out_ts - self.request_in_ts)

    def to_json(self, fields: frozenset[str] | None = None) -> dict[str, Any]:
        """The Annex B JSON object: camelCase keys, ``None`` values left out; ``fields``
        (camelCase) restricts the keys, as an ``outputSpec`` does."""
        result: dict[str, Any] = {}
        for attribute, key in _ATTRIBUTE_TO_KEY.items():
            if fields is not None and key not in fields:
                continue
            value = getattr(self, attribute)
            if value is None:
                continue
            result[key] = str(value) if isinstance(value, SecurityServerType) else value
        return result

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> OpRecord:
        """Build from snake_case column values (database rows); unknown keys are ignored."""
        values = {name: row[name] for name in _ATTRIBUTES if name in row}
        values["security_server_type"] = SecurityServerType(values["security_server_type"])
        return cls(**values)


def party_fields(client: ClientId | None, service: ServiceId | None) -> dict[str, str | None]:
    """The identifier parts of an exchange as keyword arguments of :class:`OpRecord`."""
    values: dict[str, str | None] = {}
    if client is not None:
        values |= {
            "client_xroad_instance": client.instance,
            "client_member_class": client.member_class,
            "client_member_code": client.member_code,
            "client_subsystem_code": client.subsystem_code,
        }
    if service is not None:
        provider = service.provider
        values |= {
            "service_xroad_instance": provider.instance,
            "service_member_class": provider.member_class,
            "service_member_code": provider.member_code,
            "service_subsystem_code": provider.subsystem_code,
            "service_code": service.service_code,
            "service_version": service.service_version,
        }
    return values


def _camel(attribute: str) -> str:
    # Annex B writes the instance as "XRoadInstance" and the version as "xRoadVersion".
    special = {"xroad_version": "xRoadVersion", "x_request_id": "xRequestId"}
    if attribute in special:
        return special[attribute]
    head, *rest = attribute.split("_")
    return head + "".join("XRoad" if part == "xroad" else part.capitalize() for part in rest)


_ATTRIBUTES = tuple(f.name for f in dataclasses.fields(OpRecord))
# Keys in Annex B order, so the JSON reads like the specification's example.
_ATTRIBUTE_TO_KEY = dict(
    sorted(((a, _camel(a)) for a in _ATTRIBUTES), key=lambda item: RECORD_FIELDS.index(item[1]))
)
CAMEL_NAMES: Mapping[str, str] = _ATTRIBUTE_TO_KEY
