"""The configuration client's decisions, one transition at a time (no network, no event loop)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security_server.confclient import (
    Action,
    ClientState,
    on_download,
    on_restore,
    persistence,
    require_valid,
    status,
    verify_download,
)
from security_server.confclient.decisions import EXPIRED_MESSAGE, Downloaded, Failed, next_delay
from security_server.confclient.verify import file_url
from tests.unit.central_server.test_confgen_support import NOW, rsa_signer
from tests.unit.security_server.confclient_support import (
    anchor,
    configuration,
    generated,
    raw_download,
    tampered,
)
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId, GlobalGroupId, SecurityServerId

LATER = NOW + timedelta(seconds=60)
OWNER = ClientId("VDX", "GOV", "1234")
SUBSYSTEM = ClientId("VDX", "GOV", "1234", "CLIENT")
SERVER = SecurityServerId(OWNER, "SS1")


def _network_error() -> Failed:
    return Failed(XRoadError(Code.NETWORK_ERROR, "Cannot download http://cs/internalconf"))


def test_first_download_is_used_and_persisted() -> None:
    first = configuration(NOW)
    transition = on_download(ClientState(), Downloaded(first), NOW)
    assert transition.action is Action.FIRST
    assert transition.swapped
    assert transition.persist
    assert transition.state.current is first
    assert transition.state.last_success == NOW
    assert transition.state.last_error is None
    assert require_valid(transition.state.current, NOW) is first


def test_newer_configuration_replaces_the_one_in_use() -> None:
    state = on_download(ClientState(), Downloaded(configuration(NOW)), NOW).state
    newer = configuration(LATER, member_name="Ministry of Newer Tests")
    transition = on_download(state, Downloaded(newer), LATER)
    assert transition.action is Action.NEWER
    assert transition.persist
    assert transition.state.current is newer
    assert transition.state.last_success == LATER


def test_same_directory_again_is_unchanged_but_a_success() -> None:
    first = configuration(NOW)
    state = on_download(ClientState(), Downloaded(first), NOW).state
    again = configuration(NOW)  # same inputs, same signed bytes
    transition = on_download(state, Downloaded(again), LATER)
    assert transition.action is Action.UNCHANGED
    assert not transition.swapped
    assert not transition.persist
    assert transition.state.current is first
    assert transition.state.last_success == LATER


def test_older_configuration_is_refused_and_the_newer_kept() -> None:
    newer = configuration(LATER)
    state = on_download(ClientState(), Downloaded(newer), LATER).state
    older = configuration(NOW, member_name="Ministry of Old Tests")
    transition = on_download(state, Downloaded(older), LATER)
    assert transition.action is Action.OLDER
    assert transition.failed
    assert transition.state.current is newer
    assert transition.state.last_error is not None
    assert transition.state.last_error.code == Code.OUTDATED_GLOBALCONF


def test_failed_download_keeps_the_last_valid_configuration() -> None:
    first = configuration(NOW)
    state = on_download(ClientState(), Downloaded(first), NOW).state
    transition = on_download(state, _network_error(), LATER)
    assert transition.action is Action.FAILED
    assert not transition.swapped
    assert transition.state.current is first
    assert transition.state.last_success == NOW
    assert transition.state.last_attempt == LATER
    error = transition.state.last_error
    assert error is not None
    assert (error.code, error.at) == (Code.NETWORK_ERROR, LATER)
    assert transition.state.consecutive_failures == 1
    again = on_download(transition.state, _network_error(), LATER + timedelta(seconds=60))
    assert again.state.consecutive_failures == 2
    recovered = on_download(again.state, Downloaded(configuration(LATER)), LATER)
    assert recovered.state.consecutive_failures == 0
    assert recovered.state.last_error is None


def _outcome_of_verifying(raw_bytes: object) -> Downloaded | Failed:
    try:
        return Downloaded(verify_download(anchor(), raw_bytes, LATER))  # type: ignore[arg-type]
    except XRoadError as error:
        return Failed(error)


def test_verification_failure_keeps_the_last_valid_configuration() -> None:
    first = configuration(NOW)
    state = on_download(ClientState(), Downloaded(first), NOW).state
    bad = tampered(raw_download(generated(LATER)))
    outcome = _outcome_of_verifying(bad)
    assert isinstance(outcome, Failed)
    assert outcome.error.code == Code.IO_ERROR  # the reference's "content integrity" code
    transition = on_download(state, outcome, LATER)
    assert transition.action is Action.FAILED
    assert transition.state.current is first


def test_directory_signed_by_a_key_not_in_the_anchor_is_refused() -> None:
    intruder = rsa_signer("intruder")
    outcome = _outcome_of_verifying(raw_download(generated(LATER, signer=intruder)))
    assert isinstance(outcome, Failed)
    assert outcome.error.code == Code.CERT_VALIDATION
    transition = on_download(ClientState(), outcome, LATER)
    assert transition.state.current is None
    with pytest.raises(XRoadError) as refused:
        require_valid(transition.state.current, LATER)
    assert refused.value.code == Code.OUTDATED_GLOBALCONF


def test_expired_configuration_refuses_traffic_with_outdated_globalconf() -> None:
    first = configuration(NOW)
    state = on_download(ClientState(), Downloaded(first), NOW).state
    assert require_valid(state.current, first.expire_date) is first  # valid up to the second
    after = first.expire_date + timedelta(seconds=1)
    with pytest.raises(XRoadError) as refused:
        require_valid(state.current, after)
    assert refused.value.code == Code.OUTDATED_GLOBALCONF
    assert refused.value.message == EXPIRED_MESSAGE
    client_side = refused.value.attributed_to(Origin.CLIENT_PROXY)
    assert client_side.fault_code == "Server.ClientProxy.OutdatedGlobalConf"
    server_side = refused.value.attributed_to(Origin.SERVER_PROXY)
    assert server_side.fault_code == "Server.ServerProxy.OutdatedGlobalConf"
    report = status(state, after)
    assert not report.healthy
    assert report.reason == f"OutdatedGlobalConf: {EXPIRED_MESSAGE}"
    assert report.seconds_to_expiry is not None
    assert report.seconds_to_expiry < 0


def test_no_configuration_refuses_traffic() -> None:
    with pytest.raises(XRoadError) as refused:
        require_valid(None, NOW)
    assert refused.value.code == Code.OUTDATED_GLOBALCONF
    assert not status(ClientState(), NOW).healthy


def test_expired_download_never_replaces_an_expired_one() -> None:
    stale = configuration(NOW)
    transition = on_download(ClientState(), Downloaded(stale), stale.expire_date + timedelta(1))
    assert transition.action is Action.FAILED
    assert transition.state.current is None


def test_newer_one_replaces_an_expired_one() -> None:
    stale = configuration(NOW)
    state = ClientState(current=stale)
    fresh_at = stale.expire_date + timedelta(seconds=5)
    fresh = configuration(fresh_at)
    transition = on_download(state, Downloaded(fresh), fresh_at)
    assert transition.swapped
    assert transition.state.current is fresh


def test_restore_from_disk_verifies_again(tmp_path: Path) -> None:
    raw = raw_download(generated(NOW))
    persistence.save(tmp_path, raw)
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away
    loaded = persistence.load(tmp_path)
    assert loaded == raw
    restored = on_restore(
        ClientState(), Downloaded(verify_download(anchor(), loaded, LATER)), LATER
    )
    assert restored.action is Action.RESTORED
    assert not restored.persist
    assert restored.state.current is not None
    assert restored.state.current.instance == "VDX"
    assert restored.state.last_success is None  # nothing was downloaded yet


def test_restore_refuses_a_file_changed_on_disk(tmp_path: Path) -> None:
    persistence.save(tmp_path, tampered(raw_download(generated(NOW))))
    loaded = persistence.load(tmp_path)
    assert loaded is not None
    outcome = _outcome_of_verifying(loaded)
    assert isinstance(outcome, Failed)
    restored = on_restore(ClientState(), outcome, LATER)
    assert restored.action is Action.RESTORE_FAILED
    assert restored.state.current is None
    assert restored.state.consecutive_failures == 0  # not a download failure


def test_restore_of_an_expired_configuration_is_refused() -> None:
    stale = configuration(NOW)
    moment = stale.expire_date + timedelta(seconds=1)
    restored = on_restore(ClientState(), Downloaded(stale), moment)
    assert restored.action is Action.RESTORE_FAILED
    assert restored.state.current is None


def test_restore_never_replaces_a_downloaded_configuration() -> None:
    first = configuration(LATER)
    state = ClientState(current=first)
    assert on_restore(state, Downloaded(configuration(NOW)), LATER).state.current is first


def test_unreadable_store_is_an_error(tmp_path: Path) -> None:
    assert persistence.load(tmp_path) is None
    (tmp_path / persistence.FILE_NAME).write_text(json.dumps({"format": 99}))
    with pytest.raises(persistence.StoredConfigurationError):
        persistence.load(tmp_path)
    (tmp_path / persistence.FILE_NAME).write_text("{not json")
    with pytest.raises(persistence.StoredConfigurationError):
        persistence.load(tmp_path)


def test_status_reports_for_health_and_admin() -> None:
    first = configuration(NOW)
    state = on_download(ClientState(), Downloaded(first), NOW).state
    state = on_download(state, _network_error(), LATER).state
    report = status(state, LATER)
    assert report.healthy
    assert report.reason is None
    assert report.seconds_to_expiry == pytest.approx((first.expire_date - LATER).total_seconds())
    document = report.to_json()
    assert document["instance"] == "VDX"
    assert document["last_success"] == NOW.isoformat()
    assert document["last_error"]["code"] == "NetworkError"
    assert document["last_error"]["at"] == LATER.isoformat()
    json.dumps(document)  # serialisable as is


def test_lookups_answer_from_the_index() -> None:
    config = configuration(NOW)
    assert config.server(SERVER) is not None
    assert config.server_address(SERVER) == "ss1.vdx.test"
    assert config.is_known_client(SUBSYSTEM)
    assert config.is_known_client(OWNER)
    assert not config.is_known_client(ClientId("VDX", "GOV", "9999"))
    assert config.servers_of(SUBSYSTEM) == (SERVER,)
    assert config.servers_of(OWNER) == (SERVER,)  # the owner is served by its own server
    assert config.is_client_of(SUBSYSTEM, SERVER)
    assert config.server_by_auth_cert(b"auth cert") == SERVER  # sha512 in the test instance
    assert config.server_by_auth_cert(b"other cert") is None
    assert config.is_group_member(OWNER, GlobalGroupId("VDX", "security-server-owners"))
    assert config.trust.instance == "VDX"
    assert config.private is not None
    assert config.index.auth_cert_servers[hashlib.sha512(b"auth cert").digest()] == SERVER


@pytest.mark.parametrize(
    "location",
    ["http://evil.test/x.xml", "//evil.test/x.xml", "V5/x.xml", "\\\\evil\\x"],
)
def test_file_locations_stay_on_the_source_origin(location: str) -> None:
    with pytest.raises(XRoadError) as refused:
        file_url("http://cs.vdx.test:8080/internalconf", location)
    assert refused.value.code == Code.MALFORMED_GLOBALCONF


def test_file_location_resolves_against_the_origin() -> None:
    url = file_url("https://cs.vdx.test:8443/path/internalconf?version=5", "/V5/1/shared.xml")
    assert url == "https://cs.vdx.test:8443/V5/1/shared.xml"


def test_configuration_value_is_frozen() -> None:
    config = configuration(NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.expire_date = LATER  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.index.servers[SERVER] = None  # type: ignore[index]


def test_next_round_comes_just_after_expiry_when_that_is_sooner() -> None:
    config = configuration(NOW)  # expires 600 s after NOW
    state = ClientState(current=config)
    assert next_delay(ClientState(), NOW, 60) == 60
    assert next_delay(state, NOW, 60) == 60
    assert next_delay(state, NOW, 3600) == pytest.approx(config.seconds_to_expiry(NOW) + 1)
    assert next_delay(state, config.expire_date + timedelta(seconds=5), 60) == 60


@given(st.text(max_size=60))
def test_no_location_leaves_the_source_origin(location: str) -> None:
    source = "http://cs.vdx.test:8080/internalconf"
    refused: Code | str | None = None
    try:
        resolved = file_url(source, location)
    except XRoadError as error:
        refused = error.code
    if refused is not None:
        assert refused == Code.MALFORMED_GLOBALCONF
        return
    assert urlsplit(resolved).netloc == "cs.vdx.test:8080"
    assert resolved == "http://cs.vdx.test:8080" + location
