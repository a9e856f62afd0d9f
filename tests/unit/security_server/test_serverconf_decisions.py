"""Message-time decisions of the server configuration: endpoint matching and access rights.

The glob table repeats the reference's PathGlobTest cases (serverconf module of X-Road), so our
matching agrees with theirs; the access-rights cases follow ServerConfImpl's subject rules.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest

from security_server.serverconf import (
    BASE_ENDPOINT,
    ClientEntry,
    ClientState,
    ConnectionType,
    DescriptionKind,
    Endpoint,
    Grant,
    ServerConfSnapshot,
    ServiceEntry,
    allowed_endpoints,
    build_snapshot,
    endpoint_matches,
    is_access_allowed,
    normalize_path,
    path_matches,
)
from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, ServiceId

PROVIDER = ClientId("VN", "GOV", "0101", "TAX")
CLIENT = ClientId("VN", "COM", "9999", "APP")
OTHER = ClientId("VN", "COM", "8888", "APP")
MEMBER = ClientId("VN", "COM", "9999")
SOAP = ServiceId(PROVIDER, "getRandom", "v1")
REST = ServiceId(PROVIDER, "pets")
GROUP = GlobalGroupId("VN", "tax-partners")
LOCAL = LocalGroupId("friends")
PETS = Endpoint("GET", "/pets", generated=True)
PET = Endpoint("GET", "/pets/*", generated=True)
ADD_PET = Endpoint("POST", "/pets", generated=True)


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("**", "", True),
        ("***", "match/anything/*", True),
        ("**", "/a/b/c", True),
        ("/*/", "/a/", True),
        ("/*/", "/a/b/", False),
        ("", "", True),
        ("", " ", False),
        (".^$+{[]|()", ".^$+{[]|()", True),
        ("**/bar/**", "a/b/c/bar/e/f", True),
        ("**/bar/**", "a/b/c/foo/e/f", False),
        ("**\\*", "/what/ever*", True),
        ("**\\*", "/what/ever!", False),
        ("simple", "simple", True),
        ("simple", "prefix.simple.suffix", False),
        ("**/*/**", "something/bar/something/else", True),
        ("**/*/**", "/bar/", True),
        ("**/*/**", "//", True),
        ("**/*/**", "something/else", False),
        ("\\A", "\\A", True),
        ("\\*", "*", True),
        ("\\*", "\\*", False),
        ("\\\\", "\\", True),
        ("aa\\", "aa\\", True),
        ("/pets/*", "/pets/12", True),
        ("/pets/*", "/pets/12/toys", False),
        ("/pets/*", "/pets/", True),
        ("/pets/**", "/pets/12/toys", True),
        ("/pets", "/pets/", False),
        ("/a?b", "/a?b", True),
        ("/a?b", "/axb", False),
    ],
)
def test_path_glob(glob: str, path: str, expected: bool) -> None:
    assert path_matches(glob, path) is expected


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "expected"),
    [
        (BASE_ENDPOINT, None, None, True),  # SOAP: only the base endpoint
        (BASE_ENDPOINT, "DELETE", "/anything/at/all", True),
        (PETS, None, None, False),
        (PETS, "GET", "/pets", True),
        (PETS, "get", "/pets", True),
        (PETS, "POST", "/pets", False),
        (Endpoint("*", "/pets"), "PATCH", "/pets", True),
        (Endpoint("GET", "**"), "GET", "/x/y", True),
        (Endpoint("GET", "**"), "PUT", "/x/y", False),
        (PET, "GET", "/pets/1", True),
        (PET, "GET", "/pets/1/2", False),
    ],
)
def test_endpoint_matching(
    endpoint: Endpoint, method: str | None, path: str | None, expected: bool
) -> None:
    assert endpoint_matches(endpoint, method, path) is expected


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("/pets/1", "/pets/1"),
        ("/pets/%31", "/pets/1"),
        ("/pets/./1", "/pets/1"),
        ("/pets/x/../1", "/pets/1"),
        ("/pets/1/.", "/pets/1/"),
        ("/../etc/passwd", None),
        ("/pets/%2e%2e/%2e%2e/admin", None),
        ("/pets/..%2fadmin", "/admin"),  # decoded first, then normalised, as the reference
        ("/a..b", None),  # the reference refuses any remaining '..'
        ("/nul%00", None),
    ],
)
def test_normalize_path(raw: str, normalized: str | None) -> None:
    assert normalize_path(raw) == normalized


def _snapshot(
    grants: list[Grant], groups: dict[tuple[ClientId, str], list[ClientId]]
) -> ServerConfSnapshot:
    services = [
        ServiceEntry(
            SOAP, DescriptionKind.WSDL, "http://is/soap", 60, True, None, (BASE_ENDPOINT,)
        ),
        ServiceEntry(
            REST,
            DescriptionKind.OPENAPI3,
            "http://is/api",
            60,
            True,
            None,
            (BASE_ENDPOINT, PETS, PET, ADD_PET),
        ),
    ]
    clients = [ClientEntry(PROVIDER, ClientState.REGISTERED, ConnectionType.HTTP)]
    return build_snapshot(None, clients, services, grants, groups)


def _nobody(client: ClientId, group: GlobalGroupId) -> bool:
    del client, group
    return False


def test_snapshot_is_immutable_and_indexed() -> None:
    snapshot = _snapshot([Grant(SOAP, BASE_ENDPOINT, CLIENT)], {})
    assert isinstance(snapshot.services, MappingProxyType)
    assert snapshot.service(SOAP) is not None
    assert snapshot.service(ServiceId(PROVIDER, "getRandom")) is None  # the version counts
    assert snapshot.rights_of(SOAP, CLIENT) == (BASE_ENDPOINT,)
    assert snapshot.services_of(PROVIDER) == (SOAP, REST)  # ServiceId order: by code
    with pytest.raises(TypeError):
        snapshot.services[REST] = snapshot.services[SOAP]  # type: ignore[index]
    with pytest.raises(AttributeError):
        snapshot.identity = None  # type: ignore[misc]


def test_soap_right_to_the_client_itself() -> None:
    snapshot = _snapshot([Grant(SOAP, BASE_ENDPOINT, CLIENT)], {})
    assert is_access_allowed(snapshot, CLIENT, SOAP, _nobody)
    assert not is_access_allowed(snapshot, OTHER, SOAP, _nobody)
    assert not is_access_allowed(snapshot, CLIENT, REST, _nobody, method="GET", path="/pets")
    unknown = ServiceId(PROVIDER, "nothing", "v1")
    assert not is_access_allowed(snapshot, CLIENT, unknown, _nobody)


def test_member_right_does_not_cover_its_subsystems() -> None:
    snapshot = _snapshot([Grant(SOAP, BASE_ENDPOINT, MEMBER)], {})
    assert is_access_allowed(snapshot, MEMBER, SOAP, _nobody)
    assert not is_access_allowed(snapshot, CLIENT, SOAP, _nobody)


def test_global_group_right_asks_the_lookup() -> None:
    asked: list[tuple[ClientId, GlobalGroupId]] = []

    def lookup(client: ClientId, group: GlobalGroupId) -> bool:
        asked.append((client, group))
        return client == CLIENT and group == GROUP

    snapshot = _snapshot([Grant(SOAP, BASE_ENDPOINT, GROUP)], {})
    assert is_access_allowed(snapshot, CLIENT, SOAP, lookup)
    assert not is_access_allowed(snapshot, OTHER, SOAP, lookup)
    assert asked == [(CLIENT, GROUP), (OTHER, GROUP)]


def test_local_group_of_the_provider() -> None:
    grants = [Grant(SOAP, BASE_ENDPOINT, LOCAL)]
    snapshot = _snapshot(grants, {(PROVIDER, "friends"): [CLIENT]})
    assert is_access_allowed(snapshot, CLIENT, SOAP, _nobody)
    assert not is_access_allowed(snapshot, OTHER, SOAP, _nobody)
    # A group of the same code owned by another client does not count.
    elsewhere = _snapshot(grants, {(OTHER, "friends"): [CLIENT]})
    assert not is_access_allowed(elsewhere, CLIENT, SOAP, _nobody)


def test_rest_endpoint_rights() -> None:
    snapshot = _snapshot([Grant(REST, PET, CLIENT), Grant(REST, BASE_ENDPOINT, OTHER)], {})

    def allowed(client: ClientId, method: str, path: str) -> bool:
        return is_access_allowed(snapshot, client, REST, _nobody, method=method, path=path)

    assert allowed(CLIENT, "GET", "/pets/7")
    assert allowed(CLIENT, "get", "/pets/%37")
    assert not allowed(CLIENT, "DELETE", "/pets/7")
    assert not allowed(CLIENT, "GET", "/pets")
    assert not allowed(CLIENT, "GET", "/pets/7/../../admin/x")
    assert not allowed(CLIENT, "GET", "/pets/%ff")  # not UTF-8 once decoded
    assert allowed(OTHER, "DELETE", "/anything")  # the base endpoint covers every request
    assert not allowed(OTHER, "GET", "/../x")
    assert allowed_endpoints(snapshot, CLIENT, REST, _nobody) == (PET,)
    assert allowed_endpoints(snapshot, OTHER, REST, _nobody) == (PETS, PET, ADD_PET)
    assert allowed_endpoints(snapshot, MEMBER, REST, _nobody) == ()
