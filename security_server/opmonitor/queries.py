"""Pure answers to the operational monitoring queries (pr-opmon §2, §3; UC OPMON_02, OPMON_03).

Who may see what:

* the security server's owner (the member named as owner of the server in the global
  configuration, compared exactly, as the reference does) and the central monitoring client
  (the global configuration's monitoring parameters) see every record and every field;
* any other client sees only the records it took part in, as client or as service provider,
  and never ``securityServerInternalIp`` (the reference's OperationalDataRecordQuery);
* health data describes the services of this server; the owner and the monitoring client see
  all of them, another client only the services it provides itself (our narrowing: the
  reference answers anyone, UC OPMON_03, but the issue allows a client its own data only).

The shell decodes the request, calls :func:`plan_operational_data`, runs the plan against the
store and hands the result to :func:`operational_data_answer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.model import OpRecord
from security_server.opmonitor.store import QueryResult
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId
from vdx.message.opmonitoring import (
    INTERNAL_IP,
    OUTPUT_FIELDS,
    HealthDataRequest,
    OperationalDataRequest,
    SearchCriteria,
    encode_records,
    health_data_response_element,
    operational_data_response_element,
)


@dataclass(frozen=True, slots=True)
class Access:
    """What a caller may see: everything, or only what concerns ``own`` (a regular client)."""

    own: ClientId | None

    @property
    def privileged(self) -> bool:
        return self.own is None


def access_for(
    caller: ClientId, owner: ClientId | None, monitoring_client: ClientId | None
) -> Access:
    """The caller's view: the owner and the central monitoring client see everything.

    ``owner`` is the owner of the server the request's ``securityServer`` header names; without
    that header the owner cannot be recognised (pr-opmon §2: the owner MUST send it) and is
    treated as any client, as the reference does."""
    if caller in {owner, monitoring_client}:
        return Access(None)
    return Access(caller)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """What to ask the store and how to shape the answer."""

    criteria: SearchCriteria
    client_filter: ClientId | None
    fields: frozenset[str]
    limit: int
    # Set when recordsTo reached into the not yet available seconds (§2 nextRecordsFrom).
    shifted_next: int | None


def plan_operational_data(
    request: OperationalDataRequest,
    access: Access,
    now: datetime,
    offset_seconds: int,
    limit: int,
) -> QueryPlan:
    """Check the period against what is available at ``now`` and fix the filter and fields.

    Records are available before ``now - offset`` (pr-opmon §2): a ``recordsFrom`` at or after
    it is refused; a ``recordsTo`` at or after it is moved to the second before, and the answer
    then says where the next query starts.
    """
    available_before = int(now.timestamp()) - offset_seconds
    search = request.search
    if search.records_from >= available_before:
        raise XRoadError(
            Code.INVALID_REQUEST,
            f"Records not available from {search.records_from} yet",
            origin=Origin.CLIENT,
        )
    shifted_next = None
    records_to = search.records_to
    if records_to >= available_before:
        records_to, shifted_next = available_before - 1, available_before
    fields = request.output.fields or OUTPUT_FIELDS
    if not access.privileged:
        fields = fields - {INTERNAL_IP}
    return QueryPlan(
        SearchCriteria(search.records_from, records_to, search.client),
        access.own,
        frozenset(fields),
        limit,
        shifted_next,
    )


@dataclass(frozen=True, slots=True)
class OperationalDataAnswer:
    """The SOAP body element and the gzip JSON attachment it refers to."""

    body: etree._Element
    payload: bytes
    records_count: int
    next_records_from: int | None


def records_json(records: Iterable[OpRecord], fields: frozenset[str]) -> list[dict[str, object]]:
    return [record.to_json(fields) for record in records]


def operational_data_answer(plan: QueryPlan, result: QueryResult) -> OperationalDataAnswer:
    """The §2 answer: the store's paging wins over the shift of ``recordsTo`` (the reference
    sets ``nextRecordsFrom`` from the shift first, then from the overflow)."""
    next_from = result.next_records_from
    if next_from is None:
        next_from = plan.shifted_next
    payload = encode_records(records_json(result.records, plan.fields))
    count = len(result.records)
    return OperationalDataAnswer(
        operational_data_response_element(count, next_from), payload, count, next_from
    )


def health_data_answer(
    request: HealthDataRequest,
    access: Access,
    statistics: HealthStatistics,
    now: datetime,
) -> etree._Element:
    """The §3 answer for this caller: a regular client may ask about its own services only."""
    provider = request.client
    if not access.privileged:
        if provider is not None and provider != access.own:
            raise XRoadError(
                Code.ACCESS_DENIED,
                "Health data of another client's services is available only to the security "
                "server owner and the central monitoring client",
                origin=Origin.CLIENT,
            )
        provider = access.own
    return health_data_response_element(statistics.snapshot(now, provider))
