"""Global configuration files of the reference: directories verify, parameters parse, anchors
give the verdicts of the reference's own tests.

Directories (security-server system test ``global_conf_signed_with_rotated_keys``): each
``internalconf`` / ``externalconf`` verifies with an anchor made of the internal / external
verification certificates its own version's shared-params.xml lists, every file it lists has
the listed digest, it is refused by ``configuration_anchor_CS_internal.xml`` (a later key), and
a ``now`` past its Expire-date gives "expired".

Anchors (central-server admin-service int-test ``TrustedAnchorsApi``): ``trusted-anchor.xml``
is accepted as instance CS0 with fingerprint 40:2A:4F:..., ``trusted-anchor-2.xml`` as CS2 with
95:6C:C8:...; both ``trusted-anchor-invalid-*.xml`` are refused as ``malformed_anchor``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import vectors
from vdx.errors import Code, XRoadError
from vdx.globalconf import (
    AnchorSource,
    ConfigurationAnchor,
    anchor_hash,
    parse_anchor,
    parse_directory,
    parse_private_params,
    parse_shared_params,
    produce_anchor,
    produce_private_params,
    produce_shared_params,
    verify_directory,
)

# A moment at which every vector directory is still valid (they expire in 2034-2035).
BEFORE_EXPIRY = datetime(2026, 1, 1, tzinfo=UTC)
LATER_ANCHOR = "configuration_anchor_CS_internal.xml"

DIRECTORIES = vectors.files("globalconf", "V*/*conf")
PARAMETERS = vectors.files("globalconf", "V*/*/*-params.xml")

# file -> (instance, fingerprint) when accepted, or the error code when refused
ANCHOR_VERDICTS: dict[str, tuple[str, str] | str] = {
    "trusted-anchor.xml": (
        "CS0",
        "40:2A:4F:94:05:D2:9B:ED:C9:EE:A2:6D:EC:EC:11:94:5D:C9:A8:3E:29:1F:B2:92:A6:E4:DF:1D",
    ),
    "trusted-anchor-2.xml": (
        "CS2",
        "95:6C:C8:A5:9B:B5:51:5A:FB:9F:9C:84:38:C0:62:6B:93:48:AE:D7:54:44:16:0C:83:28:59:54",
    ),
    "trusted-anchor-invalid-1.xml": "MalformedGlobalConf",
    "trusted-anchor-invalid-2.xml": "MalformedGlobalConf",
}


def _own_anchor(path: Path) -> ConfigurationAnchor:
    shared = parse_shared_params(next(path.parent.glob("*/shared-params.xml")).read_bytes())
    certs = shared.verification_certs(internal=path.name == "internalconf")
    return ConfigurationAnchor(shared.instance, (AnchorSource(f"http://cs/{path.name}", certs),))


def _files(path: Path) -> dict[str, bytes]:
    directory = parse_directory(path.read_bytes())
    found = {}
    for part in directory.parts:
        relative = part.content_location.split("/", 2)[2]  # "/V6/<dated>/x.xml" -> "<dated>/x.xml"
        found[part.content_location] = (path.parent / relative).read_bytes()
    return found


def _directory_verdict(path: Path) -> list[str]:
    """Problems found; empty when the file behaves as the reference's facts say."""
    data = path.read_bytes()
    problems = []
    try:
        directory = verify_directory(data, None, _own_anchor(path), BEFORE_EXPIRY, _files(path))
    except XRoadError as error:
        return [f"own anchor refused it: {error.code} {error.message}"]
    later = parse_anchor((path.parent.parent / LATER_ANCHOR).read_bytes())
    try:
        verify_directory(data, None, later, BEFORE_EXPIRY)
        problems.append("verified with the later anchor")
    except XRoadError as error:
        if error.code != Code.CERT_VALIDATION:
            problems.append(f"later anchor gave {error.code}")
    try:
        verify_directory(
            data, None, _own_anchor(path), directory.expire_date + timedelta(seconds=1)
        )
        problems.append("not expired after Expire-date")
    except XRoadError as error:
        if error.code != Code.OUTDATED_GLOBALCONF or "expired" not in error.message:
            problems.append(f"after Expire-date gave {error.code}")
    return problems


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", DIRECTORIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_directory_verifies_as_the_reference_says(
    path: Path, conformance: vectors.ConformanceLedger
) -> None:
    problems = _directory_verdict(path)
    conformance.record(path, agrees=not problems, detail="; ".join(problems))
    assert not problems


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", PARAMETERS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_parameters_parse(path: Path, conformance: vectors.ConformanceLedger) -> None:
    data = path.read_bytes()
    try:
        if path.name == "shared-params.xml":
            shared = parse_shared_params(data)
            detail = "" if shared.members and shared.global_settings else "no members"
        else:
            private = parse_private_params(data)
            detail = "" if private.management_service else "no management service"
    except XRoadError as error:
        detail = f"{error.code}: {error.message}"
    conformance.record(path, agrees=not detail, detail=detail)
    assert not detail


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", PARAMETERS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_parameters_are_reproduced_byte_for_byte(path: Path) -> None:
    data = path.read_bytes()
    if path.name == "shared-params.xml":
        version = 6 if path.parent.parent.name == "V6" else 5
        assert produce_shared_params(parse_shared_params(data), version) == data
    else:
        assert produce_private_params(parse_private_params(data)) == data


@pytest.mark.vectors
def test_later_anchor_parses(vectors_dir: Path, conformance: vectors.ConformanceLedger) -> None:
    path = vectors_dir / "globalconf" / LATER_ANCHOR
    data = path.read_bytes()
    anchor = parse_anchor(data)
    agrees = anchor.instance == "DEV" and len(anchor.sources) == 2
    conformance.record(path, agrees=agrees, detail=f"got {anchor.instance}")
    assert agrees
    assert produce_anchor(anchor) == data


def _anchor_verdict(path: Path) -> tuple[str, str] | str:
    data = path.read_bytes()
    try:
        anchor = parse_anchor(data)
    except XRoadError as error:
        return str(error.code)
    return anchor.instance, anchor_hash(data)


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", vectors.files("anchors"), ids=lambda p: p.name)
def test_anchor_gives_reference_verdict(path: Path, conformance: vectors.ConformanceLedger) -> None:
    assert path.name in ANCHOR_VERDICTS, f"no expected verdict recorded for {path.name}"
    expected = ANCHOR_VERDICTS[path.name]
    actual = _anchor_verdict(path)
    conformance.record(path, agrees=actual == expected, detail=f"got {actual}, want {expected}")
    assert actual == expected


@pytest.mark.vectors
def test_every_anchor_has_a_verdict(vectors_dir: Path) -> None:
    assert {p.name for p in (vectors_dir / "anchors").iterdir()} == set(ANCHOR_VERDICTS)
