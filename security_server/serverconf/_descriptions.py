"""Service descriptions: WSDL, OpenAPI 3 and plain REST; refresh, enable/disable, delete.

Documents arrive as bytes: the caller fetched them (no network in the service layer). Every
description starts disabled, as in the reference security server, until the operator enables it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from security_server.serverconf import _lookup, validation
from security_server.serverconf._base import ServiceBase
from security_server.serverconf._rows import (
    full_code,
    insert_endpoints,
    insert_service,
    taken,
    wsdl_url,
)
from security_server.serverconf.errors import conflict, invalid
from security_server.serverconf.model import (
    ANY_METHOD,
    ANY_PATH,
    DescriptionKind,
    RefreshDiff,
)
from security_server.serverconf.openapi import parse_openapi
from security_server.serverconf.wsdl import WsdlOperation, parse_wsdl
from security_server.storage import tables as t
from vdx.identifiers import ClientId

_SD = t.service_descriptions
_S = t.services
_E = t.endpoints


class DescriptionsOps(ServiceBase):
    async def _new_description(
        self,
        conn: AsyncConnection,
        client: ClientId,
        kind: DescriptionKind,
        url: str,
        content: bytes | None,
    ) -> tuple[int, int]:
        row = await _lookup.client_id(conn, client)
        if await _lookup.count(conn, _SD, _SD.c.client_id == row, _SD.c.url == url):
            raise conflict(f"{client} already has a service description at {url}")
        description = (
            await conn.execute(
                _SD.insert()
                .values(
                    client_id=row,
                    kind=str(kind),
                    url=url,
                    content=content,
                    disabled=True,
                    disabled_notice=None,
                    refreshed_at=self._clock(),
                )
                .returning(_SD.c.id)
            )
        ).scalar_one()
        return row, int(description)

    async def add_wsdl(self, client: ClientId, url: str, content: bytes, *, actor: str) -> int:
        """Add a WSDL (fetched from ``url`` by the caller); returns the description id."""
        validation.url(url, "The WSDL URL")
        operations = parse_wsdl(content)
        services = [
            op.code if op.version is None else f"{op.code}.{op.version}" for op in operations
        ]
        details = {"url": url, "services": services}
        async with self._write(actor, "add_wsdl", client.to_colon(), details) as conn:
            row, description = await self._new_description(
                conn, client, DescriptionKind.WSDL, url, content
            )
            await self._add_operations(conn, row, description, operations, url)
        return description

    async def _add_operations(
        self,
        conn: AsyncConnection,
        client: int,
        description: int,
        operations: tuple[WsdlOperation, ...] | list[WsdlOperation],
        url: str,
    ) -> None:
        for op in operations:
            version = op.version or ""
            if await taken(conn, client, op.code, version):
                raise conflict(
                    f"Service {full_code(op.code, version)} already exists for the client"
                )
            await insert_service(
                conn,
                client,
                description,
                code=op.code,
                version=version,
                url=wsdl_url(op, url),
                title=op.title,
            )

    async def add_openapi(
        self,
        client: ClientId,
        url: str,
        content: bytes,
        service_code: str,
        *,
        actor: str,
        service_url: str | None = None,
    ) -> int:
        """Add an OpenAPI 3 description; the endpoints come from the document."""
        validation.url(url, "The OpenAPI URL")
        validation.code(service_code, "serviceCode")
        document = parse_openapi(content)
        base = service_url or document.base_url
        if base is None:
            raise invalid("The OpenAPI document names no absolute server URL; give service_url")
        validation.url(base, "The service URL")
        details = {"url": url, "service_code": service_code, "endpoints": len(document.endpoints)}
        async with self._write(actor, "add_openapi", client.to_colon(), details) as conn:
            row, description = await self._new_description(
                conn, client, DescriptionKind.OPENAPI3, url, content
            )
            if await taken(conn, row, service_code, None):
                raise conflict(f"Service {service_code} already exists for the client")
            service = await insert_service(conn, row, description, code=service_code, url=base)
            await insert_endpoints(conn, service, list(document.endpoints))
        return description

    async def add_rest(self, client: ClientId, url: str, service_code: str, *, actor: str) -> int:
        """Add a plain REST service at base URL ``url`` (one base endpoint, no document)."""
        validation.url(url, "The REST base URL")
        validation.code(service_code, "serviceCode")
        details = {"url": url, "service_code": service_code}
        async with self._write(actor, "add_rest", client.to_colon(), details) as conn:
            row, description = await self._new_description(
                conn, client, DescriptionKind.REST, url, None
            )
            if await taken(conn, row, service_code, None):
                raise conflict(f"Service {service_code} already exists for the client")
            await insert_service(conn, row, description, code=service_code, url=url)
        return description

    async def refresh_description(
        self, description_id: int, content: bytes, *, actor: str
    ) -> RefreshDiff:
        """Replace the document (re-fetched by the caller); services or endpoints that are gone
        are removed with their access rights, new ones are added, kept ones keep their settings.
        """
        async with self._write(actor, "refresh_description", str(description_id)) as conn:
            found = await _lookup.description(conn, description_id)
            kind = DescriptionKind(found.kind)
            if kind is DescriptionKind.WSDL:
                diff = await self._refresh_wsdl(conn, found.client_id, description_id, content)
            elif kind is DescriptionKind.OPENAPI3:
                diff = await self._refresh_openapi(conn, description_id, content)
            else:
                raise invalid("A plain REST description has no document to refresh")
            await conn.execute(
                _SD.update()
                .where(_SD.c.id == description_id)
                .values(content=content, refreshed_at=self._clock())
            )
        return diff

    async def _refresh_wsdl(
        self, conn: AsyncConnection, client: int, description: int, content: bytes
    ) -> RefreshDiff:
        operations = {(op.code, op.version or ""): op for op in parse_wsdl(content)}
        rows = await conn.execute(
            sa.select(_S.c.id, _S.c.service_code, _S.c.service_version).where(
                _S.c.description_id == description
            )
        )
        current = {(code, version): sid for sid, code, version in rows}
        removed = sorted(set(current) - set(operations))
        added = [op for key, op in operations.items() if key not in current]
        if removed:
            ids = [current[key] for key in removed]
            await conn.execute(_S.delete().where(_S.c.id.in_(ids)))
        url = str(await conn.scalar(sa.select(_SD.c.url).where(_SD.c.id == description)))
        await self._add_operations(conn, client, description, added, url)
        return RefreshDiff(
            added=tuple(full_code(op.code, op.version or "") for op in added),
            removed=tuple(full_code(code, version) for code, version in removed),
        )

    async def _refresh_openapi(
        self, conn: AsyncConnection, description: int, content: bytes
    ) -> RefreshDiff:
        document = parse_openapi(content)
        service = int(
            await conn.scalar(sa.select(_S.c.id).where(_S.c.description_id == description)) or 0
        )
        rows = await conn.execute(
            sa.select(_E.c.id, _E.c.method, _E.c.path).where(
                _E.c.service_id == service, _E.c.generated.is_(True)
            )
        )
        current = {(m, p): eid for eid, m, p in rows if (m, p) != (ANY_METHOD, ANY_PATH)}
        wanted = set(document.endpoints)
        removed = sorted(set(current) - wanted)
        added = [pair for pair in document.endpoints if pair not in current]
        if removed:
            await conn.execute(_E.delete().where(_E.c.id.in_([current[k] for k in removed])))
        # A hand-made endpoint the document now defines becomes a generated one.
        for method, path in added:
            await conn.execute(
                _E.delete().where(
                    _E.c.service_id == service, _E.c.method == method, _E.c.path == path
                )
            )
        await insert_endpoints(conn, service, added)
        return RefreshDiff(
            added=tuple(f"{m} {p}" for m, p in added),
            removed=tuple(f"{m} {p}" for m, p in removed),
        )

    async def delete_description(self, description_id: int, *, actor: str) -> None:
        async with self._write(actor, "delete_description", str(description_id)) as conn:
            await _lookup.description(conn, description_id)
            await conn.execute(_SD.delete().where(_SD.c.id == description_id))

    async def enable_description(self, description_id: int, *, actor: str) -> None:
        async with self._write(actor, "enable_description", str(description_id)) as conn:
            await _lookup.description(conn, description_id)
            await conn.execute(
                _SD.update()
                .where(_SD.c.id == description_id)
                .values(disabled=False, disabled_notice=None)
            )

    async def disable_description(
        self, description_id: int, notice: str | None = None, *, actor: str
    ) -> None:
        """Disable every service of the description; callers then get ``notice``."""
        if notice is not None:
            validation.text(notice, "The disabled notice")
        details = {"notice": notice}
        async with self._write(actor, "disable_description", str(description_id), details) as c:
            await _lookup.description(c, description_id)
            await c.execute(
                _SD.update()
                .where(_SD.c.id == description_id)
                .values(disabled=True, disabled_notice=notice)
            )
