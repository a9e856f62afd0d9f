"""Services and REST endpoints: URL, timeout, TLS verification; endpoints by hand; listings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from security_server.serverconf import _lookup, validation
from security_server.serverconf._base import ServiceBase
from security_server.serverconf.errors import conflict, invalid, not_found
from security_server.serverconf.model import (
    DescriptionInfo,
    DescriptionKind,
    Endpoint,
    ServiceInfo,
)
from security_server.storage import tables as t
from vdx.identifiers import ClientId, ServiceId

_SD = t.service_descriptions
_S = t.services
_E = t.endpoints


class ServicesOps(ServiceBase):
    async def _set(self, service: ServiceId, action: str, actor: str, **values: Any) -> None:
        details = dict(values)
        async with self._write(actor, action, service.to_colon(), details) as conn:
            row = await _lookup.service_row(conn, service)
            await conn.execute(_S.update().where(_S.c.id == row.id).values(**values))

    async def set_service_url(self, service: ServiceId, url: str, *, actor: str) -> None:
        await self._set(service, "set_service_url", actor, url=validation.url(url, "service URL"))

    async def set_service_timeout(self, service: ServiceId, seconds: int, *, actor: str) -> None:
        await self._set(service, "set_service_timeout", actor, timeout=validation.timeout(seconds))

    async def set_service_tls_verify(self, service: ServiceId, verify: bool, *, actor: str) -> None:
        if not isinstance(verify, bool):
            raise invalid("TLS verification is on (true) or off (false)")
        await self._set(service, "set_service_tls_verify", actor, tls_verify=verify)

    async def add_endpoint(
        self, service: ServiceId, method: str, path: str, *, actor: str
    ) -> Endpoint:
        """A hand-made REST endpoint (method or '*', path pattern with '*' / '**')."""
        endpoint = Endpoint(validation.method(method), validation.endpoint_path(path))
        details = {"method": endpoint.method, "path": endpoint.path}
        async with self._write(actor, "add_endpoint", service.to_colon(), details) as conn:
            row = await _lookup.service_row(conn, service)
            kind = await conn.scalar(sa.select(_SD.c.kind).where(_SD.c.id == row.description_id))
            if kind == DescriptionKind.WSDL:
                raise invalid("SOAP services have no endpoints; grant rights on the service")
            if await _lookup.count(
                conn,
                _E,
                _E.c.service_id == row.id,
                _E.c.method == endpoint.method,
                _E.c.path == endpoint.path,
            ):
                raise conflict(f"{service} already has endpoint {endpoint.method} {endpoint.path}")
            await conn.execute(
                _E.insert().values(
                    service_id=row.id, method=endpoint.method, path=endpoint.path, generated=False
                )
            )
        return endpoint

    async def delete_endpoint(
        self, service: ServiceId, method: str, path: str, *, actor: str
    ) -> None:
        """Delete a hand-made endpoint with its access rights."""
        details = {"method": method, "path": path}
        async with self._write(actor, "delete_endpoint", service.to_colon(), details) as conn:
            row = await _lookup.service_row(conn, service)
            generated = await conn.scalar(
                sa.select(_E.c.generated).where(
                    _E.c.service_id == row.id, _E.c.method == method.upper(), _E.c.path == path
                )
            )
            if generated is None:
                raise not_found(f"{service} has no endpoint {method} {path}")
            if generated:
                raise conflict("Endpoints from the description go only with a refresh")
            await conn.execute(
                _E.delete().where(
                    _E.c.service_id == row.id, _E.c.method == method.upper(), _E.c.path == path
                )
            )

    async def list_descriptions(self, client: ClientId) -> list[DescriptionInfo]:
        async with self._read() as conn:
            row = await _lookup.client_id(conn, client)
            endpoints: dict[int, list[Endpoint]] = {}
            query = (
                sa.select(_E.c.service_id, _E.c.method, _E.c.path, _E.c.generated)
                .join(_S, _E.c.service_id == _S.c.id)
                .where(_S.c.client_id == row)
                .order_by(_E.c.id)
            )
            for service_id, method, path, generated in await conn.execute(query):
                endpoints.setdefault(service_id, []).append(Endpoint(method, path, generated))
            services: dict[int, list[ServiceInfo]] = {}
            query2 = sa.select(_S).where(_S.c.client_id == row).order_by(_S.c.id)
            for s in await conn.execute(query2):
                sid = ServiceId(client, s.service_code, s.service_version or None)
                services.setdefault(s.description_id, []).append(
                    ServiceInfo(
                        sid,
                        s.description_id,
                        s.url,
                        s.timeout,
                        s.tls_verify,
                        s.title,
                        tuple(endpoints.get(s.id, ())),
                    )
                )
            rows = await conn.execute(
                sa.select(_SD).where(_SD.c.client_id == row).order_by(_SD.c.id)
            )
            return [
                DescriptionInfo(
                    d.id,
                    client,
                    DescriptionKind(d.kind),
                    d.url,
                    d.disabled,
                    d.disabled_notice,
                    d.refreshed_at,
                    tuple(services.get(d.id, ())),
                )
                for d in rows
            ]

    async def get_service(self, service: ServiceId) -> ServiceInfo:
        for description in await self.list_descriptions(service.provider):
            for found in description.services:
                if found.service_id == service:
                    return found
        raise not_found(f"Service {service} does not exist")

    async def description_content(self, description_id: int) -> bytes | None:
        """The stored WSDL or OpenAPI document (getWsdl / getOpenAPI)."""
        async with self._read() as conn:
            await _lookup.description(conn, description_id)
            found = await conn.scalar(sa.select(_SD.c.content).where(_SD.c.id == description_id))
            return None if found is None else bytes(found)
