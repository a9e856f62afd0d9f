"""The client proxy's decision on how an information system may call (ug-ss IS connection types)."""

from __future__ import annotations

import pytest

from security_server.proxy.is_auth import PLAIN, IsConnection, check_is_authentication
from security_server.serverconf.model import ClientState, ConnectionType
from security_server.serverconf.snapshot import ClientEntry
from tests.unit.security_server import exchange_support as es
from vdx.errors import Code, XRoadError

STORED = b"stored IS certificate (DER)"
OTHER = b"another certificate (DER)"
TLS_NO_CERT = IsConnection(tls=True)
TLS_STORED = IsConnection(tls=True, certificate=STORED)
TLS_OTHER = IsConnection(tls=True, certificate=OTHER)
CLIENT = "MEMBER:" + es.CONSUMER.to_path()  # the reference writes a ClientId so


def entry(kind: ConnectionType, certs: tuple[bytes, ...] = (STORED,)) -> ClientEntry:
    return ClientEntry(es.CONSUMER, ClientState.REGISTERED, kind, certs)


@pytest.mark.parametrize("connection", [PLAIN, TLS_NO_CERT, TLS_STORED, TLS_OTHER])
def test_http_clients_are_accepted_on_either_side(connection: IsConnection) -> None:
    check_is_authentication(entry(ConnectionType.HTTP), connection)


def test_unknown_client_is_left_to_the_routing_check() -> None:
    check_is_authentication(None, PLAIN)


@pytest.mark.parametrize("connection", [TLS_NO_CERT, TLS_STORED, TLS_OTHER])
def test_https_no_auth_accepts_any_tls_connection(connection: IsConnection) -> None:
    check_is_authentication(entry(ConnectionType.HTTPS_NO_AUTH, ()), connection)


def refusal(client: ClientEntry, connection: IsConnection) -> str:
    with pytest.raises(XRoadError) as caught:
        check_is_authentication(client, connection)
    assert caught.value.code == Code.SSL_AUTH_FAILED
    assert caught.value.origin is None  # the client proxy attributes it
    return caught.value.message


def test_https_no_auth_refuses_plain_http() -> None:
    assert refusal(entry(ConnectionType.HTTPS_NO_AUTH), PLAIN) == (
        f"Client ({CLIENT}) specifies HTTPS NO AUTH but client made plaintext connection"
    )


@pytest.mark.parametrize("connection", [PLAIN, TLS_NO_CERT])
def test_https_requires_a_client_certificate(connection: IsConnection) -> None:
    assert refusal(entry(ConnectionType.HTTPS), connection) == (
        f"Client ({CLIENT}) specifies HTTPS but did not supply TLS certificate"
    )


def test_https_refuses_a_certificate_not_stored_for_the_client() -> None:
    assert refusal(entry(ConnectionType.HTTPS), TLS_OTHER) == (
        f"Client ({CLIENT}) TLS certificate does not match any IS certificates"
    )


def test_https_without_stored_certificates_refuses_everyone() -> None:
    message = refusal(entry(ConnectionType.HTTPS, ()), TLS_STORED)
    assert message == f"Client ({CLIENT}) has no IS certificates"


def test_https_accepts_a_stored_certificate() -> None:
    check_is_authentication(entry(ConnectionType.HTTPS, (OTHER, STORED)), TLS_STORED)
