"""Full verification of evidence containers made with the test PKI, and each refusal.

The containers are signed with :mod:`vdx.crypto.xades_create`, carry an OCSP response and an
RFC 3161 token made by ``tests.unit.crypto.pki`` and are packed with ``build_container``. They
are verified a year after they were made (``LATER``): the OCSP response is long stale by then,
so a pass shows that the evidence is judged at its own time (the time-stamp's genTime).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from tests.unit.crypto import pki
from vdx.cli import evidence as cli
from vdx.crypto import digests
from vdx.crypto.asic import (
    ENTRY_MESSAGE,
    HashChainFiles,
    build_container,
    read_container,
)
from vdx.crypto.asic_verify import AsicVerdict, verify_container
from vdx.crypto.evidence import check_signature, evidence_checkers
from vdx.crypto.hashchain_build import build_hash_chains
from vdx.crypto.trust import ApprovedCA, TrustConfig
from vdx.crypto.xades_create import (
    DataPart,
    PrivateKeySigner,
    add_unsigned_properties,
    create_batch_signature,
    create_signature,
)
from vdx.crypto.xades_decode import decode_signature
from vdx.errors import Code, XRoadError
from vdx.globalconf.model import (
    ApprovedCa,
    ApprovedTsa,
    CaInfo,
    ConfigurationSource,
    GlobalSettings,
    OcspInfo,
    SharedParameters,
)
from vdx.globalconf.shared_params import produce_shared_params
from vdx.globalconf.trust import load_trust_dir

MESSAGE = b"<m>hello</m>"
ATTACHMENT = b"attachment bytes"
SIGNED = pki.NOW - timedelta(minutes=10)
STAMPED = SIGNED + timedelta(seconds=30)
LATER = pki.NOW + timedelta(days=365)


def _der(cert: object) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined, no-any-return]


def _ocsp(**kwargs: object) -> bytes:
    p = pki.pki()
    values: dict[str, object] = {"this_update": SIGNED - timedelta(minutes=1)}
    values.update(kwargs)
    return pki.ocsp_response(p.sign, p.intermediate, **values)  # type: ignore[arg-type]


def make(
    *,
    stamp: str = "signature",  # "signature", "batch" or "none"
    batch: bool = False,
    ocsp: bytes | None = None,
    stamped_data: bytes | None = None,
    gen_time: datetime = STAMPED,
    signed_at: datetime = SIGNED,
    archived_attachments: bool = True,
) -> bytes:
    """A container signed by the PKI's signing certificate, time-stamped as ``stamp`` says."""
    p = pki.pki()
    key = PrivateKeySigner(pki.key("sign"))
    responses = [ocsp if ocsp is not None else _ocsp()]
    sig_chain = None
    if batch:
        signed = create_batch_signature(
            [[MESSAGE, ATTACHMENT], [b"<m>another message</m>"]],
            key=key,
            certificate=p.sign,
            now=signed_at,
            ocsp_responses=responses,
        )
        signature = signed.signature_xml
        sig_chain = HashChainFiles(signed.hash_chains[0], signed.hash_chain_result)
    else:
        parts = [
            DataPart("/message.xml", MESSAGE, "text/xml"),
            DataPart("/attachment1", ATTACHMENT),
        ]
        signature = create_signature(
            parts, key=key, certificate=p.sign, now=signed_at, ocsp_responses=responses
        )
    ts_chain, token = None, None
    if stamp == "signature":
        value = decode_signature(signature).signature_value
        signature = add_unsigned_properties(
            signature,
            timestamp_token=pki.timestamp_token(
                stamped_data if stamped_data is not None else value,
                hash_name="sha512",
                gen_time=gen_time,
            ),
        )
    elif stamp == "batch":
        bundle = build_hash_chains(
            [[digests.digest(digests.SHA512, signature)], [hashlib.sha512(b"other").digest()]],
            hash_chain_file="/ts-hashchain.xml",
            data_file="/META-INF/signatures.xml",
        )
        ts_chain = HashChainFiles(bundle.hash_chains[0], bundle.result_xml)
        covered = stamped_data if stamped_data is not None else bundle.result_xml
        token = pki.timestamp_token(covered, hash_name="sha512", gen_time=gen_time)
    return build_container(
        message=MESSAGE,
        signature_xml=signature,
        attachments=[ATTACHMENT] if archived_attachments else [],
        sig_hash_chain=sig_chain,
        ts_hash_chain=ts_chain,
        timestamp=token,
    )


def verify(data: bytes, trust: TrustConfig | None = None, now: datetime = LATER) -> AsicVerdict:
    checkers = evidence_checkers(trust or pki.pki().trust())
    return verify_container(data, checkers=checkers, now=now)


def refusal(data: bytes, trust: TrustConfig | None = None, now: datetime = LATER) -> XRoadError:
    with pytest.raises(XRoadError) as caught:
        verify(data, trust, now)
    return caught.value


# ------------------------------------------------------------------ what verifies


