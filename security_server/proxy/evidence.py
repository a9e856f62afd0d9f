"""The proxies' hooks into the message log and operational monitoring.

:class:`Evidence` is what the composition root hands the proxies (``ProxyContext.evidence``):
the message log's ``check_can_log`` and ``log`` (the writer's group commit: it returns once the
record is durable), the operational monitoring buffer's ``record`` and the stage histogram.
Without hooks (the default) nothing is logged or monitored, which only tests use.

ARCHITECTURE rule 8: a signed message is released (sent to the peer, returned to the caller)
only after :meth:`Evidence.commit` returned; any failure of the log is ``LoggingFailed`` and
refuses the exchange. Monitoring never fails an exchange.

:class:`ExchangeTrace` collects one exchange as one server saw it (pr-opmon Annex B): the four
timestamps (request in/out, response in/out, Unix ms), the parties and message fields, sizes,
and the outcome, and ends in one :class:`OpRecord`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from security_server.messagelog.model import LogEntry
from security_server.opmonitor.metrics import Stage
from security_server.opmonitor.model import OpRecord, SecurityServerType, party_fields
from security_server.opmonitor.service import Answer
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import rest
from vdx.message.soap_model import SoapFault, SoapMessage
from vdx.message.transport import TransportMessage

log = structlog.get_logger("vdx.security_server.evidence")

LogHook = Callable[[LogEntry], Awaitable[int | None]]
OpMonitorHook = Callable[[OpRecord], None]
StageHook = Callable[[SecurityServerType, Stage, float], None]
# getSecurityServerOperationalData / getSecurityServerHealthData: the request, the owner of
# the server its securityServer header names, the central monitoring client.
OpMonitorQuery = Callable[[SoapMessage, ClientId | None, ClientId | None], Awaitable[Answer]]


def millis(now: datetime) -> int:
    """Unix milliseconds, as every operational monitoring timestamp (Annex B)."""
    return int(now.timestamp() * 1000)


@dataclass(frozen=True)
class Evidence:
    log: LogHook | None = None
    # Raises TimestampingFailed past the grace period (the log's own clock decides).
    check_can_log: Callable[[], None] | None = None
    opmonitor: OpMonitorHook | None = None
    stage: StageHook | None = None
    opmonitor_query: OpMonitorQuery | None = None

    def can_log(self) -> None:
        """Refuse (``TimestampingFailed``) before signing when nothing signed now could be
        logged: time-stamping has failed beyond the grace period."""
        if self.check_can_log is not None:
            self.check_can_log()

    async def commit(self, entry: LogEntry) -> int | None:
        """Log ``entry``; returns once it is durable. Raises ``XRoadError``."""
        if self.log is None:
            return None
        try:
            return await self.log(entry)
        except XRoadError:
            raise
        except Exception as error:  # whatever broke, nothing is released
            log.exception("messagelog_failed", query_id=entry.query_id)
            raise XRoadError(Code.LOGGING_FAILED, "Writing the message log failed") from error

    def monitor(self, record: OpRecord) -> None:
        """Hand over the exchange's record; never raises (monitoring never fails traffic)."""
        if self.opmonitor is None:
            return
        try:
            self.opmonitor(record)
        except Exception:  # the buffer swallows its own failures; this is belt and braces
            log.exception("opmonitor_record_failed")

    @contextmanager
    def timed(self, side: SecurityServerType, stage: Stage) -> Iterator[None]:
        """Measure one stage of an exchange into the stage histogram (failed stages too)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            if self.stage is not None:
                try:
                    self.stage(side, stage, time.perf_counter() - started)
                except Exception:  # a metric never fails traffic
                    log.exception("opmonitor_stage_failed")

    def finish(
        self,
        trace: ExchangeTrace,
        now: datetime,
        *,
        error: XRoadError | None = None,
        fault: SoapFault | None = None,
    ) -> None:
        """The exchange is over: its total duration and its record (never raises)."""
        if self.stage is not None:
            try:
                self.stage(trace.side, Stage.TOTAL, trace.elapsed())
            except Exception:  # a metric never fails traffic
                log.exception("opmonitor_stage_failed")
        if self.opmonitor is not None:
            try:
                record = trace.record(now, error=error, fault=fault)
            except Exception:  # a field no record can hold must not fail the exchange
                log.exception("opmonitor_record_failed")
                return
            self.monitor(record)


NO_EVIDENCE = Evidence()


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    return next((v.strip() for k, v in headers if k.lower() == wanted), None)


@dataclass
class ExchangeTrace:
    """One exchange as seen by one server, filled in as it proceeds."""

    side: SecurityServerType
    request_in_ts: int
    values: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @classmethod
    def begin(cls, side: SecurityServerType, now: datetime) -> ExchangeTrace:
        return cls(side, millis(now))

    def parties(self, client: ClientId | None, service: ServiceId | None) -> None:
        self.values |= {k: v for k, v in party_fields(client, service).items() if v is not None}

    def soap_request(
        self, request: SoapMessage, *, mime_size: int | None, attachments: int
    ) -> None:
        """The fields of a SOAP request (pr-opmon Annex B): header, sizes."""
        header = request.header
        self.parties(header.client, header.service)
        party = header.represented_party
        self.values |= {
            "message_id": header.id,
            "message_user_id": header.user_id,
            "message_issue": header.issue,
            "message_protocol_version": header.protocol_version,
            "represented_party_class": None if party is None else party.party_class,
            "represented_party_code": None if party is None else party.party_code,
            "request_size": len(request.xml),
            "request_mime_size": mime_size if attachments else None,
            "request_attachment_count": attachments,
        }

    def rest_request(
        self, method: str, target: rest.RestTarget, fields: rest.RestHeaders, body: bytes | None
    ) -> None:
        """The fields of a REST request: method, path below the service, X-Road headers."""
        self.parties(fields.client, target.service)
        party = fields.represented_party
        self.values |= {
            "rest_method": method.upper(),
            "rest_path": target.service_path or "/",
            "message_id": fields.message_id,
            "message_user_id": fields.user_id,
            "message_issue": fields.issue,
            "represented_party_class": None if party is None else party.party_class,
            "represented_party_code": None if party is None else party.party_code,
            "request_size": 0 if body is None else len(body),
        }

    def rest_headers(self, headers: tuple[tuple[str, str], ...]) -> None:
        """``X-Road-Id`` (assigned by the client proxy when the caller sent none) and
        ``X-Road-Request-Id`` of a REST request as sent."""
        found = {
            "message_id": _header(headers, rest.H_ID),
            "x_request_id": _header(headers, rest.H_REQUEST_ID),
        }
        self.values |= {k: v for k, v in found.items() if v is not None}

    def soap_response(
        self, response: SoapMessage | None, *, mime_size: int | None, attachments: int
    ) -> None:
        if response is not None:
            self.values["response_size"] = len(response.xml)
        self.values["response_mime_size"] = mime_size if attachments else None
        self.values["response_attachment_count"] = attachments

    def rest_response(self, status: int, body: bytes | None) -> None:
        self.values |= {"status_code": status, "response_size": 0 if body is None else len(body)}

    def transport_request(self, message: TransportMessage, size: int) -> None:
        """What a peer's (not yet verified) transport request says; refined once verified."""
        if message.soap is not None:
            attachments = len(message.attachments)
            self.soap_request(message.soap, mime_size=size, attachments=attachments)
            return
        part = message.rest_request
        if part is None:
            return
        try:
            target, fields = rest.parse_target(part.target), rest.parse_headers(part.headers)
        except XRoadError:
            return  # refused for it later; the record keeps what is known
        self.rest_request(part.method, target, fields, message.rest_body)
        self.rest_headers(part.headers)

    def transport_response(self, message: TransportMessage) -> None:
        """The signed answer's sizes (and REST status)."""
        if message.rest_response is not None:
            self.rest_response(message.rest_response.status, message.rest_body)
        else:
            attachments = len(message.attachments)
            self.soap_response(message.soap, mime_size=None, attachments=attachments)

    def set(self, **values: Any) -> None:
        self.values |= values

    def request_out(self, now: datetime) -> None:
        self.values["request_out_ts"] = millis(now)

    def response_in(self, now: datetime) -> None:
        self.values["response_in_ts"] = millis(now)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def record(
        self,
        now: datetime,
        *,
        error: XRoadError | None = None,
        fault: SoapFault | None = None,
    ) -> OpRecord:
        """The record, ending now: failed with ``error`` (this server's refusal or one it
        relayed) or ``fault`` (a service's signed SOAP fault), else succeeded."""
        values = {k: v for k, v in self.values.items() if v is not None}
        if error is not None:
            values |= {"fault_code": error.fault_code, "fault_string": error.message}
        elif fault is not None:
            values |= {"fault_code": fault.code, "fault_string": fault.string}
        return OpRecord(
            security_server_type=self.side,
            succeeded=error is None and fault is None,
            request_in_ts=self.request_in_ts,
            response_out_ts=millis(now),
            **values,
        )
