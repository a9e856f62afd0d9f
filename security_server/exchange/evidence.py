"""What an exchange leaves behind, built from its messages (pure): message log entries and the
identifying fields of operational monitoring records.

A log entry holds a signed message exactly as it was signed (security server architecture
§2.8): ``/message.xml`` (the SOAP envelope, a SOAP fault, or the REST header part), the
signature, and the message's own hash chain when several parts were signed. A decoded message
keeps its signed parts byte-exact (``TransportMessage.signed_parts``); a message this server
built carries the values it signed, so the bytes are taken from them (the REST parts encode
deterministically). The body kept is the one part an ASiC-E container can carry next to the
message (``attachment1``): a REST body, or the only attachment of a SOAP message; the hash
chain names every part by digest, so a container without the other attachments still verifies.

A record is filed under (owned by) this side's client: the service client on the client side,
the service provider on the server side (the reference's ``LogManager.createMessageRecord``),
so each side finds and archives its records under its own client.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from security_server.messagelog.model import LogEntry
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import rest
from vdx.message.soap_model import SoapMessage
from vdx.message.transport import TransportMessage

MESSAGE_PART = "/message.xml"
ATTACHMENT_PREFIX = "/attachment"
REQUEST_ID_HEADER = rest.H_REQUEST_ID


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((value.strip() for key, value in headers if key.lower() == wanted), None)


def signed_message(message: TransportMessage) -> bytes:
    """The bytes signed as ``/message.xml``."""
    for part in message.signed_parts:
        if part.name == MESSAGE_PART:
            return part.data
    if message.soap is not None:
        return message.soap.xml
    if message.rest_request is not None:
        return message.rest_request.encode()
    if message.rest_response is not None:
        return message.rest_response.encode()
    if message.fault is not None:
        return message.fault.xml
    raise XRoadError(Code.LOGGING_FAILED, "The message has no part to log")


def signed_attachments(message: TransportMessage) -> list[bytes]:
    """The other signed parts, in order (``/attachment1``, ``/attachment2``...)."""
    parts = [p.data for p in message.signed_parts if p.name.startswith(ATTACHMENT_PREFIX)]
    if parts or message.signed_parts:
        return parts
    if message.rest_body is not None:
        return [message.rest_body]
    return [attachment.data for attachment in message.attachments]


def log_entry(
    message: TransportMessage,
    *,
    query_id: str,
    client: ClientId,
    service: ServiceId,
    owner: ClientId,
    response: bool,
    now: datetime,
    x_request_id: str | None = None,
) -> LogEntry:
    """The log entry of one signed transport message (request or response)."""
    if message.signature is None:
        # ARCHITECTURE rule 8: never logged unless signed.
        raise XRoadError(Code.LOGGING_FAILED, "An unsigned message cannot be logged")
    attachments = signed_attachments(message)
    return LogEntry(
        query_id=query_id,
        x_request_id=x_request_id,
        client=client,
        service=service,
        owner=owner,
        response=response,
        rest=message.rest_request is not None or message.rest_response is not None,
        message=signed_message(message),
        body=attachments[0] if len(attachments) == 1 else None,
        signature=message.signature,
        hash_chain_result=_utf8(message.hash_chain_result),
        hash_chain=_utf8(message.hash_chain),
        created_at=now,
    )


def _utf8(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8")


def owner_of(client: ClientId, service: ServiceId, *, provider_side: bool) -> ClientId:
    """Whom a record is filed under: the provider on the server side, else the client."""
    return service.provider if provider_side else client


def soap_entry(
    message: TransportMessage,
    request: SoapMessage,
    *,
    response: bool,
    provider_side: bool,
    now: datetime,
) -> LogEntry:
    """A SOAP request or its response (a signed fault too), filed under the request's
    message id and this side's client (``provider_side``: the service provider)."""
    header = request.header
    return log_entry(
        message,
        query_id=header.id,
        client=header.client,
        service=header.service,
        owner=owner_of(header.client, header.service, provider_side=provider_side),
        response=response,
        now=now,
    )


def rest_entry(
    message: TransportMessage,
    request_headers: Sequence[tuple[str, str]],
    client: ClientId,
    service: ServiceId,
    *,
    response: bool,
    provider_side: bool,
    now: datetime,
) -> LogEntry:
    """A REST request or its response, filed under the request's ``X-Road-Id`` (pr-rest
    §4.3; the client proxy sets one when the caller did not), ``X-Road-Request-Id`` and this
    side's client (``provider_side``: the service provider)."""
    query_id = _header(request_headers, rest.H_ID)
    if query_id is None:
        raise XRoadError(Code.LOGGING_FAILED, f"The request has no {rest.H_ID}")
    return log_entry(
        message,
        query_id=query_id,
        client=client,
        service=service,
        owner=owner_of(client, service, provider_side=provider_side),
        response=response,
        now=now,
        x_request_id=_header(request_headers, REQUEST_ID_HEADER),
    )
