"""XAdES signatures: round trips per key type, tamper detection, batch signing, key callables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from vdx.crypto import digests
from vdx.crypto.hashchain import SIG_HASH_CHAIN_RESULT_FILE
from vdx.crypto.xades_create import (
    CallableSigner,
    DataPart,
    PrivateKeySigner,
    add_unsigned_properties,
    create_batch_signature,
    create_signature,
)
from vdx.crypto.xades_decode import decode_signature
from vdx.crypto.xades_model import ECDSA_SHA256, RSA_SHA256, RSA_SHA512
from vdx.crypto.xades_verify import verify_batch_signature, verify_signature
from vdx.errors import Code, XRoadError

NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
MESSAGE = b'<?xml version="1.0"?><Envelope><Body>hello</Body></Envelope>'
ATTACHMENT = b"\x00\x01binary attachment"


@dataclass(frozen=True)
class Identity:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    hash_name: str


def _identity(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, hash_name: str) -> Identity:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vdx test signer")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return Identity(key, certificate, hash_name)


@pytest.fixture(scope="module")
def identities() -> dict[str, Identity]:
    return {
        "rsa2048-sha256": _identity(rsa.generate_private_key(65537, 2048), "sha256"),
        "rsa3072-sha512": _identity(rsa.generate_private_key(65537, 3072), "sha512"),
        "ecdsa-p256-sha256": _identity(ec.generate_private_key(ec.SECP256R1()), "sha256"),
    }


@pytest.fixture(scope="module")
def rsa_identity(identities: dict[str, Identity]) -> Identity:
    return identities["rsa2048-sha256"]


def _sign(identity: Identity, parts: list[DataPart] | None = None, **extra: object) -> bytes:
    parts = parts or [DataPart("/message.xml", MESSAGE, "text/xml")]
    return create_signature(
        parts,
        key=PrivateKeySigner(identity.key, identity.hash_name),
        certificate=identity.certificate,
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )


def _code(signature: bytes, data: dict[str, bytes], **kwargs: x509.Certificate) -> Code | str:
    with pytest.raises(XRoadError) as caught:
        verify_signature(signature, data, **kwargs)
    return caught.value.code


@pytest.mark.parametrize("kind", ["rsa2048-sha256", "rsa3072-sha512", "ecdsa-p256-sha256"])
def test_round_trip(identities: dict[str, Identity], kind: str) -> None:
    identity = identities[kind]
    parts = [DataPart("/message.xml", MESSAGE, "text/xml"), DataPart("/attachment1", ATTACHMENT)]
    signature = _sign(identity, parts, ocsp_responses=[b"\x30\x03\x0a\x01\x00"])
    verified = verify_signature(signature, {"/message.xml": MESSAGE, "/attachment1": ATTACHMENT})
    assert verified.signing_time == NOW
    assert verified.signer_certificate == identity.certificate
    assert verified.ocsp_responses == (b"\x30\x03\x0a\x01\x00",)
    assert verified.timestamp_token is None
    verify_signature(
        signature,
        {"/message.xml": MESSAGE, "/attachment1": ATTACHMENT},
        signer_certificate=identity.certificate,
    )


def test_signature_method_names_key_and_hash(identities: dict[str, Identity]) -> None:
    methods = {k: decode_signature(_sign(i)).signature_method_uri for k, i in identities.items()}
    assert methods["rsa2048-sha256"] == RSA_SHA256
    assert methods["rsa3072-sha512"] == RSA_SHA512
    assert methods["ecdsa-p256-sha256"] == ECDSA_SHA256
    ecdsa = decode_signature(_sign(identities["ecdsa-p256-sha256"]))
    assert len(ecdsa.signature_value) == 64  # raw r || s, not DER


def test_callable_signer_is_equivalent(rsa_identity: Identity) -> None:
    key = PrivateKeySigner(rsa_identity.key, "sha256")
    calls: list[bytes] = []

    def token_sign(data: bytes) -> bytes:
        calls.append(data)
        return key.sign(data)

    signature = create_signature(
        [DataPart("/message.xml", MESSAGE)],
        key=CallableSigner(token_sign, RSA_SHA256),
        certificate=rsa_identity.certificate,
        now=NOW,
    )
    verify_signature(signature, {"/message.xml": MESSAGE})
    assert len(calls) == 1
    assert calls[0].startswith(b"<ds:SignedInfo")


def test_tampered_message_byte(rsa_identity: Identity) -> None:
    assert _code(_sign(rsa_identity), {"/message.xml": MESSAGE + b" "}) == Code.INVALID_REFERENCE


def test_missing_and_extra_data(rsa_identity: Identity) -> None:
    signature = _sign(rsa_identity)
    assert _code(signature, {}) == Code.INVALID_REFERENCE
    extra = {"/message.xml": MESSAGE, "/attachment1": ATTACHMENT}
    assert _code(signature, extra) == Code.INVALID_REFERENCE


def _replace(signature: bytes, old: bytes, new: bytes) -> bytes:
    assert signature.count(old) == 1, old
    return signature.replace(old, new)


def test_tampered_reference_uri(rsa_identity: Identity) -> None:
    signature = _replace(_sign(rsa_identity), b'URI="/message.xml"', b'URI="/attachment1"')
    assert _code(signature, {"/attachment1": MESSAGE}) == Code.INVALID_SIGNATURE_VALUE


def test_tampered_reference_digest(rsa_identity: Identity) -> None:
    signature = _sign(rsa_identity)
    digest = digests.encode_base64(digests.digest(digests.SHA512, MESSAGE)).encode()
    forged = digests.encode_base64(digests.digest(digests.SHA512, b"other")).encode()
    tampered = _replace(signature, digest, forged)
    assert _code(tampered, {"/message.xml": b"other"}) == Code.INVALID_SIGNATURE_VALUE


def test_tampered_signing_time(rsa_identity: Identity) -> None:
    signature = _replace(
        _sign(rsa_identity), b"2026-01-02T03:04:05.678Z", b"2026-01-02T03:04:06.678Z"
    )
    assert _code(signature, {"/message.xml": MESSAGE}) == Code.INVALID_REFERENCE


def test_tampered_certificate_digest(rsa_identity: Identity) -> None:
    signature = _sign(rsa_identity)
    der = rsa_identity.certificate.public_bytes(Encoding.DER)
    cert_digest = digests.encode_base64(digests.digest(digests.SHA512, der)).encode()
    tampered = _replace(signature, cert_digest, digests.encode_base64(b"\x00" * 64).encode())
    assert _code(tampered, {"/message.xml": MESSAGE}) == Code.INVALID_REFERENCE


def test_signed_certificate_digest_must_match_signer(identities: dict[str, Identity]) -> None:
    # A signature whose signed properties name another certificate than the one verifying it.
    signer, other = identities["rsa2048-sha256"], identities["rsa3072-sha512"]
    signature = create_signature(
        [DataPart("/message.xml", MESSAGE)],
        key=PrivateKeySigner(signer.key, "sha256"),
        certificate=other.certificate,  # wrong certificate named and embedded
        now=NOW,
    )
    data = {"/message.xml": MESSAGE}
    assert _code(signature, data) == Code.INVALID_SIGNATURE_VALUE
    assert _code(signature, data, signer_certificate=signer.certificate) == (
        Code.INCORRECT_CERTIFICATE
    )


def test_tampered_signature_value(rsa_identity: Identity) -> None:
    signature = _sign(rsa_identity)
    decoded = decode_signature(signature)
    value = digests.encode_base64(decoded.signature_value).encode()
    flipped = bytes([decoded.signature_value[0] ^ 1]) + decoded.signature_value[1:]
    tampered = _replace(signature, value, digests.encode_base64(flipped).encode())
    assert _code(tampered, {"/message.xml": MESSAGE}) == Code.INVALID_SIGNATURE_VALUE


def test_every_signed_info_byte_is_covered(identities: dict[str, Identity]) -> None:
    identity = identities["ecdsa-p256-sha256"]
    signature = _sign(identity)
    start = signature.index(b"<ds:SignedInfo>")
    end = signature.index(b"</ds:SignedInfo>")
    target = signature.index(b"signature-reference-1", start, end)
    tampered = signature[:target] + b"X" + signature[target + 1 :]
    assert _code(tampered, {"/message.xml": MESSAGE}) in {
        Code.INVALID_SIGNATURE_VALUE,
        Code.MALFORMED_SIGNATURE,
    }


def test_unsigned_properties_can_be_added_later(rsa_identity: Identity) -> None:
    signature = _sign(rsa_identity)
    assert len(decode_signature(signature).signature_value) == 256
    stamped = add_unsigned_properties(
        signature, ocsp_responses=[b"\x30\x00"], timestamp_token=b"\x30\x01\x00"
    )
    verified = verify_signature(stamped, {"/message.xml": MESSAGE})
    assert verified.timestamp_token == b"\x30\x01\x00"
    assert verified.ocsp_responses == (b"\x30\x00",)


def test_wrapping_a_second_signature_is_refused(rsa_identity: Identity) -> None:
    signature = _sign(rsa_identity)
    inner = signature[signature.index(b"<ds:Signature ") : signature.index(b"</asic:")]
    doubled = signature.replace(b"</asic:XAdESSignatures>", inner + b"</asic:XAdESSignatures>")
    assert _code(doubled, {"/message.xml": MESSAGE}) == Code.MALFORMED_SIGNATURE


def test_embedded_certificate_must_be_the_expected_one(identities: dict[str, Identity]) -> None:
    signature = _sign(identities["rsa2048-sha256"])
    other = identities["rsa3072-sha512"].certificate
    code = _code(signature, {"/message.xml": MESSAGE}, signer_certificate=other)
    assert code == Code.INCORRECT_CERTIFICATE


def test_sha1_signature_method_is_unsupported(rsa_identity: Identity) -> None:
    signature = _replace(
        _sign(rsa_identity), RSA_SHA256.encode(), b"http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    )
    assert _code(signature, {"/message.xml": MESSAGE}) == Code.UNSUPPORTED_ALGORITHM


def test_batch_signature_covers_each_message(identities: dict[str, Identity]) -> None:
    identity = identities["ecdsa-p256-sha256"]
    messages = [[b"<m>0</m>"], [b"<m>1</m>", b"attachment"], [b"<m>2</m>"]]
    batch = create_batch_signature(
        messages,
        key=PrivateKeySigner(identity.key, "sha256"),
        certificate=identity.certificate,
        now=NOW,
    )
    assert [r.uri for r in decode_signature(batch.signature_xml).detached_references] == [
        SIG_HASH_CHAIN_RESULT_FILE
    ]
    for parts, chain in zip(messages, batch.hash_chains, strict=True):
        named = {
            "/message.xml": parts[0],
            **{f"/attachment{i}": p for i, p in enumerate(parts[1:], 1)},
        }
        verified, result = verify_batch_signature(
            batch.signature_xml,
            hash_chain_result=batch.hash_chain_result,
            hash_chain=chain,
            message_parts=named,
        )
        assert verified.signing_time == NOW
        assert result.uri == "/sig-hashchain.xml#STEP0"
    with pytest.raises(XRoadError) as caught:
        verify_batch_signature(
            batch.signature_xml,
            hash_chain_result=batch.hash_chain_result,
            hash_chain=batch.hash_chains[0],
            message_parts={"/message.xml": b"<m>1</m>"},
        )
    assert caught.value.code == Code.INVALID_HASH_CHAIN_REF


def test_naive_signing_time_is_refused(rsa_identity: Identity) -> None:
    with pytest.raises(ValueError, match="timezone"):
        create_signature(
            [DataPart("/message.xml", MESSAGE)],
            key=PrivateKeySigner(rsa_identity.key, "sha256"),
            certificate=rsa_identity.certificate,
            now=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
        )
