"""Rows that adding and refreshing descriptions share: services with their base endpoint."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from security_server.serverconf import _lookup, validation
from security_server.serverconf.errors import ServerConfError
from security_server.serverconf.model import ANY_METHOD, ANY_PATH, DEFAULT_TIMEOUT
from security_server.serverconf.wsdl import WsdlOperation
from security_server.storage import tables as t

_S = t.services
_E = t.endpoints


def full_code(code: str, version: str) -> str:
    return f"{code}.{version}" if version else code


async def taken(conn: AsyncConnection, client: int, code: str, version: str | None) -> bool:
    """A service code (and version; None: any version) the client already has."""
    where = [_S.c.client_id == client, _S.c.service_code == code]
    if version is not None:
        where.append(_S.c.service_version == version)
    return bool(await _lookup.count(conn, _S, *where))


async def insert_service(
    conn: AsyncConnection,
    client: int,
    description: int,
    *,
    code: str,
    url: str,
    version: str = "",
    title: str | None = None,
) -> int:
    service = (
        await conn.execute(
            _S.insert()
            .values(
                description_id=description,
                client_id=client,
                service_code=code,
                service_version=version,
                title=title,
                url=url,
                timeout=DEFAULT_TIMEOUT,
                tls_verify=True,
            )
            .returning(_S.c.id)
        )
    ).scalar_one()
    await insert_endpoints(conn, service, [(ANY_METHOD, ANY_PATH)])
    return int(service)


async def insert_endpoints(
    conn: AsyncConnection, service: int, pairs: list[tuple[str, str]]
) -> None:
    if pairs:
        await conn.execute(
            _E.insert(),
            [{"service_id": service, "method": m, "path": p, "generated": True} for m, p in pairs],
        )


def wsdl_url(operation: WsdlOperation, fallback: str) -> str:
    # An address the WSDL gives but we cannot use (a placeholder) leaves the WSDL's own URL,
    # which the operator then replaces with set_service_url.
    try:
        return validation.url(operation.url or "", "service URL")
    except ServerConfError:
        return fallback
