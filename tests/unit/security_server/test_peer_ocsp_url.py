"""Where the client proxy asks a provider for its auth certificate's OCSP response."""

from __future__ import annotations

from security_server.proxy.peer_ocsp import cert_hash, ocsp_url

DER = b"0\x03\x02\x01\x01"


def test_default_ports_and_own_ports() -> None:
    query = f"/?cert={cert_hash(DER)}"
    assert ocsp_url("ss1.example.vn", 5577, DER) == f"http://ss1.example.vn:5577{query}"
    # A registered address with its own server-proxy port keeps the defaults' distance (+77).
    assert ocsp_url("127.0.0.1:5600", 5577, DER) == f"http://127.0.0.1:5677{query}"
    # IPv6 literals: the last colon group is not a port.
    assert ocsp_url("[::1]", 5577, DER) == f"http://[::1]:5577{query}"
    assert ocsp_url("x:5600", 5577, DER, lambda a: f"ocsp-of-{a.split(':')[0]}:1") == (
        f"http://ocsp-of-x:1{query}"
    )
