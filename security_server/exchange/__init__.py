"""The pure core of one message exchange between security servers (no sockets).

The client proxy calls :func:`prepare_soap_request` and, with the provider's answer,
:func:`check_soap_response`; the server proxy calls :func:`verify_soap_request` and, with the
service's answer, :func:`build_soap_response`. The REST r1 functions have the same shape.
Every refusal is an :class:`vdx.errors.XRoadError` already attributed to its origin; the
proxies render it with :mod:`vdx.message.faults` only.
"""

from security_server.exchange.model import (
    ClientAnswer,
    PreparedRequest,
    ProviderTarget,
    SigningMaterial,
    VerifiedRequest,
)
from security_server.exchange.rest_client import check_rest_response, prepare_rest_request
from security_server.exchange.rest_model import (
    PreparedRestRequest,
    RestCall,
    RestReply,
    VerifiedRestRequest,
)
from security_server.exchange.rest_server import build_rest_response, verify_rest_request
from security_server.exchange.soap_client import check_soap_response, prepare_soap_request
from security_server.exchange.soap_server import build_soap_response, verify_soap_request

__all__ = [
    "ClientAnswer",
    "PreparedRequest",
    "PreparedRestRequest",
    "ProviderTarget",
    "RestCall",
    "RestReply",
    "SigningMaterial",
    "VerifiedRequest",
    "VerifiedRestRequest",
    "build_rest_response",
    "build_soap_response",
    "check_rest_response",
    "check_soap_response",
    "prepare_rest_request",
    "prepare_soap_request",
    "verify_rest_request",
    "verify_soap_request",
]
