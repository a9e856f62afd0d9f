"""Response consistency (pr-mess §2.4.3): a response must answer its request.

A service copies the request's X-Road header fields into its response; the consumer's security
server refuses a response whose fields differ, or whose ``requestHash`` is not the digest of the
request it sent. (The body-wrapper rule is checked by the parser itself, in ``soap``.)
"""

from __future__ import annotations

from vdx.errors import Code, XRoadError
from vdx.message import requesthash
from vdx.message.soap_model import SoapMessage

# Header fields a response must echo unchanged: the same set the reference compares.
# Absent and empty differ; protocolVersion, securityServer and requestHash are not compared.
_ECHOED = ("client", "service", "user_id", "represented_party", "issue", "id")


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
