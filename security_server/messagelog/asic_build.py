"""The ASiC-E container of one time-stamped log record, as the reference's message log writes it.

Pure: a stored record and its time-stamp in, container bytes out. The layout is the reference's
``AsicContainer`` (lib asic-core), which the containers in ``xroad-vectors/asic`` and the
archives in ``xroad-vectors/archives`` show:

- ``message.xml`` is the message as signed (the SOAP envelope, or the REST request/response
  header part); a logged REST body (or attachment) is ``attachment1``;
- ``META-INF/signatures.xml`` is the XAdES signature; when the message was signed with its
  own hash chain (several parts), ``sig-hashchainresult.xml`` / ``sig-hashchain.xml`` hold it;
- the time-stamp: when the batch held one record, the reference's ``SingleTimestampRequest``
  stamps the signature value and embeds the token in the signature as
  ``xades:SignatureTimeStamp`` (XAdES-T); when the batch held several, the token stamps the
  batch's hash chain result, and the container carries ``META-INF/timestamp.tst``,
  ``ts-hashchainresult.xml``, this record's ``ts-hashchain.xml`` (linking
  ``/META-INF/signatures.xml`` to the result) and ``META-INF/ASiCManifest.xml`` naming the
  token and the result's SHA-512 digest (reference ``AsicContainer.createAsicManifest``);
- ``META-INF/manifest.xml`` (ODF) lists the data files: XML files as ``text/xml``,
  attachments as ``application/octet-stream``.

The entries are those of ``vdx.crypto.asic.build_container`` (``mimetype`` first); they are
stored, not deflated, so that no changed bit can hide in an alternative deflate encoding (see
:func:`record_container`).

Container names inside archives and downloads are the reference's
``AsicContainerNameGenerator``: ``<queryId escaped>-<request|response>-<record id in base
32>.asice``.
"""

from __future__ import annotations

import base64
import hashlib
import string
from collections.abc import Sequence
from datetime import datetime

from security_server.messagelog.model import StoredRecord, TimestampRecord
from vdx.crypto import asic_refs
from vdx.crypto.asic import (
    ATTACHMENT_PREFIX,
    ENTRY_ASIC_MANIFEST,
    ENTRY_MANIFEST,
    ENTRY_MESSAGE,
    ENTRY_MIMETYPE,
    ENTRY_SIG_HASH_CHAIN,
    ENTRY_SIG_HASH_CHAIN_RESULT,
    ENTRY_SIGNATURE,
    ENTRY_TIMESTAMP,
    ENTRY_TS_HASH_CHAIN,
    ENTRY_TS_HASH_CHAIN_RESULT,
    MIMETYPE,
    HashChainFiles,
    manifest_xml,
)
from vdx.crypto.asic import build_container as _build_container
from vdx.crypto.asic_zip import write_zip
from vdx.crypto.xades_create import add_unsigned_properties

SHA512_URI = "http://www.w3.org/2001/04/xmlenc#sha512"
# The reference truncates the escaped query id to this many characters (file names <= 255).
MAX_QUERY_ID_LENGTH = 226
# java.net.URLEncoder leaves these unescaped; everything else is %XX of its UTF-8 octets.
_URL_SAFE = frozenset(string.ascii_letters + string.digits + ".-*_")
_BASE32_DIGITS = "0123456789abcdefghijklmnopqrstuv"


def asic_manifest_xml(ts_hash_chain_result: bytes) -> bytes:
    """``META-INF/ASiCManifest.xml`` for a batch time-stamp (ETSI EN 319 162-1 §A.4), in the
    reference's exact text: the token as SigReference, the hash chain result with its digest."""
    digest = base64.b64encode(hashlib.sha512(ts_hash_chain_result).digest()).decode("ascii")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/2918/v1.2.1#" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
        f'<asic:SigReference URI="{ENTRY_TIMESTAMP}" MimeType="vnd.etsi.timestamp-token"/>\n'
        f'<asic:DataObjectReference URI="{ENTRY_TS_HASH_CHAIN_RESULT}" MimeType="text/xml">\n'
        f'<ds:DigestMethod Algorithm="{SHA512_URI}" />\n'
        f"<ds:DigestValue>{digest}</ds:DigestValue>\n"
        "</asic:DataObjectReference>\n"
        "</asic:ASiCManifest>"
    ).encode()


def stamped_signature(record: StoredRecord, timestamp: TimestampRecord) -> bytes:
    """The signature as archived: with the token embedded when the batch held one record.

    The reference's timestamper writes the token into the stored signature itself; a
    signature that already carries one is kept as it is.
    """
    signature = record.entry.signature
    if timestamp.hash_chain_result is not None or asic_refs.has_signature_timestamp(signature):
        return signature
    return add_unsigned_properties(signature, timestamp_token=timestamp.token)


