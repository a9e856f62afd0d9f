"""The client proxy's side of a REST r1 exchange (pr-rest §4, pr-messtransp §2.3).

The request travels as a REST header part (signed as ``/message.xml``) and, when it has one,
its body (``/attachment1``); with a body the two are signed through a hash chain. The answer
must name the request's client, service and message id, and carry ``X-Road-Request-Hash``: the
digest of exactly what was sent (pr-rest §4.3).
"""

from __future__ import annotations

import hmac
import urllib.parse
import uuid
from datetime import datetime

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import routing, signing
from security_server.exchange.errors import attributed
from security_server.exchange.model import SigningMaterial
from security_server.exchange.rest_model import PreparedRestRequest, RestCall, RestReply
from security_server.serverconf.snapshot import ServerConfSnapshot
from vdx.crypto.trust import TrustConfig
from vdx.crypto.xades_create import DataPart
from vdx.errors import Code, Origin, XRoadError
from vdx.message import rest, rest_part
from vdx.message.soap_model import SoapFault
from vdx.message.transport import TransportMessage

# Not forwarded: they describe this hop's framing, which the transport message replaces.
_FRAMING = frozenset({"host", "content-length"})
_REQUEST_ID = rest.H_REQUEST_ID.lower()


def rest_data_parts(
    header_part: bytes, body: bytes | None, header_type: str = rest_part.REST_REQUEST_TYPE
) -> list[DataPart]:
    """The signed parts: the header part as ``/message.xml``, the body as ``/attachment1``."""
    parts = [DataPart("/message.xml", header_part, header_type)]
    if body is not None:
        parts.append(DataPart("/attachment1", body, rest_part.REST_BODY_TYPE))
    return parts


def prepare_rest_request(
    call: RestCall,
    *,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    signing_material: SigningMaterial,
    auth_ocsp_responses: tuple[bytes, ...],
    now: datetime,
    message_id: str | None = None,
    request_id: str | None = None,
) -> PreparedRestRequest:
    """Check the caller's REST request, find the provider's servers and sign it.

    A request without ``X-Road-Id`` gets ``message_id`` (default: a new UUID), as the
    reference client proxy assigns one; every request gets ``X-Road-Request-Id``
    (``request_id``, default a new UUID).
    """
    with attributed(Origin.CLIENT):
        target = rest.parse_target(call.target)
        fields = rest.parse_headers(call.headers)
    with attributed(Origin.CLIENT_PROXY):
        routing.check_configuration(conf, now)
        routing.check_client(serverconf, fields.client)
        targets = routing.provider_targets(conf, target.service, fields.security_server)
        # X-Road-Request-Id is the security server's own: added to every request, replacing
        # one the caller sent (pr-rest, use of HTTP headers), so that both sides' logs and
        # monitoring records of one exchange share it.
        headers = [
            (name, value)
            for name, value in rest.end_to_end_headers(call.headers)
            if name.lower() not in _FRAMING and name.lower() != _REQUEST_ID
        ]
        if fields.message_id is None:
            headers.append((rest.H_ID, message_id or str(uuid.uuid4())))
        headers.append((rest.H_REQUEST_ID, request_id or str(uuid.uuid4())))
        part = rest_part.RestRequestPart(call.method.upper(), call.target, tuple(headers))
        body = call.body or None
        encoded = part.encode()
        signed = signing.sign_parts(rest_data_parts(encoded, body), signing_material, now)
    message = TransportMessage(
        ocsp_responses=auth_ocsp_responses,
        rest_request=part,
        rest_body=body,
        hash_chain_result=signed.hash_chain_result,
        hash_chain=signed.hash_chain,
        signature=signed.signature,
        message_content_type=rest_part.REST_REQUEST_TYPE,
    )
    return PreparedRestRequest(
        message=message,
        part=part,
        body=body,
        client=fields.client,
        service=target.service,
        request_hash=rest_part.request_hash(encoded, body),
        targets=targets,
    )


def check_rest_response(
    prepared: PreparedRestRequest,
    response: TransportMessage,
    *,
    trust: TrustConfig,
    conf: GlobalConfiguration,
    now: datetime,
) -> RestReply:
    """Verify the provider's answer; return the reply for the information system.

    A fault from the provider's side is raised as the :class:`XRoadError` it names, so the
    proxy renders it once, as REST error JSON (pr-rest §4.6).
    """
    with attributed(Origin.CLIENT_PROXY):
        routing.check_configuration(conf, now)
        if response.fault is not None and response.signature is None:
            raise error_of(response.fault)
        signing.verify_message(
            response, trust=trust, now=now, signer_member=prepared.service.provider
        )
        if response.fault is not None:
            raise error_of(response.fault)
        answer = response.rest_response
        if answer is None:
            raise XRoadError(Code.INVALID_MESSAGE, "Response carries no REST response part")
    with attributed(Origin.CLIENT_PROXY, service_failed=True):
        check_consistency(prepared, answer.headers)
    return RestReply(answer.status, answer.reason, answer.headers, response.rest_body)


def check_consistency(prepared: PreparedRestRequest, headers: tuple[tuple[str, str], ...]) -> None:
    """The provider's server answers this request: the same client, service and message id
    and the request's hash (pr-rest §4.3; the reference client proxy compares all four)."""
    sent_id = _single(prepared.part.headers, rest.H_ID)
    expected = (
        (rest.H_CLIENT, _id_parts(prepared.client.to_path())),
        (rest.H_SERVICE, _id_parts(prepared.service.to_path())),
    )
    for name, wanted in expected:
        value = _single(headers, name)
        if value is None or _id_parts(value) != wanted:
            raise XRoadError(Code.INCONSISTENT_RESPONSE, f"Response {name} does not match request")
    if _single(headers, rest.H_ID) != sent_id:
        raise XRoadError(Code.INCONSISTENT_RESPONSE, f"Response {rest.H_ID} does not match request")
    claimed = _single(headers, rest.H_REQUEST_HASH)
    if claimed is None:
        raise XRoadError(Code.INCONSISTENT_RESPONSE, "Response lacks the request hash")
    if not hmac.compare_digest(claimed.strip().encode(), prepared.request_hash.encode()):
        raise XRoadError(Code.INCONSISTENT_RESPONSE, "Request hash in the response does not match")


def _single(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The one value of ``name``; a repeated X-Road header cannot be trusted to mean one thing."""
    wanted = name.lower()
    values = [value.strip() for key, value in headers if key.lower() == wanted]
    if len(values) > 1:
        raise XRoadError(Code.INCONSISTENT_RESPONSE, f"Response repeats {name}")
    return values[0] if values else None


def _id_parts(value: str) -> tuple[str, ...]:
    # A peer may percent-encode each part (pr-rest §4.2); compare the decoded parts.
    return tuple(urllib.parse.unquote(part) for part in value.split("/"))


def error_of(fault: SoapFault) -> XRoadError:
    """The error a fault's code names, origin prefix split off (``Server.ServerProxy.X``)."""
    for origin in sorted(Origin, key=len, reverse=True):
        if fault.code.startswith(f"{origin}."):
            code = fault.code.removeprefix(f"{origin}.")
            return XRoadError(code, fault.string, origin, detail=fault.detail or "")
    return XRoadError(fault.code or Code.INVALID_MESSAGE, fault.string, Origin.SERVER)
