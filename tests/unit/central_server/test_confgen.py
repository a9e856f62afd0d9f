"""Global configuration generation: deterministic, schema-valid, verifiable, stable locations."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import xmlschema
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    PublicFormat,
)

from central_server.confgen import (
    ConfigurationGenerationError,
    GeneratedConfiguration,
    SoftwareDirectorySigner,
    anchor_for,
    generate,
    timestamp_segment,
)
from tests.unit.central_server.test_confgen_support import (
    INSTANCE,
    NOW,
    ec_signer,
    private_parameters,
    rsa_signer,
    shared_parameters,
)
from vdx.errors import Code, XRoadError
from vdx.globalconf import (
    PRIVATE_PARAMETERS,
    SHARED_PARAMETERS,
    ConfigurationAnchor,
    parse_anchor,
    parse_directory,
    parse_private_params,
    parse_shared_params,
    produce_anchor,
    verify_directory,
)
from vdx.globalconf.algorithms import ECDSA_SHA512, RSA_SHA512

OPENSSL = shutil.which("openssl")
URL = "http://cs.vdx.test/internalconf"


def _generate(**overrides: object) -> GeneratedConfiguration:
    signer = rsa_signer()
    arguments: dict[str, object] = {
        "shared": shared_parameters(signer),
        "private": private_parameters(),
        "signing": signer,
        "now": NOW,
    }
    arguments.update(overrides)
    return generate(**arguments)  # type: ignore[arg-type]


def _anchor(generated_shared: bytes, *, internal: bool = True) -> ConfigurationAnchor:
    """Anchor made as an operator would: from the published shared parameters, round-tripped
    through its XML form."""
    shared = parse_shared_params(generated_shared)
    return parse_anchor(produce_anchor(anchor_for(shared, URL, NOW, internal=internal)))


def _files(conf: GeneratedConfiguration) -> dict[str, bytes]:
    return {f.location: f.data for f in conf.files}


def _shared_file(conf: GeneratedConfiguration, version: int = 5) -> bytes:
    return next(
        f.data
        for f in conf.files
        if f.version == version and f.content_identifier == SHARED_PARAMETERS
    )


def test_generation_is_deterministic() -> None:
    first, second = _generate(), _generate()
    assert first == second
    assert first.directories[0].internal.body == second.directories[0].internal.body


def test_directory_layout_follows_pr_gconf() -> None:
    conf = _generate()
    assert conf.versions == (5,)
    internal = parse_directory(
        conf.directories[0].internal.body, conf.directories[0].internal.content_type
    )
    external = parse_directory(
        conf.directories[0].external.body, conf.directories[0].external.content_type
    )
    assert internal.version == external.version == 5
    assert [p.content_identifier for p in internal.parts] == [PRIVATE_PARAMETERS, SHARED_PARAMETERS]
    assert [p.content_identifier for p in external.parts] == [SHARED_PARAMETERS]
    assert {p.instance for p in internal.parts} == {INSTANCE}
    stamp = timestamp_segment(NOW)
    assert stamp == "20260301120000123456000"
    assert [p.content_location for p in internal.parts] == [
        f"/V5/{stamp}/private-params.xml",
        f"/V5/{stamp}/shared-params.xml",
    ]
    assert external.parts[0].content_location == internal.parts[1].content_location
    assert internal.signature_algorithm == RSA_SHA512
    assert conf.directories[0].internal.content_type.startswith("multipart/related; charset=UTF-8")


@pytest.mark.parametrize("versions", [(5,), (5, 6)])
def test_parameter_files_validate_against_the_schemas(
    vectors_dir: Path, versions: tuple[int, ...]
) -> None:
    schemas = vectors_dir / "schemas" / "globalconf"
    conf = _generate(versions=versions)
    assert conf.versions == versions
    assert conf.default_version == max(versions)
    private_xsd = xmlschema.XMLSchema(str(schemas / "v3" / "private-parameters.xsd"))
    for item in conf.files:
        assert re.fullmatch(
            rf"/V{item.version}/\d{{23}}/(private|shared)-params\.xml", item.location
        )
        if item.content_identifier == SHARED_PARAMETERS:
            xsd = xmlschema.XMLSchema(str(schemas / f"v{item.version}" / "shared-parameters.xsd"))
            xsd.validate(item.data.decode("utf-8"))
            assert parse_shared_params(item.data).instance == INSTANCE
        else:
            private_xsd.validate(item.data.decode("utf-8"))
            assert parse_private_params(item.data) == private_parameters()


@pytest.mark.parametrize("signer_kind", ["rsa", "ecdsa"])
def test_directories_verify_against_an_anchor_of_the_signing_certificate(signer_kind: str) -> None:
    signer = rsa_signer() if signer_kind == "rsa" else ec_signer()
    conf = _generate(shared=shared_parameters(signer), signing=signer)
    files = _files(conf)
    anchor = _anchor(_shared_file(conf))
    assert anchor.verification_certs == (signer.certificate.public_bytes(Encoding.DER),)
    for internal in (True, False):
        produced = conf.directory(internal=internal)
        assert produced is not None
        verified = verify_directory(produced.body, produced.content_type, anchor, NOW, files=files)
        assert verified.signature_algorithm == (
            RSA_SHA512 if signer_kind == "rsa" else ECDSA_SHA512
        )
        # the stored form (Content-Type line first) is what `vdx conf verify` reads
        verify_directory(produced.stored(), None, anchor, NOW, files=files)


def test_external_directory_can_have_its_own_key() -> None:
    internal, external = rsa_signer(), rsa_signer("external")
    shared = dataclasses.replace(
        shared_parameters(internal),
        sources=(
            dataclasses.replace(
                shared_parameters(internal).sources[0],
                external_verification_certs=(external.certificate.public_bytes(Encoding.DER),),
            ),
        ),
    )
    conf = _generate(shared=shared, external_signing=external)
    produced = conf.directory(internal=False)
    assert produced is not None
    ext_anchor = _anchor(_shared_file(conf), internal=False)
    verify_directory(produced.body, produced.content_type, ext_anchor, NOW, files=_files(conf))
    with pytest.raises(XRoadError) as caught:
        verify_directory(produced.body, produced.content_type, _anchor(_shared_file(conf)), NOW)
    assert caught.value.code == Code.CERT_VALIDATION


def test_unchanged_parts_keep_their_files() -> None:
    first = _generate()
    later = NOW + timedelta(seconds=60)
    same = _generate(now=later, previous=first)
    assert [f.location for f in same.files] == [f.location for f in first.files]
    assert same.expire_date == later + timedelta(seconds=600)
    assert same.directories[0].internal.body != first.directories[0].internal.body  # new expiry

    changed = _generate(
        now=later, previous=same, shared=shared_parameters(rsa_signer(), member_name="Renamed")
    )
    locations = {f.content_identifier: f.location for f in changed.files}
    assert locations[PRIVATE_PARAMETERS] == first.files[0].location
    assert locations[SHARED_PARAMETERS] == f"/V5/{timestamp_segment(later)}/shared-params.xml"
    assert locations[SHARED_PARAMETERS] != first.files[1].location
    verify_directory(
        changed.directories[0].internal.body,
        changed.directories[0].internal.content_type,
        _anchor(_shared_file(changed)),
        later,
        files=_files(changed),
    )


def test_a_location_never_names_two_contents() -> None:
    first = _generate()
    changed = _generate(
        previous=first, shared=shared_parameters(rsa_signer(), member_name="Renamed")
    )  # same `now`: the new shared file must not take the old one's path
    assert changed.files[1].location != first.files[1].location
    assert changed.files[0].location == first.files[0].location


def test_expiry() -> None:
    conf = _generate(expire_seconds=120)
    produced = conf.directory(internal=True)
    assert produced is not None
    anchor = _anchor(_shared_file(conf))
    directory = verify_directory(
        produced.body, produced.content_type, anchor, NOW + timedelta(seconds=119)
    )
    assert directory.expire_date == (NOW + timedelta(seconds=120)).replace(microsecond=0)
    with pytest.raises(XRoadError) as caught:
        verify_directory(produced.body, produced.content_type, anchor, NOW + timedelta(seconds=121))
    assert caught.value.code == Code.OUTDATED_GLOBALCONF
    default = _generate().directory(internal=True)
    assert default is not None
    assert parse_directory(default.body, default.content_type).expire_date == (
        NOW + timedelta(seconds=600)
    ).replace(microsecond=0)


def test_key_rotation_new_key_verifies_with_an_anchor_listing_both() -> None:
    old, new = rsa_signer(), rsa_signer("next")
    shared = shared_parameters(old, new)  # announced: active and next
    before = _generate(shared=shared, signing=old)
    after = _generate(shared=shared, signing=new, previous=before, now=NOW + timedelta(seconds=60))
    anchor = _anchor(_shared_file(before))
    assert len(anchor.verification_certs) == 2
    for conf in (before, after):
        produced = conf.directory(internal=True)
        assert produced is not None
        verify_directory(produced.body, produced.content_type, anchor, NOW, files=_files(conf))
    # the parameter files did not change, so they kept their locations across the switch
    assert [f.location for f in after.files] == [f.location for f in before.files]
    # an anchor that knows only the old key refuses the new key's directory
    old_only = parse_anchor(produce_anchor(anchor_for(shared_parameters(old), URL, NOW)))
    produced = after.directory(internal=True)
    assert produced is not None
    with pytest.raises(XRoadError) as caught:
        verify_directory(produced.body, produced.content_type, old_only, NOW)
    assert caught.value.code == Code.CERT_VALIDATION


def test_refuses_inputs_clients_would_reject() -> None:
    with pytest.raises(ConfigurationGenerationError, match="not announced"):
        _generate(shared=shared_parameters(rsa_signer("other")))
    wrong = dataclasses.replace(private_parameters(), instance="OTHER")
    with pytest.raises(ConfigurationGenerationError, match="OTHER"):
        _generate(private=wrong)
    with pytest.raises(ConfigurationGenerationError, match="supported"):
        _generate(versions=(4,))
    with pytest.raises(ConfigurationGenerationError, match="positive"):
        _generate(expire_seconds=0)
    with pytest.raises(ConfigurationGenerationError, match="timezone"):
        _generate(now=NOW.replace(tzinfo=None))


def test_unknown_version_or_location_is_none() -> None:
    conf = _generate()
    assert conf.directory(internal=True, version=6) is None
    assert conf.file("/V5/nope/shared-params.xml") is None
    assert conf.file(conf.files[0].location) == conf.files[0]


def test_software_signer_from_pem() -> None:
    signer = rsa_signer()
    key_pem = signer.key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"secret")
    )
    cert_pem = signer.certificate.public_bytes(Encoding.PEM)
    loaded = SoftwareDirectorySigner.from_pem(key_pem, cert_pem, b"secret")
    assert loaded.signature_algorithm_id == RSA_SHA512
    assert loaded.sign(b"data") == signer.sign(b"data")
    with pytest.raises(ValueError, match="not for this key"):
        SoftwareDirectorySigner(rsa_signer("other").key, signer.certificate)
    with pytest.raises(ValueError, match="Unsupported hash"):
        SoftwareDirectorySigner(signer.key, signer.certificate, "md5")


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
@pytest.mark.parametrize("signer_kind", ["rsa", "ecdsa"])
def test_openssl_dgst_accepts_the_signature(tmp_path: Path, signer_kind: str) -> None:
    signer = rsa_signer() if signer_kind == "rsa" else ec_signer()
    conf = _generate(shared=shared_parameters(signer), signing=signer)
    produced = conf.directory(internal=True)
    assert produced is not None
    directory = parse_directory(produced.body, produced.content_type)
    (tmp_path / "data").write_bytes(directory.signed_data)
    (tmp_path / "sig").write_bytes(directory.signature)
    (tmp_path / "pubkey.pem").write_bytes(
        signer.certificate.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    )
    command = [
        str(OPENSSL),
        "dgst",
        "-sha512",
        "-verify",
        "pubkey.pem",
        "-signature",
        "sig",
        "data",
    ]
    result = subprocess.run(  # noqa: S603 - fixed command on test files
        command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "Verified OK" in result.stdout
    (tmp_path / "data").write_bytes(directory.signed_data + b"x")
    tampered = subprocess.run(  # noqa: S603 - fixed command on test files
        command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=30
    )
    assert tampered.returncode != 0
