"""The message log's values: what the exchange hands over, what the database gives back.

One :class:`LogEntry` per signed message (request or response), as the reference's
``MessageRecord`` keeps it (security server architecture §2.8 "Message Log"): the message as
signed, the signature, the message's own hash chain when several parts were signed, client,
service, owner (the side's own client), message id and request id. A stored record later
gains the batch timestamp and its proof in the batch's hash chain (the reference's
``timestampHashChain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vdx.identifiers.model import ClientId, ServiceId


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What the exchange hands to the log, one per signed message."""

    query_id: str  # the X-Road message id (SOAP header id / X-Road-Id)
    x_request_id: str | None
    client: ClientId
    service: ServiceId
    # Whom the record is filed under: the client on the client side, the service provider on
    # the server side (the reference's LogManager.createMessageRecord); find and archive
    # grouping go by it.
    owner: ClientId
    response: bool  # False: the request, True: the response
    rest: bool
    message: bytes  # SOAP envelope, or the REST header part as signed (/message.xml)
    body: bytes | None  # REST body / attachments as signed parts, None when not logged
    signature: bytes  # the XAdES signature XML (signatures.xml content)
    hash_chain_result: bytes | None  # the message's own hash chain (several parts), else None
    hash_chain: bytes | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredRecord:
    id: int
    entry: LogEntry
    timestamp_id: int | None
    timestamp_hash_chain: bytes | None  # this record's proof in the batch's hash chain
    archived: bool


@dataclass(frozen=True, slots=True)
class TimestampRecord:
    id: int
    token: bytes  # DER RFC 3161 TimeStampToken
    hash_chain_result: bytes | None  # batch hash chain result XML (None for a batch of one)
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """The little the timestamper needs of an unstamped record: its id and signature digest."""

    id: int
    signature_hash: bytes  # digest of the signature XML (the batch hash chain's leaf)
    created_at: datetime


class StaleBatchError(Exception):
    """Some records of a batch were stamped meanwhile (another node won): discard the token."""
