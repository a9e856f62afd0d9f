"""The cryptographic checks of message-log evidence (ASiC-E containers), against a trust config.

:func:`evidence_checkers` supplies :class:`vdx.crypto.asic_verify.EvidenceCheckers`; each check
raises ``XRoadError`` and returns the facts it established, which the verdict reports:

- **signature**: the XAdES signature of ``META-INF/signatures.xml`` over the files it names
  (``/message.xml`` and ``/attachmentN``, or ``/sig-hashchainresult.xml`` for a batch), then
  the signer certificate (path to an approved CA, validity, nonRepudiation, the embedded OCSP
  response) *at the evidence's own time*, and the member the CA's certificate profile reads
  from it. Evidence is judged at the moment it was made, not today: OCSP freshness
  (``ocspFreshnessSeconds``, pr-gconf §4.2) counts from the time-stamp's genTime when the
  container is time-stamped (the time-stamp proves the signature existed then), else from the
  signing time the signer claims. The wall-clock ``now`` only bounds both from above.
- **hash chain** (batch signatures): the chain in ``sig-hashchain.xml`` links ``/message.xml``
  and the attachments the container holds to the signed ``sig-hashchainresult.xml``. A batch
  chain may name attachments that were not archived with the message; as the reference's
  verifier does, their digests are taken as written in the chain (nothing to compare them with).
- **time-stamp** (RFC 3161 §2.4.2): either ``META-INF/timestamp.tst``, whose imprint is the
  digest of ``ts-hashchainresult.xml`` and whose ``ts-hashchain.xml`` must link
  ``/META-INF/signatures.xml`` to that result (batch time-stamping), or the signature's
  ``xades:SignatureTimeStamp``, whose imprint covers the decoded ``ds:SignatureValue`` octets
  (as the reference makes it; XAdES §7.3 would canonicalise the element). The token must come
  from an approved TSA.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from vdx.crypto import asic_refs, cert_profile, certs, timestamp, xades_verify
from vdx.crypto.asic import (
    ENTRY_MESSAGE,
    ENTRY_SIG_HASH_CHAIN,
    ENTRY_SIG_HASH_CHAIN_RESULT,
    ENTRY_SIGNATURE,
    ENTRY_TS_HASH_CHAIN,
    ENTRY_TS_HASH_CHAIN_RESULT,
    AsicContainer,
)
from vdx.crypto.asic_verify import EvidenceCheckers
from vdx.crypto.hashchain import HASH_CHAIN_FILE, Digest
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.crypto.trust import TrustConfig
from vdx.crypto.xades_decode import decode_signature
from vdx.crypto.xades_model import XadesSignature
from vdx.errors import Code, XRoadError

Facts = dict[str, str]


def _uri(entry_name: str) -> str:
    """The reference URI of a container entry (``/message.xml``), as signatures name files."""
    return "/" + entry_name


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _signed_data(container: AsicContainer, signature: XadesSignature) -> dict[str, bytes]:
    data = {}
    for ref in signature.detached_references:
        content = container.get(ref.uri.removeprefix("/"))
        if content is None:
            raise XRoadError(
                Code.INVALID_REFERENCE, f"signed {ref.uri!r:.80} is not in the container"
            )
        data[ref.uri] = content
    return data


@dataclass(frozen=True, slots=True)
class _Stamp:
    info: timestamp.TimestampInfo
    kind: str  # "batch" (META-INF/timestamp.tst) or "signature" (xades:SignatureTimeStamp)


def _verify_stamp(
    container: AsicContainer, signature: XadesSignature, trust: TrustConfig, now: datetime
) -> _Stamp | None:
    """The container's time-stamp, verified with what it covers; ``None`` when it has none."""
    token = container.timestamp
    if token is not None:
        result = container.get(ENTRY_TS_HASH_CHAIN_RESULT)
        chain = container.get(ENTRY_TS_HASH_CHAIN)
        if result is None or chain is None:
            # A batch token covers the hash chain result; without it nothing ties the token
            # to this container's signature.
            raise XRoadError(
                Code.TIMESTAMP_VALIDATION,
                f"META-INF/timestamp.tst without {ENTRY_TS_HASH_CHAIN_RESULT} and its hash chain",
            )
        info = timestamp.verify_timestamp(token, data=result, trust=trust, now=now)
        signatures = _uri(ENTRY_SIGNATURE)
        documents = {_uri(ENTRY_TS_HASH_CHAIN): chain, signatures: container.signature}
        verify_hash_chain(result, DocumentResolver(documents), {signatures: None})
        return _Stamp(info, "batch")
    if signature.timestamp_token is not None:
        info = timestamp.verify_timestamp(
            signature.timestamp_token, data=signature.signature_value, trust=trust, now=now
        )
        return _Stamp(info, "signature")
    return None


