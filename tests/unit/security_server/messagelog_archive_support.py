"""Real evidence for the archive tests (no tests here).

Signatures are made with :mod:`vdx.crypto.xades_create` and the crypto tests' PKI, each with
an OCSP response about the signing certificate; time-stamp tokens come from the development
TSA (:func:`trust_services.tsa.respond`, answering a real RFC 3161 request) with the PKI's TSA
certificate, so the trust the verifiers get (:meth:`tests.unit.crypto.pki.Pki.trust`)
approves both. Batches are time-stamped the reference's way: a hash chain over the records'
``/META-INF/signatures.xml`` digests, the token over the chain's result.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from security_server.messagelog.model import LogEntry, StoredRecord, TimestampRecord
from tests.unit.crypto import pki
from trust_services.pki import Issuer
from trust_services.tsa import respond
from vdx.crypto import digests, timestamp
from vdx.crypto.asic_verify import AsicVerdict, verify_container
from vdx.crypto.evidence import evidence_checkers
from vdx.crypto.hashchain_build import build_hash_chains
from vdx.crypto.xades_create import (
    DataPart,
    PrivateKeySigner,
    add_unsigned_properties,
    create_batch_signature,
    create_signature,
)
from vdx.crypto.xades_decode import decode_signature
from vdx.identifiers.model import ClientId, ServiceId

SIGNED = pki.NOW - timedelta(minutes=10)
STAMPED = SIGNED + timedelta(seconds=30)
LATER = pki.NOW + timedelta(days=365)  # verified long after: judged at the evidence's time
CLIENT = ClientId("VN", "GOV", "0102030405", "CONSUMER")
OTHER_CLIENT = ClientId("VN", "COM", "9999", "APP")
SERVICE = ServiceId(ClientId("VN", "GOV", "0102030405", "PROVIDER"), "getRandom", "v1")
_serials = itertools.count(1000)


def envelope(query_id: str, response: bool = False) -> bytes:
    kind = "Response" if response else "Request"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org'
        f'/soap/envelope/"><s:Header><id>{query_id}</id></s:Header><s:Body><get{kind}>'
        f"<value>42</value></get{kind}></s:Body></s:Envelope>"
    ).encode()


def _ocsp() -> bytes:
    p = pki.pki()
    return pki.ocsp_response(p.sign, p.intermediate, this_update=SIGNED - timedelta(minutes=1))


def signed_entry(
    query_id: str,
    *,
    response: bool = False,
    body: bytes | None = None,
    client: ClientId = CLIENT,
    owner: ClientId | None = None,
    created_at: datetime = SIGNED,
) -> LogEntry:
    """A message signed alone: ``/message.xml`` (and ``/attachment1`` when ``body``), filed
    under ``owner`` (default: the client, as the client side files it)."""
    message = envelope(query_id, response)
    parts = [DataPart("/message.xml", message, "text/xml")]
    if body is not None:
        parts.append(DataPart("/attachment1", body))
    signature = create_signature(
        parts,
        key=PrivateKeySigner(pki.key("sign")),
        certificate=pki.pki().sign,
        now=created_at,
        ocsp_responses=[_ocsp()],
    )
    return LogEntry(
        query_id,
        None,
        client,
        SERVICE,
        client if owner is None else owner,
        response,
        body is not None,
        message,
        body,
        signature,
        None,
        None,
        created_at,
    )


def batch_signed_entries(query_ids: Sequence[str]) -> list[LogEntry]:
    """Messages signed together: one signature over a hash chain, each with its own chain."""
    messages = [envelope(q) for q in query_ids]
    batch = create_batch_signature(
        [[m] for m in messages],
        key=PrivateKeySigner(pki.key("sign")),
        certificate=pki.pki().sign,
        now=SIGNED,
        ocsp_responses=[_ocsp()],
    )
    return [
        LogEntry(
            q,
            None,
            CLIENT,
            SERVICE,
            CLIENT,
            False,
            False,
            m,
            None,
            batch.signature_xml,
            batch.hash_chain_result,
            chain,
            SIGNED,
        )
        for q, m, chain in zip(query_ids, messages, batch.hash_chains, strict=True)
    ]


def tsa_token(data: bytes, gen_time: datetime = STAMPED) -> bytes:
    """A token from the development TSA over SHA-512 of ``data``."""
    request = timestamp.build_request(data, hash_name="sha512")
    authority = Issuer(pki.pki().tsa, pki.key("tsa"))
    reply = respond(request.der, authority, next(_serials), gen_time)
    assert reply.granted, reply.reason
    return timestamp.token_from_response(reply.der)


def stamp(
    entries: Sequence[LogEntry], *, first_id: int = 1, timestamp_id: int = 1
) -> list[tuple[StoredRecord, TimestampRecord]]:
    """Stored records time-stamped in one batch, as the timestamper would leave them."""
    if len(entries) == 1:
        value = decode_signature(entries[0].signature).signature_value
        token = tsa_token(value)
        stamp_record = TimestampRecord(timestamp_id, token, None, STAMPED)
        record = StoredRecord(first_id, entries[0], timestamp_id, None, False)
        return [(record, stamp_record)]
    leaves = [[digests.digest(digests.SHA512, e.signature)] for e in entries]
    bundle = build_hash_chains(
        leaves, hash_chain_file="/ts-hashchain.xml", data_file="/META-INF/signatures.xml"
    )
    stamp_record = TimestampRecord(
        timestamp_id, tsa_token(bundle.result_xml), bundle.result_xml, STAMPED
    )
    return [
        (StoredRecord(first_id + i, e, timestamp_id, chain, False), stamp_record)
        for i, (e, chain) in enumerate(zip(entries, bundle.hash_chains, strict=True))
    ]


def embed_token(entry: LogEntry, token: bytes) -> LogEntry:
    """The entry as the reference's single-record timestamper leaves it (token embedded)."""
    signature = add_unsigned_properties(entry.signature, timestamp_token=token)
    return LogEntry(
        entry.query_id,
        entry.x_request_id,
        entry.client,
        entry.service,
        entry.owner,
        entry.response,
        entry.rest,
        entry.message,
        entry.body,
        signature,
        entry.hash_chain_result,
        entry.hash_chain,
        entry.created_at,
    )


def verify_fully(container: bytes) -> AsicVerdict:
    """Full verification (signature, OCSP, hash chains, time-stamp) under the test PKI."""
    checkers = evidence_checkers(pki.pki().trust())
    return verify_container(container, checkers=checkers, now=LATER)
