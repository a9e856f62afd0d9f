"""Authentication of the information systems that call the client proxy (pure decision).

Each client registered here has a connection type (ug-ss "Communication with the client
information systems"; the reference's IsAuthentication NOSSL / SSLNOAUTH / SSLAUTH):

- ``HTTP``: plain HTTP or HTTPS, any caller;
- ``HTTPS_NO_AUTH``: HTTPS required, the caller's certificate is not checked;
- ``HTTPS``: HTTPS with a TLS client certificate that is one of the client's stored
  information-system certificates.

A refusal is ``SslAuthenticationFailed`` with the reference's wording, attributed by the
caller to ``Server.ClientProxy``. A client not registered here is left to the routing check
(``UnknownMember``), which follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from security_server.serverconf.model import ConnectionType
from security_server.serverconf.snapshot import ClientEntry
from vdx.errors import Code, XRoadError


@dataclass(frozen=True, slots=True)
class IsConnection:
    """How the information system reached the client proxy."""

    tls: bool
    certificate: bytes | None = None  # DER of the TLS client certificate it presented


PLAIN = IsConnection(tls=False)


def check_is_authentication(entry: ClientEntry | None, connection: IsConnection) -> None:
    """Raise unless ``connection`` satisfies the connection type of the calling client."""
    if entry is None or entry.connection_type is ConnectionType.HTTP:
        return
    client = str(entry.client_id)
    if entry.connection_type is ConnectionType.HTTPS_NO_AUTH:
        if not connection.tls:
            raise XRoadError(
                Code.SSL_AUTH_FAILED,
                f"Client ({client}) specifies HTTPS NO AUTH but client made plaintext connection",
            )
        return
    if connection.certificate is None:
        raise XRoadError(
            Code.SSL_AUTH_FAILED,
            f"Client ({client}) specifies HTTPS but did not supply TLS certificate",
        )
    if not entry.is_certs:
        raise XRoadError(Code.SSL_AUTH_FAILED, f"Client ({client}) has no IS certificates")
    if connection.certificate not in entry.is_certs:
        raise XRoadError(
            Code.SSL_AUTH_FAILED,
            f"Client ({client}) TLS certificate does not match any IS certificates",
        )