@pytest.mark.parametrize("stamp", ["signature", "batch"])
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch-signed"])
def test_time_stamped_container_verifies_fully_at_its_own_time(stamp: str, batch: bool) -> None:
    verdict = verify(make(stamp=stamp, batch=batch))
    assert not verdict.integrity_only
    assert verdict.batch_signature == batch
    assert verdict.timestamp == stamp
    facts = dict(verdict.evidence)
    assert facts["signer"] == "MEMBER:VN/GOV/0102030405"
    assert facts["approved CA"] == "VDX Test CA"
    assert facts["signing time"] == "2026-01-15T11:50:00Z"
    assert facts["validated at"] == "2026-01-15T11:50:30Z (time-stamp)"
    assert facts["OCSP"] == "good, thisUpdate 2026-01-15T11:49:00Z"
    assert facts["time-stamp"].startswith("2026-01-15T11:50:30Z over the signature")
    assert facts["TSA"] == "CN=VDX Test TSA,O=VDX,C=VN"
    assert "signature" in verdict.checked
    assert "time-stamp" in verdict.checked
    if batch:
        assert facts["batch"] == "message.xml, attachment1 in the signed batch"


def test_batch_chain_naming_unarchived_attachments_is_accepted_as_written() -> None:
    verdict = verify(make(batch=True, archived_attachments=False))
    facts = dict(verdict.evidence)
    assert facts["batch"] == (
        "message.xml in the signed batch (not archived, taken as written: /attachment1)"
    )


def test_container_without_time_stamp_is_judged_at_its_signing_time() -> None:
    verdict = verify(make(stamp="none"))
    assert verdict.timestamp == "none"
    assert dict(verdict.evidence)["validated at"] == "2026-01-15T11:50:00Z (signing time)"
    assert "time-stamp" not in verdict.checked


def test_checks_run_without_a_time_stamp_only_when_asked_for() -> None:
    # integrity-only verification still works and reports no evidence
    verdict = verify_container(make())
    assert verdict.integrity_only
    assert verdict.evidence == ()


# ------------------------------------------------------------------ refusals


def test_signer_of_an_unapproved_ca_is_refused() -> None:
    p = pki.pki()
    rogue = pki.pki().trust(cas=(ApprovedCA("Rogue", top_ca=p.other_root),))
    error = refusal(make(), rogue)
    assert error.code == Code.CANNOT_CREATE_CERT_PATH
    assert "no approved CA issued" in error.message
    # Nothing approved at all: the same answer, before the time-stamp is looked at.
    assert refusal(make(), TrustConfig()).code == Code.CANNOT_CREATE_CERT_PATH


def test_time_stamp_of_an_unapproved_tsa_is_refused() -> None:
    for stamp in ("signature", "batch"):
        error = refusal(make(stamp=stamp), pki.pki().trust(tsas=()))
        assert error.code == Code.TIMESTAMP_VALIDATION
        assert "not an approved TSA" in error.message


def test_revoked_signer_is_refused() -> None:
    error = refusal(make(ocsp=_ocsp(status="revoked")))
    assert error.code == Code.CERT_VALIDATION
    assert "revoked" in error.message


def test_ocsp_response_stale_at_the_evidence_time_is_refused() -> None:
    stale = _ocsp(this_update=STAMPED - timedelta(hours=2))
    error = refusal(make(ocsp=stale))
    assert error.code == Code.INCORRECT_VALIDATION_INFO
    assert "too old" in error.message
    # fresh at the signing time is not enough when the time-stamp came much later
    late_stamp = make(gen_time=SIGNED + timedelta(hours=2))
    assert refusal(late_stamp).code == Code.INCORRECT_VALIDATION_INFO
    # without a time-stamp the signing time counts
    assert refusal(make(stamp="none", ocsp=stale)).code == Code.INCORRECT_VALIDATION_INFO


def test_ocsp_response_made_after_the_evidence_is_refused() -> None:
    error = refusal(make(ocsp=_ocsp(this_update=STAMPED + timedelta(hours=1))))
    assert error.code == Code.INCORRECT_VALIDATION_INFO
    assert "future" in error.message


@pytest.mark.parametrize("stamp", ["signature", "batch"])
def test_time_stamp_over_other_data_is_refused(stamp: str) -> None:
    error = refusal(make(stamp=stamp, stamped_data=b"some other data"))
    assert error.code == Code.TIMESTAMP_VALIDATION
    assert "imprint" in error.message


def test_batch_time_stamp_whose_chain_leaves_out_the_signature_is_refused() -> None:
    data = make(stamp="batch")
    container = read_container(data)
    other = build_hash_chains(
        [[hashlib.sha512(b"x").digest()], [hashlib.sha512(b"y").digest()]],
        hash_chain_file="/ts-hashchain.xml",
        data_file="/META-INF/signatures.xml",
    )
    forged = build_container(
        message=MESSAGE,
        signature_xml=container.signature,
        attachments=[ATTACHMENT],
        ts_hash_chain=HashChainFiles(other.hash_chains[0], other.result_xml),
        timestamp=pki.timestamp_token(other.result_xml, hash_name="sha512", gen_time=STAMPED),
    )
    # The container's own digest check of ts-hashchain.xml already notices the signature is
    # not the chain's input; the evidence check says the same about the chain walk.
    with pytest.raises(XRoadError) as caught:
        verify(forged)
    assert caught.value.code in {Code.TIMESTAMP_VALIDATION, Code.INVALID_HASH_CHAIN_REF}