def check_signature(container: AsicContainer, now: datetime, trust: TrustConfig) -> Facts:
    """Verify the signature and its signer at the evidence's time (see the module docstring)."""
    signature = decode_signature(container.signature)
    verified = xades_verify.verify_signature(signature, _signed_data(container, signature))
    signer = verified.signer_certificate
    skew = timedelta(seconds=trust.clock_skew_seconds)
    if verified.signing_time > now + skew:
        raise XRoadError(
            Code.SIGNATURE_VERIFICATION,
            f"signing time {_iso(verified.signing_time)} is in the future",
        )
    # Whether an approved CA issued the signer does not depend on time: asked first, so that
    # evidence from another configuration is refused for that, before its time-stamp's TSA.
    certs.build_path(signer, trust)
    stamp = _verify_stamp(container, signature, trust, now)
    if stamp is not None and verified.signing_time > stamp.info.gen_time + skew:
        raise XRoadError(
            Code.TIMESTAMP_VALIDATION,
            f"signing time {_iso(verified.signing_time)} is after the time-stamp "
            f"({_iso(stamp.info.gen_time)})",
        )
    at = stamp.info.gen_time if stamp is not None else verified.signing_time
    validated = certs.validate_certificate(signer, "sign", trust, verified.ocsp_responses, at)
    member = cert_profile.profile_for(validated.ca).member_of(signer, trust.instance or None)
    facts = {
        "signer": str(member),
        "certificate": signer.subject.rfc4514_string(),
        "approved CA": validated.ca.name,
        "signing time": _iso(verified.signing_time),
        "validated at": f"{_iso(at)} ({'time-stamp' if stamp else 'signing time'})",
    }
    if validated.ocsp is not None:
        facts["OCSP"] = f"{validated.ocsp.status}, thisUpdate {_iso(validated.ocsp.this_update)}"
    return facts


def check_hash_chain(container: AsicContainer, now: datetime, trust: TrustConfig) -> Facts:
    """Verify that the message and its held attachments are leaves of the signed batch."""
    del now, trust  # a hash chain is pure digests: no time, no keys
    result = container.get(ENTRY_SIG_HASH_CHAIN_RESULT)
    chain = container.get(ENTRY_SIG_HASH_CHAIN)
    if result is None or chain is None:
        raise XRoadError(Code.ASIC_HASH_CHAIN_NOT_FOUND, f"{ENTRY_SIG_HASH_CHAIN} not found")
    named = [r.uri for r in asic_refs.hash_chain_data_refs(chain, ENTRY_SIG_HASH_CHAIN)]
    held = {uri: container.get(uri.removeprefix("/")) for uri in named}
    documents = {uri: data for uri, data in held.items() if data is not None}
    absent = frozenset(uri for uri, data in held.items() if data is None)
    # The result names the chain file; X-Road 7 writes /sig-hashchain.xml, older /hashchain.xml.
    documents |= {_uri(ENTRY_SIG_HASH_CHAIN): chain, HASH_CHAIN_FILE: chain}
    inputs: dict[str, Digest | None] = {_uri(ENTRY_MESSAGE): None}
    inputs |= {_uri(a.name): None for a in container.attachments}
    verify_hash_chain(result, DocumentResolver(documents, absent), inputs)
    facts = {"batch": f"{', '.join(n.removeprefix('/') for n in inputs)} in the signed batch"}
    if absent:
        facts["batch"] += f" (not archived, taken as written: {', '.join(sorted(absent))})"
    return facts


def check_timestamp(container: AsicContainer, now: datetime, trust: TrustConfig) -> Facts:
    """Verify the time-stamp token, its TSA and what it covers."""
    stamp = _verify_stamp(container, decode_signature(container.signature), trust, now)
    if stamp is None:
        raise XRoadError(Code.ASIC_TIMESTAMP_NOT_FOUND, "the container carries no time-stamp")
    covers = (
        "the signature, via ts-hashchain.xml"
        if stamp.kind == "batch"
        else "the signature value (xades:SignatureTimeStamp)"
    )
    return {
        "time-stamp": f"{_iso(stamp.info.gen_time)} over {covers}",
        "TSA": stamp.info.tsa_cert.subject.rfc4514_string(),
    }


def evidence_checkers(trust: TrustConfig) -> EvidenceCheckers:
    """The full checks of :func:`vdx.crypto.asic_verify.verify_container` under ``trust``."""

    def signature(container: AsicContainer, now: datetime) -> Mapping[str, str]:
        return check_signature(container, now, trust)

    def hash_chain(container: AsicContainer, now: datetime) -> Mapping[str, str]:
        return check_hash_chain(container, now, trust)

    def stamp(container: AsicContainer, now: datetime) -> Mapping[str, str]:
        return check_timestamp(container, now, trust)

    return EvidenceCheckers(signature, hash_chain, stamp)
