"""The client proxy's plain-HTTP metaservice forms (decisions only; the proxy does the I/O).

``GET /listClients[?xRoadInstance=..]`` answers from the global configuration: XML
``clientList``, or JSON with ``Accept: application/json`` (pr-meta §2). ``GET /wsdl?...`` is the
older form (X-Road 6 and UXP clients) that names a service by query parameters; it becomes a
``getWsdl`` message from this server's owner to the provider, sent through the ordinary
signed exchange, and the WSDL attachment of the answer is returned (the reference's
``WsdlRequestProcessor`` does the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import ClientAnswer, routing
from security_server.exchange.rest_client import error_of
from security_server.metaservices import answers
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import metaservices as meta

JSON_TYPE = "application/json"
XML_TYPE = "text/xml; charset=UTF-8"
WSDL_USER_ID = "wsdl-request"  # the reference's userId for this form


def wants_json(accept: str | None) -> bool:
    return any(
        item.split(";", 1)[0].strip().lower() == JSON_TYPE for item in (accept or "").split(",")
    )


def list_clients(
    conf: GlobalConfiguration, query: Mapping[str, str], accept: str | None, now: datetime
) -> tuple[bytes, str]:
    """Body and Content-Type of the ``listClients`` answer; fails closed on an expired
    configuration (ARCHITECTURE rule 8)."""
    routing.check_configuration(conf, now)
    entries = answers.client_list(conf, query.get("xRoadInstance") or None)
    if wants_json(accept):
        return meta.encode_client_list_json(entries), JSON_TYPE
    return meta.encode_client_list(entries), XML_TYPE


def list_central_services(conf: GlobalConfiguration, now: datetime) -> tuple[bytes, str]:
    """The (empty) ``centralServiceList``; XML whatever the Accept header (pr-mrest §3)."""
    routing.check_configuration(conf, now)
    return meta.encode_central_service_list(), XML_TYPE


def _param(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name, "").strip()
    return value or None


def wsdl_query_request(query: Mapping[str, str], owner: ClientId, message_id: str) -> bytes:
    """The ``getWsdl`` message for ``GET /wsdl?xRoadInstance=&memberClass=&memberCode=
    [&subsystemCode=]&serviceCode=[&version=]``, sent as this server's owner."""
    instance = _param(query, "xRoadInstance")
    code = _param(query, "serviceCode")
    member_class = _param(query, "memberClass")
    member_code = _param(query, "memberCode")
    if instance is None:
        raise XRoadError(Code.INVALID_REQUEST, "Must specify instance identifier")
    if code is None:
        raise XRoadError(Code.INVALID_REQUEST, "Must specify service code")
    if member_class is None or member_code is None:
        # Central services (instance and code only) are gone from X-Road 7 (pr-meta 2.12).
        raise XRoadError(Code.INVALID_REQUEST, "Must specify memberClass and memberCode")
    version = _param(query, "version")
    provider = ClientId(instance, member_class, member_code, _param(query, "subsystemCode"))
    wanted = meta.WsdlRequest(code, version)
    # The getWsdl service carries the wanted service's version, as the reference sends it.
    service = ServiceId(provider, meta.GET_WSDL, version)
    return meta.encode_wsdl_request(
        owner, service, wanted, message_id=message_id, user_id=WSDL_USER_ID
    )


def wsdl_of(answer: ClientAnswer) -> tuple[bytes, str]:
    """The WSDL attachment of a ``getWsdl`` answer; a fault is raised as its error."""
    if answer.fault is not None:
        raise error_of(answer.fault)
    if not answer.attachments:
        raise XRoadError(Code.INVALID_MESSAGE, "The getWsdl answer carries no WSDL attachment")
    wsdl = answer.attachments[0]
    return wsdl.data, wsdl.content_type or meta.WSDL_CONTENT_TYPE
