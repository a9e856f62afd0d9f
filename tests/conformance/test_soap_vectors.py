"""Every query and answer of the reference proxy test suite gets the verdict that suite expects.

Verdicts and the Content-Types the reference tests send come from the reference test cases
(proxy-core ``testsuite/testcases`` and ``SoapMessageTest``); see ``tests/vectors/README.md``.
Like the reference harness, query/answer pairs are compared with their ``xroad:id`` rewritten
to one value, because the files carry placeholder ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import vectors
from vdx.errors import Origin, XRoadError
from vdx.message import transport
from vdx.message.check import check_soap, check_soap_response, decode_soap_request
from vdx.message.soap_model import SoapFault

B = "jetty771207119h3h10dty"
MR = f"multipart/related; charset=UTF-8; boundary={B}"
MTOM = (
    'Multipart/Related; start-info="application/soap+xml"; type="application/xop+xml"; '
    f'boundary="{B}"'
)
XOP = (
    "multipart/related; type=application/xop+xml; "
    "boundary=MIMEBoundaryurn_uuid_0FE43E4D025F0BF3DC11582467646812"
)
TEXT = "text/xml; charset=UTF-8"

OK = "OK"

# Client-proxy view of each query: (Content-Type sent, verdict).
QUERIES: dict[str, tuple[str, str]] = {
    "allowedMethods.query": (TEXT, OK),
    # no reference test: the verdict its parser rules give
    "attach-error-withsoap.query": (TEXT, "Client.InconsistentHeaders"),
    "attachm-error.query": (MR, "Client.InvalidContentType"),
    "attachm-faulty-soap.query": (MR, "Client.MissingHeaderField"),
    "attachm-mtom.query": (MTOM, OK),
    "attachm-no-soap.query": (MR, "Client.InvalidContentType"),
    "attachm.query": (MR, OK),
    "attachm2-utf8bom-inside.query": (f"multipart/related; boundary={B}", OK),
    "attachm2.query": (f"multipart/related; boundary={B}", OK),
    "attachments.query": (MR, OK),
    # no reference test: the verdict its parser rules give
    "bigAttachment.query": (TEXT, OK),
    "cdata.query": (TEXT, OK),
    "empty.query": (TEXT, "Client.InvalidSoap"),
    "fault.query": (TEXT, "Client.CODE"),
    "faulty-header.query": (TEXT, "Client.MissingHeaderField"),
    "faulty-header2.query": (TEXT, "Client.DuplicateHeaderField"),
    # no reference test: the verdict its parser rules give
    "faulty-multipart.query": (
        f"multipart/related; boundary={B}; charset=utf-8",
        "Client.MissingSoap",
    ),
    "getstate-defaultnamespace.query": (TEXT, OK),
    "getstate-subsystem.query": (TEXT, OK),
    "getstate.query": (TEXT, OK),
    "inconsistent-headers.query": (TEXT, "Client.InconsistentHeaders"),
    # no reference test: the verdict its parser rules give
    "invalid-service-address.query": (TEXT, OK),
    "listMethods.query": (TEXT, OK),
    "malformed-body1.query": (TEXT, "Client.InvalidBody"),
    "malformed-body2.query": (TEXT, "Client.InvalidBody"),
    "malformed-body3.query": (TEXT, "Client.InconsistentHeaders"),
    "malformed-protocolVersion.query": (TEXT, "Client.InvalidProtocolVersion"),
    "mimesoap.query": (MR, OK),
    "missing-body.query": (TEXT, "Client.MissingBody"),
    "missing-org.query": (TEXT, OK),
    "missing-protocolVersion.query": (TEXT, "Client.MissingHeaderField"),
    "missing-userId.query": (TEXT, OK),
    "missingobjecttype.query": (TEXT, "Client.InvalidXml"),
    "no-header.query": (TEXT, "Client.MissingHeader"),
    "notAllowed.query": (TEXT, OK),
    "nowhitespace.query": (TEXT, OK),
    "proxyemulator.query": (TEXT, OK),
    "request-suffix.query": (TEXT, OK),
    # no reference test: the verdict its parser rules give
    "signing-error-request.query": (TEXT, OK),
    # no reference test: the verdict its parser rules give
    "signing-error-response.query": (TEXT, OK),
    "simple-representedparty.query": (TEXT, OK),
    "simple-rpc.query": (TEXT, OK),
    "simple.query": (TEXT, OK),
    # no reference test: the verdict its parser rules give
    "smallAttachment.query": (MR, OK),
    "soapfault-mtom.query": (MTOM, OK),
    # no reference test: the verdict its parser rules give
    "soapfaulterror.query": (TEXT, "Client.SOAP-ENV:Clientrwerete"),
    "split-header.query": (TEXT, OK),
    "wrong-protocolVersion.query": (TEXT, "Client.InvalidProtocolVersion"),
    "wrong-version.query": (TEXT, "Client.InvalidProtocolVersion"),
    "xml.query": (TEXT, OK),
    "xmlencoded.query": (TEXT, OK),
    "simplesoap.xml": (TEXT, OK),
}

# Posted straight to a server proxy as a transport message by the reference suite.
SERVER_PROXY_QUERIES: dict[str, tuple[str, str]] = {
    "no-signature.query": (
        "multipart/mixed; boundary=jetty42534330h7vzfqv2;charset=ISO-8859-1",
        "MissingSignature",
    ),
    "no-soap.query": (f"multipart/mixed; charset=UTF-8; boundary={B}", "InvalidSoap"),
}

# Answers: (the query it answers or None, Content-Type, verdict). "fault:X" is a service
# fault X passed through to the client unchanged.
ANSWERS: dict[str, tuple[str | None, str, str]] = {
    "attachm-mtom.answer": ("attachm-mtom.query", MTOM + "; charset=UTF-8", OK),
    "attachm.answer": ("attachm.query", TEXT, OK),
    "attachm2-utf8bom-inside.answer": ("attachm2-utf8bom-inside.query", MR, OK),
    "attachm2.answer": ("attachm2.query", MR, OK),
    "attachment-small-mantis.answer": (None, TEXT, OK),
    "attachments.answer": ("attachments.query", MR, OK),
    # no reference test: the verdict its parser rules give
    "bigAttachment.answer": ("bigAttachment.query", TEXT, OK),
    "cdata.answer": ("cdata.query", TEXT, OK),
    # no reference test: the verdict its parser rules give
    "customfault.answer": ("getstate.query", TEXT, "fault:foo:FOOCODE"),
    # no reference test: the verdict its parser rules give
    "customsoapenv.answer": ("getstate.query", TEXT, "fault:soapenv:Server.CODE"),
    "faulty-fault.answer": ("getstate.query", "text/xml", "fault:soap:Server"),
    "getstate-iso88591.answer": ("getstate.query", "text/xml", OK),
    "getstate-subsystem.answer": ("getstate-subsystem.query", TEXT, OK),
    "getstate.answer": ("getstate.query", TEXT, OK),
    "mimesoap.answer": ("mimesoap.query", MR, OK),
    "missing-userId.answer": ("missing-userId.query", TEXT, OK),
    "nowhitespace.answer": ("nowhitespace.query", TEXT, OK),
    "requesthash.answer": ("getstate.query", TEXT, OK),
    "response-with-requestId.answer": (None, TEXT, OK),
    "simple-comment.answer": ("simple.query", TEXT, OK),
    "simple.answer": ("simple.query", TEXT, OK),
    # no reference test: the verdict its parser rules give
    "smallAttachment.answer": ("smallAttachment.query", TEXT, OK),
    "soapfault-mtom.answer": (
        "soapfault-mtom.query",
        MTOM + "; charset=UTF-8",
        "fault:soap:Server",
    ),
    "split-header.answer": ("split-header.query", TEXT, OK),
    "xmlencoded.answer": ("xmlencoded.query", TEXT, OK),
    # no reference test: the verdict its parser rules give
    "xop.answer": (None, XOP, OK),
}
# Ground truth lives in the same folder but is no SOAP message: the signature and OCSP fixtures
# belong to the signature issue's conformance tests.
NOT_MESSAGES = {"signature.xml", "test.ocsp"}

_ID = re.compile(rb"<xroad:id>.*?</xroad:id>|<xroad:id/>", re.DOTALL)


def _with_id(data: bytes) -> bytes:
    """The reference harness's rewrite: one fixed ``xroad:id`` in queries and answers."""
    return _ID.sub(b"<xroad:id>vdx-conformance</xroad:id>", data)


