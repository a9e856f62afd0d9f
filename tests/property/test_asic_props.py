"""ASiC-E containers and log archives: any input ends in a verdict or an XRoadError, never worse.

Containers and archives come from disk, from other operators, from attackers; the verifiers
must turn arbitrary bytes, mutated real files and rearranged ZIP members into a clean refusal.
"""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.crypto.test_asic import batch_container, small_container
from vdx.crypto import asic_zip
from vdx.crypto.archive import build_archive, parse_linking_info, verify_archive
from vdx.crypto.asic_verify import verify_container
from vdx.errors import XRoadError

_SMALL = small_container()
_BATCH = batch_container()
_ARCHIVE = build_archive([("a-request-1.asice", _SMALL)])[0]
_NAMES = st.sampled_from(
    [
        "mimetype",
        "message.xml",
        "attachment1",
        "META-INF/signatures.xml",
        "META-INF/manifest.xml",
        "META-INF/timestamp.tst",
        "sig-hashchain.xml",
        "sig-hashchainresult.xml",
        "linkinginfo",
        "x.asice",
        "../evil",
        "META-INF/",
    ]
)


def _survives(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        verify_container(data)
    with contextlib.suppress(XRoadError):
        verify_archive(data, previous_digest="-")


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_only_xroad_error(data: bytes) -> None:
    _survives(data)


@given(st.sampled_from([_SMALL, _BATCH, _ARCHIVE]), st.data())
def test_mutated_files_raise_only_xroad_error(original: bytes, data: st.DataObject) -> None:
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    _survives(bytes(mutated[:cut]) if data.draw(st.booleans()) else bytes(mutated))


@given(st.lists(st.tuples(_NAMES, st.binary(max_size=64), st.booleans()), max_size=8))
def test_arbitrary_members_raise_only_xroad_error(members: list[tuple[str, bytes, bool]]) -> None:
    _survives(asic_zip.write_zip(members))


@given(st.binary(max_size=512))
def test_arbitrary_linking_info_raises_only_xroad_error(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        parse_linking_info(data)
