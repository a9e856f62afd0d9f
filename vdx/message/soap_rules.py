"""Rules that relate parts of SOAP messages to each other (pr-mess §2.4.3, §2.6).

* The body wrapper: a request's single body element is named after the service code, a
  response's after the service code plus ``Response``. Like the reference implementation we
  require only that the name *starts with* the service code, which admits both.
* Response consistency: a service copies the request's X-Road header fields into its response;
  the consumer's security server refuses a response whose fields differ.
"""

from __future__ import annotations

from vdx.errors import Code, XRoadError
from vdx.message import requesthash
from vdx.message.soap_model import SoapMessage

# Header fields a response must echo unchanged (pr-mess §2.4.3: "the response MUST contain
# the same header fields with the same values as the request").
_ECHOED = ("client", "service", "id", "user_id", "issue", "protocol_version")


def check_request_body(message: SoapMessage) -> None:
    """Refuse a body whose wrapper does not name the service the header names."""
    service_code = message.header.service.service_code
    if not message.body_name.startswith(service_code):
        raise XRoadError(
            Code.INCONSISTENT_HEADERS,
            "Malformed SOAP message: service code does not match in header and body",
        )


def check_response(request: SoapMessage, response: SoapMessage, *, hash_required: bool) -> None:
    """Refuse a response that does not answer ``request`` (pr-mess §2.4.3)."""
    for name in _ECHOED:
        if getattr(request.header, name) != getattr(response.header, name):
            raise XRoadError(
                Code.INCONSISTENT_RESPONSE,
                f"Response header field '{_wire_name(name)}' does not match the request",
            )
    claimed = response.header.request_hash
    if claimed is None:
        if hash_required:
            raise XRoadError(Code.INCONSISTENT_RESPONSE, "Response lacks the request hash")
        return
    requesthash.check(request.xml, claimed.value, claimed.algorithm_id)


def _wire_name(attribute: str) -> str:
    head, *rest = attribute.split("_")
    return head + "".join(word.capitalize() for word in rest)
