"""Our containers and archives agree with the reference's (``xroad-vectors/archives``).

Every container of the reference's ``message-archive-0/1.zip`` is taken apart into what the
log stores (message, signature, the message's hash chain, the time-stamp with the record's
proof) and built again with :func:`record_container`: the same files come out with the same
bytes (the ODF manifest lists the same files; the reference writes them in hash-map order),
under the name the reference gave the container. Fed the reference's container bytes, the
archive builder writes the reference's ``linkinginfo`` byte for byte.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from security_server.messagelog.archive import (
    ChainLink,
    build_archive_file,
    plan_archives,
)
from security_server.messagelog.asic_build import container_name, record_container
from security_server.messagelog.model import LogEntry, StoredRecord, TimestampRecord
from vdx.crypto import asic_refs
from vdx.crypto.asic import (
    ENTRY_MANIFEST,
    ENTRY_MESSAGE,
    ENTRY_SIG_HASH_CHAIN,
    ENTRY_SIG_HASH_CHAIN_RESULT,
    ENTRY_SIGNATURE,
    ENTRY_TIMESTAMP,
    ENTRY_TS_HASH_CHAIN,
    ENTRY_TS_HASH_CHAIN_RESULT,
    AsicContainer,
    read_container,
)
from vdx.crypto.asic_verify import verify_container
from vdx.crypto.xades_decode import decode_signature
from vdx.identifiers.model import ClientId, ServiceId

ARCHIVE_0_LAST = (
    "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7"
    "f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b965c358eaa"
)
# The name archive 1's linking info gives archive 0 (encrypted there, hence .gpg).
ARCHIVE_0_NAME = "mlog-20231023121255-20231023121255-9011ab557706b505.zip.gpg"
WHEN = datetime(2023, 10, 23, 12, 16, tzinfo=UTC)
CLIENT = ClientId("CS", "GOV", "0245437-2", "TestClient")
SERVICE = ServiceId(ClientId("CS", "GOV", "0245437-2", "TestService"), "getRandom", "v1")


def _containers(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist() if n.endswith(".asice")]


def _parse_name(name: str) -> tuple[str, bool, int]:
    query_id, kind, sequence = name.removesuffix(".asice").rsplit("-", 2)
    return query_id, kind == "response", int(sequence, 32)


def _stored(name: str, container: AsicContainer) -> tuple[StoredRecord, TimestampRecord]:
    """What the log keeps of the record the reference archived as ``name``."""
    query_id, response, record_id = _parse_name(name)
    signature = container.signature
    result = container.get(ENTRY_TS_HASH_CHAIN_RESULT)
    token = container.get(ENTRY_TIMESTAMP)
    if token is None:  # stamped alone: the token sits in the signature
        token = decode_signature(signature).timestamp_token
    assert token is not None
    attachments = container.attachments
    entry = LogEntry(
        query_id, None, CLIENT, SERVICE, CLIENT, response, bool(attachments), container.message,
        attachments[0].data if attachments else None, signature,
        container.get(ENTRY_SIG_HASH_CHAIN_RESULT), container.get(ENTRY_SIG_HASH_CHAIN), WHEN,
    )  # fmt: skip
    record = StoredRecord(record_id, entry, 1, container.get(ENTRY_TS_HASH_CHAIN), True)
    return record, TimestampRecord(1, token, result, WHEN)


ARCHIVES = ["message-archive-0.zip", "message-archive-1.zip"]


@pytest.mark.vectors
@pytest.mark.parametrize("archive", ARCHIVES)
def test_rebuilt_containers_hold_the_references_files(vectors_dir: Path, archive: str) -> None:
    containers = _containers(vectors_dir / "archives" / archive)
    assert containers
    for (name, data), compress in itertools.product(containers, [False, True]):
        reference = read_container(data)
        record, stamp = _stored(name, reference)
        ours = read_container(record_container(record, stamp, compress=compress))
        assert container_name(record.entry.query_id, record.entry.response, record.id) == name
        assert {e.name for e in ours.entries} == {e.name for e in reference.entries}, name
        for entry in reference.entries:
            if entry.name == ENTRY_MANIFEST:
                assert asic_refs.odf_manifest(ours.get(ENTRY_MANIFEST) or b"") == (
                    asic_refs.odf_manifest(entry.data)
                )
            else:
                assert ours.get(entry.name) == entry.data, f"{name}: {entry.name}"
        verify_container(record_container(record, stamp))
        assert {ENTRY_MESSAGE, ENTRY_SIGNATURE} <= {e.name for e in ours.entries}


@pytest.mark.vectors
def test_archive_of_the_references_containers_has_the_references_linkinginfo(
    vectors_dir: Path,
) -> None:
    path = vectors_dir / "archives" / "message-archive-1.zip"
    containers = _containers(path)
    by_id = {_parse_name(name)[2]: data for name, data in containers}
    items = [_stored(name, read_container(data)) for name, data in containers]
    (plan,) = plan_archives(items, build=lambda record, _: by_id[record.id])
    built = build_archive_file(plan, ChainLink(ARCHIVE_0_LAST, ARCHIVE_0_NAME))
    with zipfile.ZipFile(path) as reference, zipfile.ZipFile(io.BytesIO(built.data)) as ours:
        assert ours.read("linkinginfo") == reference.read("linkinginfo")
        assert ours.namelist() == reference.namelist()
    assert built.name == f"mlog-20231023121600-20231023121600-{built.link.digest[:16]}.zip"
