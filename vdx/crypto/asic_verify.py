"""Verification of an ASiC-E evidence container: frame, manifest, digests, then injected checks.

Everything that needs no key, certificate or clock is checked here: the ZIP frame (every byte
accounted for, CRCs), the reference's loading rules, the entry set against the ODF manifest,
and every digest the container's own XML gives for a file it holds (signature references, hash
chain inputs, the batch time-stamp's ASiC manifest). That is what catches a changed message or
attachment. The cryptographic checks (XAdES signature value and signer certificate, hash chain
walk, RFC 3161 time-stamp) belong to other modules and are passed in as :class:`EvidenceCheckers`;
without them the verdict says ``integrity_only``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms

from vdx.crypto import asic_refs
from vdx.crypto.asic import (
    ALLOWED_COMMENTS,
    ENTRY_ASIC_MANIFEST,
    ENTRY_MANIFEST,
    ENTRY_MESSAGE,
    ENTRY_MIMETYPE,
    ENTRY_SIG_HASH_CHAIN,
    ENTRY_SIG_HASH_CHAIN_RESULT,
    ENTRY_TIMESTAMP,
    ENTRY_TS_HASH_CHAIN,
    MIMETYPE,
    AsicContainer,
    read_container,
)
from vdx.crypto.asic_refs import DigestRef
from vdx.crypto.asic_zip import ZipLimits
from vdx.errors import Code, XRoadError

# A check returns the facts it established (e.g. ``{"signer": "MEMBER:CS/GOV/123"}``) or None.
EvidenceCheck = Callable[[AsicContainer, datetime], Mapping[str, str] | None]
# The reference reports a hash chain input that does not match as this composite code.
HASH_CHAIN_INPUT_MISMATCH = f"{Code.MALFORMED_SIGNATURE}.{Code.HASHCHAIN_UNUSED_INPUTS}"
_TST_INFO = "1.2.840.113549.1.9.16.1.4"  # id-ct-TSTInfo, RFC 3161 section 2.4.2


@dataclass(frozen=True, slots=True)
class EvidenceCheckers:
    """The cryptographic checks, supplied by the signature, hash chain and time-stamp modules.

    Each raises ``XRoadError`` on failure (ARCHITECTURE rule 3); on success it may return the
    facts it established (signer, times, TSA), which the verdict carries as ``evidence``.
    ``verify_signature`` checks the XAdES signature of ``META-INF/signatures.xml`` (value, signer
    certificate and its OCSP response at ``now``); ``verify_hash_chain`` is called only when the
    signature covers ``sig-hashchainresult.xml`` (a batch signature); ``verify_timestamp`` is
    called when the container carries a time-stamp (``META-INF/timestamp.tst`` with its hash
    chain, or ``xades:SignatureTimeStamp`` inside the signature).
    """

    verify_signature: EvidenceCheck
    verify_hash_chain: EvidenceCheck
    verify_timestamp: EvidenceCheck


@dataclass(frozen=True, slots=True)
class AsicVerdict:
    """What was verified, and what the verifier tolerated without failing."""

    integrity_only: bool
    signed_files: tuple[str, ...]
    batch_signature: bool
    timestamp: str  # "batch", "signature" or "none"
    checked: tuple[str, ...]
    notes: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...] = ()  # facts the injected checks established


def verify_container(
    data: bytes,
    *,
    checkers: EvidenceCheckers | None = None,
    now: datetime | None = None,
    limits: ZipLimits | None = None,
    strict_etsi: bool = False,
) -> AsicVerdict:
    """Verify container bytes; raise ``XRoadError`` with the first failure's code and reason.

    Without ``checkers`` only integrity is verified (``integrity_only`` in the verdict). With
    them, ``now`` is required: certificate and OCSP validity are judged at that moment.
    ``strict_etsi`` also requires ``mimetype`` to be the first, uncompressed entry (ETSI EN 319
    162-1 §A.1), which reference-made containers do not always satisfy.
    """
    if checkers is not None and now is None:
        raise ValueError("full verification needs the time to verify at (now)")
    container = read_container(data, limits)
    checked = ["ZIP frame and CRCs", "required entries"]
    notes: list[str] = []
    _check_frame(container, strict_etsi, notes)
    _check_manifest(container, checked, notes)
    signed, batch = _check_signature_digests(container, checked, notes)
    stamp = _check_timestamp_files(container, checked, notes)
    evidence: dict[str, str] = {}
    if checkers is not None and now is not None:
        evidence.update(checkers.verify_signature(container, now) or {})
        checked.append("signature")
        if batch:
            evidence.update(checkers.verify_hash_chain(container, now) or {})
            checked.append("signature hash chain")
        if stamp != "none":
            evidence.update(checkers.verify_timestamp(container, now) or {})
            checked.append("time-stamp")
    return AsicVerdict(
        checkers is None,
        signed,
        batch,
        stamp,
        tuple(checked),
        tuple(notes),
        tuple(evidence.items()),
    )


def _check_frame(container: AsicContainer, strict_etsi: bool, notes: list[str]) -> None:
    if container.comment not in ALLOWED_COMMENTS:
        raise XRoadError(Code.ASIC_INVALID_CONTAINER, "unexpected ZIP comment")
    if not container.mimetype_first_and_stored:
        reason = "mimetype is not the first, uncompressed entry (ETSI EN 319 162-1 A.1)"
        if strict_etsi:
            raise XRoadError(Code.ASIC_INVALID_CONTAINER, reason)
        notes.append(reason + "; tolerated, as the reference writes such containers")
    for entry in container.others:
        if not entry.name.startswith("META-INF/"):
            raise XRoadError(Code.ASIC_INVALID_CONTAINER, f"unexpected entry {entry.name!r:.80}")
    for entry in container.entries:
        if entry.name.endswith("/") and (entry.name != "META-INF/" or entry.data):
            raise XRoadError(Code.ASIC_INVALID_CONTAINER, f"unexpected folder {entry.name!r:.80}")


def _data_files(container: AsicContainer) -> list[str]:
    return [
        e.name
        for e in container.entries
        if not e.name.startswith("META-INF/") and e.name != ENTRY_MIMETYPE
    ]


def _check_manifest(container: AsicContainer, checked: list[str], notes: list[str]) -> None:
    manifest = container.get(ENTRY_MANIFEST)
    if manifest is None:
        notes.append("no META-INF/manifest.xml; tolerated, as the reference does")
        return
    listed = asic_refs.odf_manifest(manifest)
    root_type = listed.pop("/", MIMETYPE)
    if root_type != MIMETYPE:
        raise XRoadError(
            Code.ASIC_INVALID_MIME_TYPE, f"manifest gives the container {root_type!r:.80}"
        )
    for path in listed:
        if not container.has(path):
            raise XRoadError(Code.ASIC_INVALID_CONTAINER, f"manifest lists missing {path!r:.80}")
    for name in _data_files(container):
        if name not in listed:
            raise XRoadError(Code.ASIC_INVALID_CONTAINER, f"{name!r:.80} is not in the manifest")
    checked.append("manifest")


def _compare(container: AsicContainer, ref: DigestRef, code: Code | str, what: str) -> bool:
    content = container.get(ref.entry_name)
    if content is None:
        return False
    if asic_refs.digest(ref.algorithm, content) != ref.digest:
        raise XRoadError(code, f"digest of {ref.entry_name!r:.80} does not match {what}")
    return True


def _missing_code(name: str) -> Code:
    return {
        ENTRY_MESSAGE: Code.ASIC_MESSAGE_NOT_FOUND,
        ENTRY_SIG_HASH_CHAIN_RESULT: Code.ASIC_HASH_CHAIN_RESULT_NOT_FOUND,
    }.get(name, Code.INVALID_REFERENCE)


def _check_signature_digests(
    container: AsicContainer, checked: list[str], notes: list[str]
) -> tuple[tuple[str, ...], bool]:
    covered: list[str] = []
    for ref in asic_refs.signature_references(container.signature):
        if not ref.is_file:
            continue  # same-document references are the XAdES verifier's
        if not _compare(container, ref, Code.INVALID_SIGNATURE_VALUE, "the signature"):
            raise XRoadError(_missing_code(ref.entry_name), f"signed {ref.uri!r:.80} is missing")
        covered.append(ref.entry_name)
    batch = ENTRY_SIG_HASH_CHAIN_RESULT in covered
    if batch:
        chain = container.get(ENTRY_SIG_HASH_CHAIN) or b""
        for ref in asic_refs.hash_chain_data_refs(chain, ENTRY_SIG_HASH_CHAIN):
            if _compare(container, ref, HASH_CHAIN_INPUT_MISMATCH, "the signature hash chain"):
                covered.append(ref.entry_name)
            else:
                notes.append(f"hash chain input {ref.uri!r:.80} is not in the container")
    elif container.has(ENTRY_SIG_HASH_CHAIN_RESULT):
        notes.append("hash chain files present but not signed; ignored, as the reference does")
    if ENTRY_MESSAGE not in covered:
        raise XRoadError(Code.MALFORMED_SIGNATURE, "the signature does not cover message.xml")
    for attachment in container.attachments:
        if attachment.name not in covered:
            raise XRoadError(Code.INVALID_REFERENCE, f"{attachment.name} is not signed")
    checked.append("signed file digests")
    return tuple(dict.fromkeys(covered)), batch


def _check_timestamp_files(container: AsicContainer, checked: list[str], notes: list[str]) -> str:
    token = container.timestamp
    if token is None:
        embedded = asic_refs.has_signature_timestamp(container.signature)
        return "signature" if embedded else "none"
    _check_token_shape(token)
    chain = container.get(ENTRY_TS_HASH_CHAIN)
    if chain is not None:
        for ref in asic_refs.hash_chain_data_refs(chain, ENTRY_TS_HASH_CHAIN):
            if not _compare(container, ref, Code.TIMESTAMP_VALIDATION, "the time-stamp hash chain"):
                notes.append(f"time-stamped input {ref.uri!r:.80} is not in the container")
    manifest = container.get(ENTRY_ASIC_MANIFEST)
    if manifest is not None:
        data_refs, sig_refs = asic_refs.asic_manifest_refs(manifest)
        for ref in data_refs:
            if not _compare(container, ref, Code.TIMESTAMP_VALIDATION, "ASiCManifest.xml"):
                raise XRoadError(Code.TIMESTAMP_VALIDATION, f"time-stamped {ref.uri!r:.80} missing")
        if sig_refs and ENTRY_TIMESTAMP not in sig_refs:
            raise XRoadError(
                Code.ASIC_TIMESTAMP_NOT_FOUND, "ASiCManifest.xml names no timestamp.tst"
            )
    checked.append("time-stamp file digests")
    return "batch"


def _check_token_shape(token: bytes) -> None:
    # Shape only (RFC 3161 §2.4.2: a CMS SignedData holding TSTInfo); the time-stamp module
    # verifies its signature and imprint.
    try:
        info = cms.ContentInfo.load(token, strict=True)
        inner = info["content"]["encap_content_info"]["content_type"].dotted
        shape_ok = info["content_type"].native == "signed_data" and inner == _TST_INFO
    except (ValueError, TypeError, KeyError, OverflowError):
        shape_ok = False
    if not shape_ok:
        raise XRoadError(Code.TIMESTAMP_VALIDATION, f"{ENTRY_TIMESTAMP} is not an RFC 3161 token")
