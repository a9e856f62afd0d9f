"""The I/O shell of the operational monitoring services: request in, answer bytes out.

The server proxy hands over a parsed X-Road SOAP request whose service code is
``getSecurityServerOperationalData`` or ``getSecurityServerHealthData`` addressed to this
server's owner, together with the owner of the server named in the ``securityServer`` header
and the central monitoring client from the global configuration; the answers keep the
request's header (pr-opmon §2, §3; the reference builds them the same way). Errors are
``XRoadError``; the codec and the plan attribute the caller's mistakes to ``Client``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from security_server.opmonitor import queries
from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.settings import OpMonitorSettings
from security_server.opmonitor.store import OpRecordStore
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId
from vdx.message import opmonitoring as om
from vdx.message.soap_model import SoapMessage
from vdx.xmlsafe import XmlLimits

SERVICE_CODES = frozenset({om.GET_OPERATIONAL_DATA, om.GET_HEALTH_DATA})


@dataclass(frozen=True, slots=True)
class Answer:
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class OpMonitorService:
    store: OpRecordStore
    health: HealthStatistics
    settings: OpMonitorSettings
    clock: Callable[[], datetime]
    limits: XmlLimits | None = None

    async def answer(
        self, request: SoapMessage, owner: ClientId | None, monitoring_client: ClientId | None
    ) -> Answer:
        """Answer one query. ``owner`` is the owner, in the global configuration, of the server
        the request's ``securityServer`` header names; without the header nobody is the owner
        (pr-opmon §2: the owner MUST send it; the reference recognises the owner only so)."""
        if request.header.security_server is None:
            owner = None
        access = queries.access_for(request.header.client, owner, monitoring_client)
        code = request.header.service.service_code
        if code == om.GET_OPERATIONAL_DATA:
            return await self._operational_data(request, access)
        if code == om.GET_HEALTH_DATA:
            return self._health_data(request, access)
        raise XRoadError(Code.UNKNOWN_SERVICE, f"Not an operational monitoring service: {code}")

    async def _operational_data(self, request: SoapMessage, access: queries.Access) -> Answer:
        decoded = om.decode_operational_data_request(request.xml, self.limits, request.charset)
        plan = queries.plan_operational_data(
            decoded,
            access,
            self.clock(),
            self.settings.records_available_offset_seconds,
            self.settings.max_records_per_response,
        )
        result = await self.store.query(plan.criteria, plan.client_filter, plan.limit)
        answer = queries.operational_data_answer(plan, result)
        soap = om.response_envelope(request.xml, answer.body, self.limits, request.charset)
        content_type, body = om.operational_data_multipart(soap, answer.payload)
        return Answer(content_type, body)

    def _health_data(self, request: SoapMessage, access: queries.Access) -> Answer:
        decoded = om.decode_health_data_request(request.xml, self.limits, request.charset)
        element = queries.health_data_answer(decoded, access, self.health, self.clock())
        soap = om.response_envelope(request.xml, element, self.limits, request.charset)
        return Answer("text/xml; charset=UTF-8", soap)
