"""Approved CAs (with intermediates and OCSP responders), approved TSAs, system parameters,
and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.registry import _lookup, validation
from central_server.registry._base import ServiceBase
from central_server.registry.errors import conflict, invalid, not_found
from central_server.registry.model import (
    AuditEntry,
    CaSpec,
    IntermediateCaSpec,
    OcspResponderSpec,
    TsaInfo,
)
from central_server.storage import tables as t

_T = TypeVar("_T")


def _clean_ocsp(specs: tuple[OcspResponderSpec, ...], what: str) -> tuple[OcspResponderSpec, ...]:
    return tuple(
        OcspResponderSpec(
            validation.url(o.url, f"{what} OCSP URL"),
            None if o.cert_der is None else validation.certificate(o.cert_der, f"{what} OCSP cert"),
        )
        for o in specs
    )


def clean_ca(spec: CaSpec) -> CaSpec:
    """The CA with every part validated and every certificate as DER (pure)."""
    validation.text(spec.name, "CA name", limit=validation.MAX_CODE)
    validation.text(spec.certificate_profile_info, "certificate profile", limit=validation.MAX_CODE)
    validation.csr_format(spec.csr_format)
    top = validation.certificate(spec.top_ca_der, "The top CA certificate")
    intermediates = tuple(
        IntermediateCaSpec(
            validation.certificate(i.cert_der, f"Intermediate CA {n}"),
            _clean_ocsp(i.ocsp, f"Intermediate CA {n}"),
        )
        for n, i in enumerate(spec.intermediates, 1)
    )
    if len({top, *(i.cert_der for i in intermediates)}) != 1 + len(intermediates):
        raise invalid("The same certificate is given twice in one CA")
    return replace(
        spec, top_ca_der=top, ocsp=_clean_ocsp(spec.ocsp, "Top CA"), intermediates=intermediates
    )


async def _insert_ocsp(
    conn: AsyncConnection, specs: tuple[OcspResponderSpec, ...], **issuer: int
) -> None:
    for position, spec in enumerate(specs):
        await conn.execute(
            t.ocsp_responders.insert().values(
                position=position, url=spec.url, cert_der=spec.cert_der, **issuer
            )
        )


class TrustOps(ServiceBase):
    async def add_ca(self, spec: CaSpec, *, actor: str) -> None:
        """Approve a CA: top certificate, intermediates, OCSP responders, all in one step."""
        ca = clean_ca(spec)
        details = {
            "authentication_only": ca.authentication_only,
            "certificate_profile_info": ca.certificate_profile_info,
            "intermediates": len(ca.intermediates),
            "ocsp_urls": [o.url for o in ca.ocsp],
        }
        async with self._write(actor, "add_ca", ca.name, details) as conn:
            if await _lookup.count(conn, t.approved_cas, t.approved_cas.c.name == ca.name):
                raise conflict(f"CA {ca.name!r} already exists")
            ca_id = (
                await conn.execute(
                    t.approved_cas.insert()
                    .values(
                        name=ca.name,
                        cert_der=ca.top_ca_der,
                        authentication_only=ca.authentication_only,
                        certificate_profile_info=ca.certificate_profile_info,
                        csr_format=ca.csr_format,
                    )
                    .returning(t.approved_cas.c.id)
                )
            ).scalar_one()
            await _insert_ocsp(conn, ca.ocsp, ca_id=ca_id)
            for position, inter in enumerate(ca.intermediates):
                inter_id = (
                    await conn.execute(
                        t.ca_intermediates.insert()
                        .values(ca_id=ca_id, position=position, cert_der=inter.cert_der)
                        .returning(t.ca_intermediates.c.id)
                    )
                ).scalar_one()
                await _insert_ocsp(conn, inter.ocsp, intermediate_id=inter_id)

    async def delete_ca(self, name: str, *, actor: str) -> None:
        async with self._write(actor, "delete_ca", name) as conn:
            ca_id = await conn.scalar(
                sa.select(t.approved_cas.c.id).where(t.approved_cas.c.name == name)
            )
            if ca_id is None:
                raise not_found(f"CA {name!r} does not exist")
            inters = sa.select(t.ca_intermediates.c.id).where(t.ca_intermediates.c.ca_id == ca_id)
            await conn.execute(
                t.ocsp_responders.delete().where(
                    sa.or_(
                        t.ocsp_responders.c.ca_id == ca_id,
                        t.ocsp_responders.c.intermediate_id.in_(inters),
                    )
                )
            )
            await conn.execute(
                t.ca_intermediates.delete().where(t.ca_intermediates.c.ca_id == ca_id)
            )
            await conn.execute(t.approved_cas.delete().where(t.approved_cas.c.id == ca_id))

    async def list_cas(self) -> list[CaSpec]:
        async with self._read() as conn:
            return await read_cas(conn)

    async def add_tsa(
        self, name: str, url: str, cert: bytes, *, priority: int = 0, actor: str
    ) -> None:
        validation.text(name, "TSA name", limit=validation.MAX_CODE)
        validation.url(url, "TSA URL")
        der = validation.certificate(cert, "The TSA certificate")
        async with self._write(actor, "add_tsa", name, {"url": url, "priority": priority}) as c:
            if await _lookup.count(c, t.approved_tsas, t.approved_tsas.c.name == name):
                raise conflict(f"TSA {name!r} already exists")
            await c.execute(
                t.approved_tsas.insert().values(name=name, url=url, cert_der=der, priority=priority)
            )

    async def delete_tsa(self, name: str, *, actor: str) -> None:
        async with self._write(actor, "delete_tsa", name) as conn:
            deleted = await conn.execute(
                t.approved_tsas.delete().where(t.approved_tsas.c.name == name)
            )
            if deleted.rowcount == 0:
                raise not_found(f"TSA {name!r} does not exist")

    async def list_tsas(self) -> list[TsaInfo]:
        async with self._read() as conn:
            return await read_tsas(conn)

    async def set_system_parameter(self, name: str, value: int, *, actor: str) -> None:
        validation.system_parameter(name, value)
        async with self._write(actor, "set_system_parameter", name, {"value": value}) as conn:
            params = t.system_parameters
            await conn.execute(params.delete().where(params.c.name == name))
            await conn.execute(params.insert().values(name=name, value=str(value)))

    async def get_system_parameters(self) -> dict[str, int]:
        """Every known parameter, with its default where none was set."""
        async with self._read() as conn:
            return await read_parameters(conn)

    async def audit_log(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Audit rows, newest first."""
        if not (0 < limit <= 10_000 and offset >= 0):
            raise invalid("limit must be 1..10000 and offset not negative")
        log = t.audit_log
        async with self._read() as conn:
            rows = await conn.execute(
                sa.select(
                    log.c.id, log.c.at, log.c.actor, log.c.action, log.c.target, log.c.details
                )
                .order_by(log.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [
                AuditEntry(row_id, _utc(at), who, action, target, dict(details))
                for row_id, at, who, action, target, details in rows
            ]


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; everything stored is UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def read_parameters(conn: AsyncConnection) -> dict[str, int]:
    values = {name: default for name, (default, _, _) in validation.SYSTEM_PARAMETERS.items()}
    for name, value in await conn.execute(sa.select(t.system_parameters)):
        if name in values:
            values[name] = int(value)
    return values


async def read_tsas(conn: AsyncConnection) -> list[TsaInfo]:
    tsas = t.approved_tsas
    rows = await conn.execute(sa.select(tsas.c.name, tsas.c.url, tsas.c.cert_der, tsas.c.priority))
    found = [TsaInfo(name, url, bytes(der), priority) for name, url, der, priority in rows]
    return sorted(found, key=lambda tsa: (tsa.priority, tsa.name))


async def read_cas(conn: AsyncConnection) -> list[CaSpec]:
    """Every approved CA, ordered by name; intermediates and responders in given order."""
    ocsp = t.ocsp_responders
    by_ca: dict[int, list[tuple[int, OcspResponderSpec]]] = {}
    by_inter: dict[int, list[tuple[int, OcspResponderSpec]]] = {}
    for ca_id, inter_id, position, url, der in await conn.execute(
        sa.select(
            ocsp.c.ca_id, ocsp.c.intermediate_id, ocsp.c.position, ocsp.c.url, ocsp.c.cert_der
        )
    ):
        spec = OcspResponderSpec(url, None if der is None else bytes(der))
        target = (
            by_ca.setdefault(ca_id, []) if ca_id is not None else by_inter.setdefault(inter_id, [])
        )
        target.append((position, spec))
    inters: dict[int, list[tuple[int, IntermediateCaSpec]]] = {}
    inter_table = t.ca_intermediates
    for inter_id, ca_id, position, der in await conn.execute(
        sa.select(
            inter_table.c.id, inter_table.c.ca_id, inter_table.c.position, inter_table.c.cert_der
        )
    ):
        spec_i = IntermediateCaSpec(bytes(der), _ordered(by_inter.get(inter_id, [])))
        inters.setdefault(ca_id, []).append((position, spec_i))
    cas = t.approved_cas
    found = [
        CaSpec(
            name=name,
            top_ca_der=bytes(der),
            certificate_profile_info=profile,
            authentication_only=bool(auth_only),
            ocsp=_ordered(by_ca.get(ca_id, [])),
            intermediates=_ordered(inters.get(ca_id, [])),
            csr_format=csr,
        )
        for ca_id, name, der, auth_only, profile, csr in await conn.execute(
            sa.select(
                cas.c.id,
                cas.c.name,
                cas.c.cert_der,
                cas.c.authentication_only,
                cas.c.certificate_profile_info,
                cas.c.csr_format,
            )
        )
    ]
    return sorted(found, key=lambda ca: ca.name)


def _ordered(items: list[tuple[int, _T]]) -> tuple[_T, ...]:
    return tuple(item for _, item in sorted(items, key=lambda pair: pair[0]))
