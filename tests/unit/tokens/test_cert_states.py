"""The certificate state machine: every legal and every illegal transition, OCSP, activation.

The expected tables are written out here independently of ``cert_states``, so a change to the
module's tables shows up as a failing test rather than as a silently changed expectation.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from cryptography import x509

from tests.unit.tokens.helpers import NOW, issue
from vdx.errors import Code
from vdx.tokens import CertEvent, CertStatus, KeyAlgorithm, KeyUsage, OcspStatus, Token, cert_states
from vdx.tokens.errors import TokenError

S, E = CertStatus, CertEvent

LEGAL_AUTH = {
    (S.SAVED, E.REGISTRATION_REQUESTED): S.REGISTRATION_IN_PROGRESS,
    (S.SAVED, E.DELETE): S.DELETED,
    (S.REGISTRATION_IN_PROGRESS, E.REGISTRATION_CONFIRMED): S.REGISTERED,
    (S.REGISTRATION_IN_PROGRESS, E.DELETION_REQUESTED): S.DELETION_IN_PROGRESS,
    (S.REGISTERED, E.GLOBALCONF_MISSING): S.GLOBAL_ERROR,
    (S.REGISTERED, E.DELETION_REQUESTED): S.DELETION_IN_PROGRESS,
    (S.GLOBAL_ERROR, E.REGISTRATION_CONFIRMED): S.REGISTERED,
    (S.GLOBAL_ERROR, E.DELETION_REQUESTED): S.DELETION_IN_PROGRESS,
    (S.GLOBAL_ERROR, E.DELETE): S.DELETED,
    (S.DELETION_IN_PROGRESS, E.DELETE): S.DELETED,
}
LEGAL_SIGN = {(S.REGISTERED, E.DELETE): S.DELETED}
LEGAL = {KeyUsage.AUTHENTICATION: LEGAL_AUTH, KeyUsage.SIGNING: LEGAL_SIGN}
ALL = [
    (usage, status, event)
    for usage, status, event in itertools.product(KeyUsage, CertStatus, CertEvent)
]


@pytest.mark.parametrize(
    ("usage", "status", "event"),
    [case for case in ALL if (case[1], case[2]) in LEGAL[case[0]]],
)
def test_legal_transition(usage: KeyUsage, status: CertStatus, event: CertEvent) -> None:
    assert cert_states.next_status(usage, status, event) is LEGAL[usage][(status, event)]


@pytest.mark.parametrize(
    ("usage", "status", "event"),
    [case for case in ALL if (case[1], case[2]) not in LEGAL[case[0]]],
)
def test_illegal_transition(usage: KeyUsage, status: CertStatus, event: CertEvent) -> None:
    with pytest.raises(TokenError) as excinfo:
        cert_states.next_status(usage, status, event)
    assert excinfo.value.code is Code.INVALID_REQUEST
    assert status.value in excinfo.value.message


def test_tables_are_exactly_the_expected_ones() -> None:
    assert dict(cert_states.AUTH_TRANSITIONS) == LEGAL_AUTH
    assert dict(cert_states.SIGN_TRANSITIONS) == LEGAL_SIGN
    assert cert_states.INITIAL_STATUS == {
        KeyUsage.AUTHENTICATION: S.SAVED,
        KeyUsage.SIGNING: S.REGISTERED,
    }


def test_deleted_is_terminal() -> None:
    for usage, event in itertools.product(KeyUsage, CertEvent):
        with pytest.raises(TokenError):
            cert_states.next_status(usage, S.DELETED, event)


FINAL_OCSP = {OcspStatus.REVOKED, OcspStatus.EXPIRED}


@pytest.mark.parametrize(("current", "verdict"), list(itertools.product(OcspStatus, OcspStatus)))
def test_ocsp_transitions(current: OcspStatus, verdict: OcspStatus) -> None:
    if current in FINAL_OCSP and verdict is not current:
        with pytest.raises(TokenError):
            cert_states.next_ocsp_status(current, verdict)
    else:
        assert cert_states.next_ocsp_status(current, verdict) is verdict


@pytest.mark.parametrize(("status", "ocsp"), list(itertools.product(CertStatus, OcspStatus)))
def test_activation_rule(status: CertStatus, ocsp: OcspStatus) -> None:
    refused = status in {S.DELETION_IN_PROGRESS, S.DELETED} or ocsp in FINAL_OCSP
    if refused:
        with pytest.raises(TokenError):
            cert_states.check_activation(status, ocsp)
    else:
        cert_states.check_activation(status, ocsp)


# ---------------------------------------------------------------- persisted on a token


def _auth_cert(token: Token) -> str:
    key = token.generate_key("auth", KeyUsage.AUTHENTICATION, KeyAlgorithm.EC_P256)
    csr = token.create_csr(key.key_id, x509.Name.from_rfc4514_string("CN=ss1"))
    return token.import_certificate(issue(csr, "auth")).cert_id


def test_auth_certificate_life_cycle_is_persisted(soft_token: Token) -> None:
    cert_id = _auth_cert(soft_token)
    soft_token.activate_certificate(cert_id)
    assert soft_token.apply(cert_id, E.REGISTRATION_REQUESTED) is S.REGISTRATION_IN_PROGRESS
    assert soft_token.apply(cert_id, E.REGISTRATION_CONFIRMED) is S.REGISTERED
    assert soft_token.apply(cert_id, E.GLOBALCONF_MISSING) is S.GLOBAL_ERROR
    assert soft_token.apply(cert_id, E.REGISTRATION_CONFIRMED) is S.REGISTERED
    record = soft_token.certificate(cert_id)
    assert (record.status, record.active) == (S.REGISTERED, True)

    # A registered authentication certificate keeps its key from being deleted.
    key_id = record.key_id
    with pytest.raises(TokenError):
        soft_token.delete_key(key_id)
    with pytest.raises(TokenError):
        soft_token.delete_certificate(cert_id)

    assert soft_token.apply(cert_id, E.DELETION_REQUESTED) is S.DELETION_IN_PROGRESS
    assert not soft_token.certificate(cert_id).active  # leaving use
    with pytest.raises(TokenError):
        soft_token.activate_certificate(cert_id)
    soft_token.delete_key(key_id)  # now allowed: removes the certificate with it
    assert soft_token.certificates() == ()
    assert soft_token.list_keys() == ()


def test_ocsp_status_and_activation_are_persisted(soft_token: Token) -> None:
    cert_id = _auth_cert(soft_token)
    assert soft_token.certificate(cert_id).ocsp_status is OcspStatus.UNKNOWN
    soft_token.record_ocsp_status(cert_id, OcspStatus.GOOD, NOW)
    soft_token.activate_certificate(cert_id)
    soft_token.disable_certificate(cert_id)
    later = NOW + timedelta(hours=1)
    soft_token.record_ocsp_status(cert_id, OcspStatus.REVOKED, later)
    record = soft_token.certificate(cert_id)
    assert (record.ocsp_status, record.ocsp_checked_at, record.active) == (
        OcspStatus.REVOKED,
        later,
        False,
    )
    with pytest.raises(TokenError):
        soft_token.record_ocsp_status(cert_id, OcspStatus.GOOD, later)
    with pytest.raises(TokenError):
        soft_token.activate_certificate(cert_id)
    soft_token.delete_certificate(cert_id)
    with pytest.raises(TokenError):
        soft_token.apply(cert_id, E.DELETE)


def test_malformed_metadata_is_reported(soft_token: Token) -> None:
    soft_token.metadata_path.write_text('{"format": "vdx-token-metadata-1", "keys": [{}]}')
    with pytest.raises(TokenError) as excinfo:
        soft_token.list_keys()
    assert excinfo.value.code is Code.MALFORMED_KEYCONF
