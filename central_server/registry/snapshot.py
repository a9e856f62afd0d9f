"""The registry as shared parameters (pr-gconf Annex B): what configuration generation signs.

:func:`assemble` is pure: registry values in, :class:`SharedParameters` out, everything in a
fixed order (member classes, members, subsystems, servers and groups by identifier; hashes and
clients sorted; CAs by name; TSAs by priority then name), so an unchanged registry gives a
byte-identical parameter file. ``sources`` stays empty: the configuration generator adds the
configuration sources with their verification certificates.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.registry import _lookup, validation
from central_server.registry._groups import read_groups
from central_server.registry._members import read_member_classes, read_members
from central_server.registry._servers import read_servers
from central_server.registry._trust import read_cas, read_parameters, read_tsas
from central_server.registry.errors import conflict
from central_server.registry.model import (
    CaSpec,
    GlobalGroupInfo,
    MemberClassInfo,
    MemberInfo,
    OcspResponderSpec,
    SecurityServerInfo,
    TsaInfo,
)
from vdx.globalconf import model as gc


def _ocsp(specs: tuple[OcspResponderSpec, ...]) -> tuple[gc.OcspInfo, ...]:
    return tuple(gc.OcspInfo(url=o.url, cert=o.cert_der) for o in specs)


def _ca(ca: CaSpec) -> gc.ApprovedCa:
    return gc.ApprovedCa(
        name=ca.name,
        top_ca=gc.CaInfo(cert=ca.top_ca_der, ocsp=_ocsp(ca.ocsp)),
        certificate_profile_info=ca.certificate_profile_info,
        authentication_only=ca.authentication_only,
        intermediate_cas=tuple(gc.CaInfo(i.cert_der, _ocsp(i.ocsp)) for i in ca.intermediates),
        default_csr_format=ca.csr_format,
    )


def assemble(
    instance: str,
    *,
    parameters: dict[str, int],
    member_classes: list[MemberClassInfo],
    members: list[MemberInfo],
    servers: list[SecurityServerInfo],
    groups: list[GlobalGroupInfo],
    cas: list[CaSpec],
    tsas: list[TsaInfo],
) -> gc.SharedParameters:
    """Shared parameters of the registry's content (pure)."""
    classes = {c.code: gc.MemberClass(c.code, c.description) for c in member_classes}
    return gc.SharedParameters(
        instance=instance,
        global_settings=gc.GlobalSettings(
            ocsp_freshness_seconds=parameters["ocspFreshnessSeconds"],
            member_classes=tuple(classes[code] for code in sorted(classes)),
        ),
        sources=(),
        approved_cas=tuple(_ca(ca) for ca in sorted(cas, key=lambda c: c.name)),
        approved_tsas=tuple(
            gc.ApprovedTsa(name=t.name, url=t.url, cert=t.cert_der)
            for t in sorted(tsas, key=lambda t: (t.priority, t.name))
        ),
        members=tuple(
            gc.Member(
                member_class=classes[m.client_id.member_class],
                code=m.client_id.member_code,
                name=m.name,
                subsystems=tuple(
                    gc.Subsystem(s.code, s.name) for s in sorted(m.subsystems, key=lambda s: s.code)
                ),
            )
            for m in sorted(members, key=lambda m: validation.client_sort_key(m.client_id))
        ),
        security_servers=tuple(
            gc.SecurityServer(
                owner=s.server_id.owner,
                server_code=s.server_id.server_code,
                address=s.address,
                auth_cert_hashes=tuple(sorted(s.auth_cert_hashes)),
                clients=tuple(sorted(s.clients, key=validation.client_sort_key)),
                in_maintenance_mode=s.in_maintenance,
                maintenance_message=s.maintenance_message,
            )
            for s in sorted(
                servers,
                key=lambda s: (
                    *validation.client_sort_key(s.server_id.owner),
                    s.server_id.server_code,
                ),
            )
        ),
        global_groups=tuple(
            gc.GlobalGroup(
                g.code, g.description, tuple(sorted(g.members, key=validation.client_sort_key))
            )
            for g in sorted(groups, key=lambda g: g.code)
        ),
    )


async def read_snapshot(conn: AsyncConnection) -> gc.SharedParameters:
    """Read the whole registry on one connection and assemble it."""
    instance = await _lookup.instance(conn)
    if instance is None:
        raise conflict("The instance identifier is not set")
    members = await read_members(conn, instance)
    return assemble(
        instance,
        parameters=await read_parameters(conn),
        member_classes=await read_member_classes(conn),
        members=members,
        servers=await read_servers(conn, instance),
        groups=await read_groups(conn, instance),
        cas=await read_cas(conn),
        tsas=await read_tsas(conn),
    )