def record_container(
    record: StoredRecord,
    timestamp: TimestampRecord,
    *,
    modified: datetime | None = None,
    compress: bool = False,
) -> bytes:
    """The container of ``record`` time-stamped by ``timestamp`` (deterministic bytes).

    ``modified`` is the time given to every ZIP entry (default: the record's creation time).
    Entries are stored uncompressed unless ``compress``: deflate has several encodings of the
    same content (a back-reference may point at either of two equal earlier strings), so a
    changed bit inside a deflate stream can leave every file as it was and pass any content
    check; stored, every bit is under the entry's CRC-32 and the signature's digests. The
    reference deflates (``compress=True`` gives that form, with the same files).

    Raises ``ValueError`` for a record that is not stamped by ``timestamp`` or lacks its proof
    in a batch.
    """
    if record.timestamp_id != timestamp.id:
        raise ValueError(f"record {record.id} is not stamped by time-stamp {timestamp.id}")
    entry = record.entry
    ts_chain: HashChainFiles | None = None
    token: bytes | None = None
    asic_manifest: bytes | None = None
    if timestamp.hash_chain_result is not None:
        if record.timestamp_hash_chain is None:
            raise ValueError(f"record {record.id} was stamped in a batch but has no hash chain")
        ts_chain = HashChainFiles(record.timestamp_hash_chain, timestamp.hash_chain_result)
        token = timestamp.token
        asic_manifest = asic_manifest_xml(timestamp.hash_chain_result)
    sig_chain: HashChainFiles | None = None
    if entry.hash_chain is not None and entry.hash_chain_result is not None:
        sig_chain = HashChainFiles(entry.hash_chain, entry.hash_chain_result)
    build = _build_container if compress else _build_stored
    return build(
        message=entry.message,
        signature_xml=stamped_signature(record, timestamp),
        attachments=[entry.body] if entry.body is not None else [],
        sig_hash_chain=sig_chain,
        ts_hash_chain=ts_chain,
        timestamp=token,
        asic_manifest=asic_manifest,
        modified=modified or entry.created_at,
    )


def _build_stored(
    *,
    message: bytes,
    signature_xml: bytes,
    attachments: Sequence[bytes],
    sig_hash_chain: HashChainFiles | None,
    ts_hash_chain: HashChainFiles | None,
    timestamp: bytes | None,
    asic_manifest: bytes | None,
    modified: datetime,
) -> bytes:
    """:func:`vdx.crypto.asic.build_container`'s layout and manifest, every entry stored."""
    data: list[tuple[str, bytes, str]] = [(ENTRY_MESSAGE, message, "text/xml")]
    data += [(f"{ATTACHMENT_PREFIX}{i}", a, "application/octet-stream")
             for i, a in enumerate(attachments, start=1)]  # fmt: skip
    for chains, result_name, chain_name in (
        (sig_hash_chain, ENTRY_SIG_HASH_CHAIN_RESULT, ENTRY_SIG_HASH_CHAIN),
        (ts_hash_chain, ENTRY_TS_HASH_CHAIN_RESULT, ENTRY_TS_HASH_CHAIN),
    ):
        if chains is not None:
            data += [
                (result_name, chains.result, "text/xml"),
                (chain_name, chains.chain, "text/xml"),
            ]
    members = [(ENTRY_MIMETYPE, MIMETYPE.encode("ascii"))]
    members += [(name, content) for name, content, _ in data]
    members.append((ENTRY_MANIFEST, manifest_xml([(n, t) for n, _, t in data])))
    members.append((ENTRY_SIGNATURE, signature_xml))
    if asic_manifest is not None:
        members.append((ENTRY_ASIC_MANIFEST, asic_manifest))
    if timestamp is not None:
        members.append((ENTRY_TIMESTAMP, timestamp))
    return write_zip([(name, content, True) for name, content in members], modified=modified)


def escape_file_name(value: str) -> str:
    """The reference's ``AsicUtils.escapeString``: ``URLEncoder.encode(value, UTF-8)``."""
    out: list[str] = []
    for char in value:
        if char in _URL_SAFE:
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.extend(f"%{octet:02X}" for octet in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


def _base32(number: int) -> str:
    # Java Long.toUnsignedString(n, 32): digits 0-9 then a-v.
    if number < 0:
        number &= (1 << 64) - 1
    digits = ""
    while True:
        number, remainder = divmod(number, 32)
        digits = _BASE32_DIGITS[remainder] + digits
        if number == 0:
            return digits


def container_name(query_id: str, response: bool, record_id: int) -> str:
    """``<queryId>-<request|response>-<id base 32>.asice`` (reference name generator)."""
    kind = "response" if response else "request"
    escaped = escape_file_name(query_id)[:MAX_QUERY_ID_LENGTH]
    return f"{escaped}-{kind}-{_base32(record_id)}.asice"