def _query_verdict(path: Path, content_type: str) -> str:
    try:
        check_soap(path.read_bytes(), content_type)
    except XRoadError as error:
        return error.fault_code
    return OK


def _server_proxy_verdict(path: Path, content_type: str) -> str:
    try:
        transport.require_signature(transport.decode(path.read_bytes(), content_type))
    except XRoadError as error:
        return error.fault_code
    return OK


def _answer_verdict(path: Path, query: str | None, content_type: str) -> str:
    request = None
    if query is not None:
        query_path = path.with_name(query)
        query_type = QUERIES[query][0]
        request = decode_soap_request(_with_id(query_path.read_bytes()), query_type).message
    try:
        answer = check_soap_response(_with_id(path.read_bytes()), content_type, request)
    except XRoadError as error:
        return error.fault_code
    return f"fault:{answer.code}" if isinstance(answer, SoapFault) else OK


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize(
    "path",
    vectors.files("soap-queries", "*.query")
    + [p for p in vectors.files("soap-queries", "*.xml") if p.name not in NOT_MESSAGES]
    + vectors.files("metaservice-queries", "*.query"),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_query_gives_reference_verdict(path: Path, conformance: vectors.ConformanceLedger) -> None:
    if path.name in SERVER_PROXY_QUERIES:
        content_type, expected = SERVER_PROXY_QUERIES[path.name]
        actual = _server_proxy_verdict(path, content_type)
    else:
        content_type, expected = QUERIES.get(path.name, (TEXT, OK))
        if path.parent.name == "soap-queries":
            assert path.name in QUERIES, f"no expected verdict recorded for {path.name}"
        actual = _query_verdict(path, content_type)
    conformance.record(path, agrees=actual == expected, detail=f"got {actual}, want {expected}")
    assert actual == expected


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize(
    "path",
    vectors.files("soap-queries", "*.answer") + vectors.files("metaservice-queries", "*.answer"),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_answer_gives_reference_verdict(path: Path, conformance: vectors.ConformanceLedger) -> None:
    query, content_type, expected = ANSWERS.get(path.name, ("getstate.query", TEXT, OK))
    if path.parent.name == "soap-queries":
        assert path.name in ANSWERS, f"no expected verdict recorded for {path.name}"
    actual = _answer_verdict(path, query, content_type)
    conformance.record(path, agrees=actual == expected, detail=f"got {actual}, want {expected}")
    assert actual == expected


@pytest.mark.vectors
def test_every_soap_vector_has_a_verdict(vectors_dir: Path) -> None:
    on_disk = {p.name for p in (vectors_dir / "soap-queries").iterdir()}
    known = set(QUERIES) | set(SERVER_PROXY_QUERIES) | set(ANSWERS) | NOT_MESSAGES
    assert on_disk == known


@pytest.mark.vectors
def test_inconsistent_answer_is_refused_by_the_client_proxy(vectors_dir: Path) -> None:
    """``ServerClientInconsistency``: the service answers xml.query with getstate.query."""
    folder = vectors_dir / "soap-queries"
    request = decode_soap_request(_with_id((folder / "xml.query").read_bytes()), TEXT).message
    with pytest.raises(XRoadError) as caught:
        check_soap_response(_with_id((folder / "getstate.query").read_bytes()), TEXT, request)
    assert caught.value.fault_code == "Server.ClientProxy.ServiceFailed.InconsistentResponse"


@pytest.mark.vectors
@pytest.mark.parametrize(
    ("answer", "content_type", "expected"),
    [
        ("empty.query", TEXT, "Server.ServerProxy.ServiceFailed.InvalidSoap"),
        ("no-header.query", TEXT, "Server.ServerProxy.ServiceFailed.MissingHeader"),
        ("missing-body.query", TEXT, "Server.ServerProxy.ServiceFailed.MissingBody"),
        ("malformed-body2.query", TEXT, "Server.ServerProxy.ServiceFailed.InvalidBody"),
        ("attachm-faulty-soap.query", MR, "Server.ServerProxy.ServiceFailed.MissingHeaderField"),
        ("attachm-no-soap.query", MR, "Server.ServerProxy.ServiceFailed.InvalidContentType"),
        ("attachm-error.query", MR, "Server.ServerProxy.ServiceFailed.InvalidContentType"),
        ("getstate.answer", "blah", "Server.ServerProxy.ServiceFailed.InvalidContentType"),
    ],
)
def test_faulty_service_answers_of_the_reference_suite(
    vectors_dir: Path, answer: str, content_type: str, expected: str
) -> None:
    """Answer-side test cases (EmptyResponse, MissingHeaderResponse, ...) reuse query files."""
    body = (vectors_dir / "soap-queries" / answer).read_bytes()
    with pytest.raises(XRoadError) as caught:
        check_soap_response(body, content_type)
    assert caught.value.fault_code == expected
    assert caught.value.origin is Origin.SERVER_PROXY
