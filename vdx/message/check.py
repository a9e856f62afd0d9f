"""Check a request the way the client proxy would, without sending it anywhere.

This is the pure part of ``vdx message check``: it decodes the bytes, applies the message
protocol's rules and reports the X-Road header fields, or the error the client proxy would
return (attributed to the caller, ``Client.*``, since a malformed request is the caller's fault).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message import rest, soap_request
from vdx.message.soap_model import RepresentedParty, SoapFault, SoapMessage
from vdx.message.soap_rules import check_response


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """The X-Road fields a valid request carries, in one shape for SOAP and REST."""

    protocol: str
    client: ClientId
    service: ServiceId
    message_id: str | None
    user_id: str | None
    issue: str | None
    protocol_version: str | None
    security_server: SecurityServerId | None
    represented_party: RepresentedParty | None
    attachments: int = 0
    mtom: bool = False
    service_path: str = ""

    def fields(self) -> dict[str, str]:
        """Printable fields; identifiers in the ``/`` form of REST headers."""
        party = self.represented_party
        values: dict[str, str | None] = {
            "protocol": self.protocol,
            "client": str(self.client),
            "service": str(self.service),
            "id": self.message_id,
            "userId": self.user_id,
            "issue": self.issue,
            "protocolVersion": self.protocol_version,
            "securityServer": str(self.security_server) if self.security_server else None,
            "representedParty": (
                f"{party.party_class or ''}/{party.party_code}".lstrip("/") if party else None
            ),
            "servicePath": self.service_path or None,
            "attachments": str(self.attachments) if self.protocol == "SOAP" else None,
            "mtom": ("yes" if self.mtom else "no") if self.protocol == "SOAP" else None,
        }
        return {key: value for key, value in values.items() if value is not None}


def guess_content_type(body: bytes) -> str:
    """The Content-Type a file most likely travelled with: multipart if it starts with a
    boundary line (the boundary is that line), else ``text/xml``."""
    stripped = body.lstrip(b"\r\n")
    if stripped.startswith(b"--"):
        first_line = stripped.split(b"\n", 1)[0].rstrip(b"\r")
        boundary = first_line[2:].decode("ascii", "replace").strip()
        return f'multipart/related; type="text/xml"; boundary="{boundary}"'
    return "text/xml; charset=UTF-8"


def check_soap(
    body: bytes, content_type: str | None, limits: soap_request.MessageLimits | None = None
) -> CheckedRequest:
    """Decode and validate a SOAP request; raise an attributed :class:`XRoadError`."""
    decoded = decode_soap_request(body, content_type, limits)
    header = decoded.message.header
    return CheckedRequest(
        protocol="SOAP",
        client=header.client,
        service=header.service,
        message_id=header.id,
        user_id=header.user_id,
        issue=header.issue,
        protocol_version=header.protocol_version,
        security_server=header.security_server,
        represented_party=header.represented_party,
        attachments=len(decoded.attachments),
        mtom=decoded.is_mtom,
    )


def decode_soap_request(
    body: bytes, content_type: str | None, limits: soap_request.MessageLimits | None = None
) -> soap_request.SoapRequest:
    """The decoded request itself, for callers that go on to check a response against it."""
    try:
        return soap_request.decode(body, content_type or guess_content_type(body), limits)
    except XRoadError as error:
        raise error.attributed_to(Origin.CLIENT) from None


def check_soap_response(
    body: bytes,
    content_type: str | None,
    request: SoapMessage | None = None,
    limits: soap_request.MessageLimits | None = None,
) -> SoapMessage | SoapFault:
    """Check a service's answer as the provider's server proxy, then the client proxy, would.

    A fault from the service is returned as is: X-Road passes it through to the client. A
    malformed answer is the service's failure (``Server.ServerProxy.ServiceFailed.*``); an
    answer that does not match ``request`` is refused by the consumer's security server
    (``Server.ClientProxy.ServiceFailed.InconsistentResponse``). The request hash is not
    required here because the provider's security server adds it to the answer.
    """
    try:
        decoded = soap_request.decode_any(body, content_type or guess_content_type(body), limits)
    except XRoadError as error:
        raise error.in_service_response().attributed_to(Origin.SERVER_PROXY) from None
    if isinstance(decoded, tuple):
        return decoded[0]
    if request is not None:
        # The provider's security server replaces whatever requestHash the service wrote with
        # its own (pr-mess §2.4.2), so the service's value is not checked here.
        answer = dataclasses.replace(
            decoded.message,
            header=dataclasses.replace(decoded.message.header, request_hash=None),
        )
        try:
            check_response(request, answer, hash_required=False)
        except XRoadError as error:
            raise error.in_service_response().attributed_to(Origin.CLIENT_PROXY) from None
    return decoded.message


def check_rest(raw_request: bytes) -> CheckedRequest:
    """Validate a raw HTTP/1.1 REST request (request line, headers, body) for ``/r1/``."""
    try:
        target, headers = _split_http_request(raw_request)
        parsed_target = rest.parse_target(target)
        fields = rest.parse_headers(headers)
    except XRoadError as error:
        raise error.attributed_to(Origin.CLIENT) from None
    return CheckedRequest(
        protocol="REST",
        client=fields.client,
        service=parsed_target.service,
        message_id=fields.message_id,
        user_id=fields.user_id,
        issue=fields.issue,
        protocol_version=None,
        security_server=fields.security_server,
        represented_party=fields.represented_party,
        service_path=parsed_target.service_path,
    )


def _split_http_request(raw: bytes) -> tuple[str, list[tuple[str, str]]]:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    request_line = lines[0].split()
    if len(request_line) != 3 or not request_line[2].startswith("HTTP/"):
        raise XRoadError(Code.INVALID_REQUEST, "Not an HTTP request line: METHOD TARGET HTTP/1.1")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise XRoadError(Code.INVALID_REQUEST, "Malformed HTTP header line")
        headers.append((name.strip(), value.strip()))
    return request_line[1], headers
