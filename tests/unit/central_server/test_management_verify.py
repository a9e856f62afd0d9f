"""Verification of management requests (central_server/management/verify.py): each refusal."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from central_server.management.verify import (
    ALREADY_REGISTERED,
    REPLAYED,
    check_not_replayed,
    verify_raw_signature,
    verify_request,
)
from tests.unit.central_server.test_management_support import (
    COM,
    COM_SUB,
    GOV,
    GOV_SUB,
    NOW,
    SS1,
    SS2,
    auth_cert,
    auth_cert_reg,
    body_for,
    der,
    shared_params,
    sign_cert,
    signed,
    soap_for,
)
from tests.unit.crypto import pki
from vdx.errors import Code, XRoadError
from vdx.globalconf.trust import trust_config
from vdx.identifiers import ClientId, SecurityServerId
from vdx.message.management import (
    ManagementBody,
    ManagementRequest,
    RequestType,
    SignaturePart,
    decode_request,
)

T = RequestType
PARAMS = shared_params()
TRUST = trust_config(PARAMS)


def _verify(body: ManagementBody, now: dt.datetime = NOW, **kwargs: object) -> object:
    data, ctype = signed(body, now=now, **kwargs)  # type: ignore[arg-type]
    return verify_request(decode_request(data, ctype), PARAMS, TRUST, now)


def _refused(body: ManagementBody, code: str, now: dt.datetime = NOW, **kwargs: object) -> str:
    with pytest.raises(XRoadError) as caught:
        _verify(body, now, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value.message


def test_valid_auth_cert_reg() -> None:
    verified = _verify(auth_cert_reg())
    assert verified.signer == GOV  # type: ignore[attr-defined]
    assert verified.auth_cert_hash is not None  # type: ignore[attr-defined]


def test_valid_client_reg_signed_by_the_clients_owner() -> None:
    body = body_for(T.CLIENT_REG, server=SS1, client=COM_SUB, subsystem_name="Shop")
    assert _verify(body, signer=COM).signer == COM  # type: ignore[attr-defined]


def test_wrong_owner_signature() -> None:
    _refused(auth_cert_reg(), Code.INVALID_SIGNATURE_VALUE, tamper="owner")


def test_wrong_proof_of_possession() -> None:
    _refused(auth_cert_reg(), Code.INVALID_SIGNATURE_VALUE, tamper="auth")
    _refused(auth_cert_reg(), Code.INVALID_SIGNATURE_VALUE, tamper="auth-key")


def test_signed_by_another_member() -> None:
    message = _refused(auth_cert_reg(), Code.ACCESS_DENIED, signer=COM)
    assert "VN/GOV/0101" in message


def test_client_reg_signed_by_server_owner_not_client_owner() -> None:
    body = body_for(T.CLIENT_REG, server=SS1, client=COM_SUB)
    _refused(body, Code.ACCESS_DENIED, signer=GOV)


def test_unknown_member() -> None:
    stranger = ClientId("VN", "GOV", "7777")
    _refused(auth_cert_reg(SecurityServerId(stranger, "X")), Code.UNKNOWN_MEMBER)


def test_unknown_client_member() -> None:
    body = body_for(T.CLIENT_REG, server=SS1, client=ClientId("VN", "COM", "1234", "A"))
    _refused(body, Code.UNKNOWN_MEMBER, signer=ClientId("VN", "COM", "1234"))


def test_revoked_sign_certificate() -> None:
    _refused(auth_cert_reg(), Code.CERT_VALIDATION, ocsp_status="revoked")


def test_stale_ocsp() -> None:
    # The response was made at request time; an hour and more later it is no longer fresh.
    data, ctype = signed(auth_cert_reg())
    with pytest.raises(XRoadError) as caught:
        verify_request(decode_request(data, ctype), PARAMS, TRUST, NOW + dt.timedelta(hours=2))
    assert caught.value.code in {Code.CERT_VALIDATION, Code.INCORRECT_VALIDATION_INFO}


def test_expired_certificate() -> None:
    later = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    _refused(auth_cert_reg(), Code.CERT_VALIDITY_TIME, now=later)


def test_auth_cert_from_unapproved_ca() -> None:
    rogue = pki.make_cert(
        pki.name("SS2"),
        pki.key("mgmt-auth-rogue"),
        pki.pki().other_root,
        pki.key("other"),
        usage={"digital_signature": True},
    )
    body = dataclasses.replace(auth_cert_reg(), auth_cert=der(rogue))
    data, ctype = signed(body, auth_label="rogue")
    with pytest.raises(XRoadError) as caught:
        verify_request(decode_request(data, ctype), PARAMS, TRUST, NOW)
    assert caught.value.code == Code.CANNOT_CREATE_CERT_PATH


def test_sign_cert_used_as_auth_cert() -> None:
    body = dataclasses.replace(auth_cert_reg(), auth_cert=der(sign_cert(GOV)))
    data, ctype = signed(body)
    with pytest.raises(XRoadError) as caught:
        verify_request(decode_request(data, ctype), PARAMS, TRUST, NOW)
    assert caught.value.code in {Code.INCORRECT_CERTIFICATE, Code.INVALID_SIGNATURE_VALUE}


def test_auth_cert_part_must_match_body() -> None:
    data, ctype = signed(auth_cert_reg())
    request = decode_request(data, ctype)
    other = dataclasses.replace(request, auth_cert_part=der(auth_cert("ss1")))
    with pytest.raises(XRoadError, match="differs from authCert"):
        verify_request(other, PARAMS, TRUST, NOW)


def test_already_registered_auth_cert() -> None:
    _refused(auth_cert_reg(SS1, "ss1"), ALREADY_REGISTERED, auth_label="ss1")


def test_already_a_client() -> None:
    body = body_for(T.CLIENT_REG, server=SS1, client=GOV_SUB)
    _refused(body, ALREADY_REGISTERED)


def test_unknown_server_for_client_reg() -> None:
    body = body_for(T.CLIENT_REG, server=SS2, client=GOV_SUB)
    _refused(body, Code.INVALID_SECURITY_SERVER)


def test_unsigned_request_refused() -> None:
    body = body_for(T.CLIENT_DELETION, server=SS1, client=GOV_SUB)
    data, ctype = signed(body)
    request = decode_request(data, ctype)
    bare = ManagementRequest(request.soap, request.body)
    with pytest.raises(XRoadError) as caught:
        verify_request(bare, PARAMS, TRUST, NOW)
    assert caught.value.code == Code.MISSING_SIGNATURE


def test_header_client_must_be_server_owner() -> None:
    body = auth_cert_reg()
    data, ctype = signed(body)
    request = decode_request(data, ctype)
    soap = soap_for(body, client=COM)
    forged = dataclasses.replace(request, soap=decode_request(soap, "text/xml").soap)
    with pytest.raises(XRoadError) as caught:
        verify_request(forged, PARAMS, TRUST, NOW)
    assert caught.value.code == Code.INCONSISTENT_HEADERS


def test_other_instance() -> None:
    server = SecurityServerId(ClientId("EE", "GOV", "0101"), "SS9")
    _refused(auth_cert_reg(server), Code.INVALID_REQUEST)


def test_replay() -> None:
    check_not_replayed("a", {"b"})
    with pytest.raises(XRoadError) as caught:
        check_not_replayed("a", {"a"})
    assert caught.value.code == REPLAYED


@pytest.mark.parametrize("algorithm", ["MD5withRSA", "SHA256", "SHA256withDSA", ""])
def test_unsupported_algorithms(algorithm: str) -> None:
    with pytest.raises(XRoadError) as caught:
        verify_raw_signature(sign_cert(GOV), SignaturePart(algorithm, b"x"), b"data")
    assert caught.value.code == Code.UNSUPPORTED_ALGORITHM


def test_pss_signature() -> None:
    value = pki.key(f"mgmt-sign-{GOV.to_path()}").sign(
        b"data", padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384()
    )
    verify_raw_signature(sign_cert(GOV), SignaturePart("SHA384withRSAandMGF1", value), b"data")