def test_time_stamp_from_the_future_and_signature_after_its_time_stamp_are_refused() -> None:
    error = refusal(make(), now=STAMPED - timedelta(minutes=5))
    assert error.code in {Code.TIMESTAMP_VALIDATION, Code.SIGNATURE_VERIFICATION}
    assert "future" in error.message
    error = refusal(make(gen_time=SIGNED - timedelta(minutes=5)))
    assert error.code == Code.TIMESTAMP_VALIDATION
    assert "after the time-stamp" in error.message


def test_tampered_message_is_refused() -> None:
    data = make()
    signature = read_container(data).signature
    tampered = build_container(
        message=b"<m>goodbye</m>", signature_xml=signature, attachments=[ATTACHMENT]
    )
    assert refusal(tampered).code == Code.INVALID_SIGNATURE_VALUE  # the container's digests
    # the signature check alone finds the same, by the signature's own reference digest
    with pytest.raises(XRoadError) as caught:
        check_signature(read_container(tampered), LATER, pki.pki().trust())
    assert caught.value.code == Code.INVALID_REFERENCE
    assert ENTRY_MESSAGE in caught.value.message


# ------------------------------------------------------------------ trust folder and CLI


def _trust_folder(folder: Path) -> Path:
    p = pki.pki()
    params = SharedParameters(
        instance="VN",
        global_settings=GlobalSettings(ocsp_freshness_seconds=600),
        sources=(ConfigurationSource("cs.test.invalid", (_der(p.root),)),),
        approved_cas=(
            ApprovedCa(
                name="VDX Test CA",
                top_ca=CaInfo(_der(p.root)),
                certificate_profile_info="ejbca",
                intermediate_cas=(CaInfo(_der(p.intermediate), (OcspInfo(pki.OCSP_URL),)),),
            ),
        ),
        approved_tsas=(ApprovedTsa("VDX Test TSA", pki.TSA_URL, _der(p.tsa)),),
    )
    version = folder / "20260115120000000000000"
    version.mkdir(parents=True)
    (version / "shared-params.xml").write_bytes(produce_shared_params(params))
    # an older version with nothing approved, which must not be chosen
    old = folder / "20250101000000000000000"
    old.mkdir()
    (old / "shared-params.xml").write_bytes(
        produce_shared_params(replace(params, approved_cas=(), approved_tsas=()))
    )
    return folder


def test_trust_folder_gives_the_configuration_trust(tmp_path: Path) -> None:
    trust = load_trust_dir(_trust_folder(tmp_path / "conf"))
    assert [ca.name for ca in trust.cas] == ["VDX Test CA"]
    assert trust.cas[0].intermediates == (pki.pki().intermediate,)
    assert trust.ocsp_freshness_seconds == 600
    assert trust.instance == "VN"
    verify(make(), trust)
    # the configuration's freshness applies: 90 s is fine, 15 minutes is not
    stale = make(ocsp=_ocsp(this_update=STAMPED - timedelta(minutes=15)))
    assert refusal(stale, trust).code == Code.INCORRECT_VALIDATION_INFO
    unrelated = tmp_path / "unrelated"
    (unrelated / "sub").mkdir(parents=True)
    (unrelated / "private-params.xml").write_bytes(b"<conf/>")
    with pytest.raises(XRoadError) as caught:
        load_trust_dir(unrelated)
    assert caught.value.code == Code.MALFORMED_GLOBALCONF


runner = CliRunner()


def test_cli_verifies_fully_with_a_trust_folder(tmp_path: Path) -> None:
    trust = _trust_folder(tmp_path / "conf")
    good = tmp_path / "good.asice"
    good.write_bytes(make(stamp="batch"))
    result = runner.invoke(cli.asic_app, ["verify", str(good), "--trust", str(trust)])
    assert result.exit_code == 0, result.output
    assert "valid ASiC-E container: verified" in result.output
    assert "signer        MEMBER:VN/GOV/0102030405" in result.output
    assert "TSA           CN=VDX Test TSA,O=VDX,C=VN" in result.output
    result = runner.invoke(cli.asic_app, ["verify", str(good), "--trust", str(trust), "--json"])
    assert json.loads(result.output)["evidence"]["validated at"].endswith("(time-stamp)")
    revoked = tmp_path / "revoked.asice"
    revoked.write_bytes(make(ocsp=_ocsp(status="revoked")))
    result = runner.invoke(cli.asic_app, ["verify", str(revoked), "--trust", str(trust)])
    assert result.exit_code == 1
    assert "refused: CertValidation" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli.asic_app, ["verify", str(good), "--trust", str(empty)])
    assert result.exit_code == 2
    assert "shared-params.xml" in result.output
