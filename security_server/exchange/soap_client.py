"""The client proxy's side of a SOAP exchange: check, route and sign; then check the answer.

Faults are attributed to ``Server.ClientProxy`` (this security server refused or failed); a
response that does not answer the request is the provider's failure seen here
(``Server.ClientProxy.ServiceFailed.InconsistentResponse``, as the reference reports it).
"""

from __future__ import annotations

from datetime import datetime

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import routing, signing
from security_server.exchange.bodies import part_content_type, soap_http_body
from security_server.exchange.errors import attributed
from security_server.exchange.model import ClientAnswer, PreparedRequest, SigningMaterial
from security_server.serverconf.snapshot import ServerConfSnapshot
from vdx.crypto.trust import TrustConfig
from vdx.crypto.xades_create import DataPart
from vdx.errors import Code, Origin, XRoadError
from vdx.message.soap_model import Attachment
from vdx.message.soap_request import SoapRequest
from vdx.message.soap_rules import check_response
from vdx.message.transport import TransportMessage

MESSAGE_FILE = "/message.xml"


def data_parts(
    message_xml: bytes, message_type: str, attachments: tuple[Attachment, ...]
) -> list[DataPart]:
    """The signed parts in transport order: ``/message.xml``, then ``/attachmentN``."""
    parts = [DataPart(MESSAGE_FILE, message_xml, message_type)]
    parts += [
        DataPart(f"/attachment{n}", a.data, a.content_type)
        for n, a in enumerate(attachments, start=1)
    ]
    return parts


def prepare_soap_request(
    request: SoapRequest,
    *,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    signing_material: SigningMaterial,
    auth_ocsp_responses: tuple[bytes, ...],
    now: datetime,
) -> PreparedRequest:
    """Check the client's request, find the provider's servers and sign it.

    ``auth_ocsp_responses`` are this server's authentication certificate's OCSP responses,
    stapled as the transport's first parts for the provider's TLS check (pr-messtransp §2.2).
    """
    header = request.message.header
    with attributed(Origin.CLIENT_PROXY):
        routing.check_configuration(conf, now)
        routing.check_client(serverconf, header.client)
        targets = routing.provider_targets(conf, header.service, header.security_server)
        message_type = part_content_type(request.message, mtom=request.is_mtom)
        parts = data_parts(request.message.xml, message_type, request.attachments)
        signed = signing.sign_parts(parts, signing_material, now)
    message = TransportMessage(
        ocsp_responses=auth_ocsp_responses,
        soap=request.message,
        attachments=request.attachments,
        hash_chain_result=signed.hash_chain_result,
        hash_chain=signed.hash_chain,
        signature=signed.signature,
        message_content_type=message_type,
    )
    return PreparedRequest(
        message=message,
        request=request.message,
        attachments=request.attachments,
        client=header.client,
        service=header.service,
        targets=targets,
    )


def check_soap_response(
    prepared: PreparedRequest,
    response: TransportMessage,
    *,
    trust: TrustConfig,
    conf: GlobalConfiguration,
    now: datetime,
) -> ClientAnswer:
    """Verify the provider's answer; return what goes back to the information system.

    A fault from the provider's security server (unsigned: it failed before answering) or a
    signed fault of the service is passed through unchanged, as the reference does.
    """
    with attributed(Origin.CLIENT_PROXY):
        routing.check_configuration(conf, now)
        if response.fault is not None and response.signature is None:
            return _fault_answer(response)
        verified = signing.verify_message(
            response, trust=trust, now=now, signer_member=prepared.service.provider
        )
    if response.fault is not None:
        return _fault_answer(response)
    answer = response.soap
    if answer is None:
        raise XRoadError(
            Code.INVALID_MESSAGE, "Response carries no SOAP message", Origin.CLIENT_PROXY
        )
    with attributed(Origin.CLIENT_PROXY, service_failed=True):
        check_response(prepared.request, answer, hash_required=True)
    body, content_type = soap_http_body(answer, response.attachments, response.message_content_type)
    return ClientAnswer(
        body=body,
        content_type=content_type,
        response=answer,
        fault=None,
        attachments=response.attachments,
        signature=verified,
    )


def _fault_answer(response: TransportMessage) -> ClientAnswer:
    fault = response.fault
    assert fault is not None  # noqa: S101 - callers checked
    return ClientAnswer(
        body=fault.xml, content_type="text/xml; charset=UTF-8", response=None, fault=fault
    )
