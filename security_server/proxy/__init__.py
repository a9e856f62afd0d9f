"""The exchange's I/O shells: the client proxy and the server proxy (aiohttp).

Both call the pure core in :mod:`security_server.exchange` and render every refusal with
:mod:`vdx.message.faults`. They own no storage and read configuration only through the
providers of a :class:`ProxyContext`, so the composition root can swap it atomically.
"""

from security_server.proxy.client_proxy import create_client_proxy
from security_server.proxy.context import AuthMaterial, ProxyContext
from security_server.proxy.internal_tls import create_client_proxy_tls
from security_server.proxy.server_proxy import create_server_proxy
from security_server.proxy.tls import server_ssl_context

__all__ = [
    "AuthMaterial",
    "ProxyContext",
    "create_client_proxy",
    "create_client_proxy_tls",
    "create_server_proxy",
    "server_ssl_context",
]
