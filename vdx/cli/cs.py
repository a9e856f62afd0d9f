"""``vdx cs ...``: administer the central server's registry from the command line.

The commands use the registry service directly on the configured database (``--config`` file
or ``VDX_CS_*`` variables), with ``cli:<os user>`` as the audit-log actor. Every command
prints text for people or, with ``--json``, the same JSON the admin REST API returns. See
``docs/operations/central-server-cli.md``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from central_server.admin_api import Role, convert
from vdx.cli import _cs_conf, _cs_keys, _cs_requests, _cs_trust
from vdx.cli._cs_session import (
    ConfigOption,
    JsonOption,
    Result,
    Session,
    client_id,
    member_id,
    refused,
    safe_url,
    server_id,
    settings_or_exit,
    table,
    with_db,
)

app = typer.Typer(
    help="Central server administration: registry, trust services, API keys, configuration.",
    no_args_is_help=True,
    add_completion=False,
)
member_class_app = typer.Typer(help="Member classes.", no_args_is_help=True)
member_app = typer.Typer(help="Members.", no_args_is_help=True)
subsystem_app = typer.Typer(help="Subsystems of members.", no_args_is_help=True)
server_app = typer.Typer(help="Security servers.", no_args_is_help=True)
group_app = typer.Typer(help="Global groups.", no_args_is_help=True)
key_app = typer.Typer(help="Admin REST API keys.", no_args_is_help=True)
app.add_typer(member_class_app, name="member-class")
app.add_typer(member_app, name="member")
app.add_typer(subsystem_app, name="subsystem")
app.add_typer(server_app, name="server")
app.add_typer(group_app, name="global-group")
app.add_typer(_cs_trust.ca_app, name="ca")
app.add_typer(_cs_trust.tsa_app, name="tsa")
app.add_typer(key_app, name="api-key")
app.add_typer(_cs_conf.conf_app, name="conf")
app.add_typer(_cs_conf.anchor_app, name="anchor")
app.add_typer(_cs_requests.app, name="request")
app.add_typer(_cs_keys.app, name="key")

INITIAL_KEY = "admin"


@app.command()
def init(
    instance: Annotated[
        str | None, typer.Option("--instance", help="Instance identifier, e.g. EE.")
    ] = None,
    key_name: Annotated[
        str, typer.Option("--key-name", help="Name of the first API key.")
    ] = INITIAL_KEY,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or upgrade the database, set the instance, print a system-administrator key."""
    settings = settings_or_exit(config, as_json)
    chosen = instance or settings.instance_identifier
    if chosen is None:
        raise typer.BadParameter("give --instance (or instance_identifier in the settings)")
    if settings.instance_identifier not in (None, chosen):
        raise typer.BadParameter(
            f"--instance {chosen} differs from the settings' {settings.instance_identifier}"
        )

    async def work(s: Session) -> Result:
        # The server may have set the instance from its settings already: that is fine.
        current = await s.registry.get_instance()
        if current is None:
            await s.registry.set_instance(chosen, actor=s.actor)
        elif current != chosen:
            raise refused(f"The instance identifier is {current} and cannot change", "conflict")
        info, key = await s.keys.create(key_name, [Role.SYSTEM_ADMINISTRATOR], actor=s.actor)
        text = (
            f"Instance {chosen} initialised in {safe_url(s.settings.db_url)}\n"
            f"API key {info.name!r} (system-administrator), shown this once:\n{key}"
        )
        data = {
            "instance": chosen,
            "database": safe_url(s.settings.db_url),
            "api_key": {**convert.api_key(info).model_dump(mode="json"), "key": key},
        }
        return Result(text, data)

    with_db(config, as_json, work, migrate=True)


# ------------------------------------------------------------------------ member classes


@member_class_app.command("add")
def member_class_add(
    code: str,
    description: Annotated[str, typer.Option("--description", help="What the class is.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a member class (GOV, COM, ...)."""

    async def work(s: Session) -> Result:
        await s.registry.add_member_class(code, description, actor=s.actor)
        return Result(f"Member class {code} added", {"code": code, "description": description})

    with_db(config, as_json, work)


@member_class_app.command("list")
def member_class_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List member classes."""

    async def work(s: Session) -> Result:
        found = await s.registry.list_member_classes()
        rows = [(c.code, c.description) for c in found]
        data = [{"code": c.code, "description": c.description} for c in found]
        return Result(table(rows, ("CODE", "DESCRIPTION")), data)

    with_db(config, as_json, work)


# ------------------------------------------------------------------------ members


@member_app.command("add")
def member_add(
    member: Annotated[str, typer.Argument(help="INSTANCE:CLASS:CODE, e.g. EE:GOV:1234")],
    name: Annotated[str, typer.Option("--name", help="The member's name.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a member."""

    async def work(s: Session) -> Result:
        target = member_id(member)
        await s.registry.add_member(target, name, actor=s.actor)
        found = convert.member(await s.registry.get_member(target))
        return Result(f"Member {found.id} ({name}) added", found)

    with_db(config, as_json, work)


@member_app.command("list")
def member_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List members with their subsystems."""

    async def work(s: Session) -> Result:
        found = [convert.member(m) for m in await s.registry.list_members()]
        rows = [(m.id, m.name, ", ".join(x.code for x in m.subsystems)) for m in found]
        return Result(table(rows, ("MEMBER", "NAME", "SUBSYSTEMS")), found)

    with_db(config, as_json, work)


@member_app.command("show")
def member_show(
    member: Annotated[str, typer.Argument(help="INSTANCE:CLASS:CODE")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one member."""

    async def work(s: Session) -> Result:
        found = convert.member(await s.registry.get_member(member_id(member)))
        lines = [f"Member:     {found.id}", f"Name:       {found.name}"]
        lines += [
            f"Subsystem:  {x.id}" + (f" ({x.name})" if x.name else "") for x in found.subsystems
        ]
        servers = [
            x.server_id.to_colon()
            for x in await s.registry.list_security_servers()
            if x.server_id.owner.to_colon() == found.id
        ]
        lines += [f"Server:     {x}" for x in servers]
        return Result("\n".join(lines), found)

    with_db(config, as_json, work)


@subsystem_app.command("add")
def subsystem_add(
    subsystem: Annotated[str, typer.Argument(help="INSTANCE:CLASS:CODE:SUBSYSTEM")],
    name: Annotated[str | None, typer.Option("--name", help="A display name.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a subsystem to an existing member."""

    async def work(s: Session) -> Result:
        target = client_id(subsystem)
        await s.registry.add_subsystem(target, name, actor=s.actor)
        data = {"id": target.to_colon(), "code": target.subsystem_code, "name": name}
        return Result(f"Subsystem {target.to_colon()} added", data)

    with_db(config, as_json, work)


# ------------------------------------------------------------------------ security servers


@server_app.command("add")
def server_add(
    server: Annotated[str, typer.Argument(help="INSTANCE:CLASS:CODE:SERVERCODE")],
    address: Annotated[str, typer.Option("--address", help="Host name or IP address.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a security server of an existing member."""

    async def work(s: Session) -> Result:
        target = server_id(server)
        await s.registry.add_security_server(target, address, actor=s.actor)
        found = convert.server(await s.registry.get_security_server(target))
        return Result(f"Security server {found.id} ({address}) added", found)

    with_db(config, as_json, work)


@server_app.command("list")
def server_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List security servers."""

    async def work(s: Session) -> Result:
        found = [convert.server(x) for x in await s.registry.list_security_servers()]
        rows = [
            (x.id, x.address or "", str(len(x.auth_cert_hashes)), str(len(x.clients)))
            for x in found
        ]
        return Result(table(rows, ("SERVER", "ADDRESS", "AUTH CERTS", "CLIENTS")), found)

    with_db(config, as_json, work)


# ------------------------------------------------------------------------ global groups


@group_app.command("add")
def group_add(
    code: str,
    description: Annotated[str, typer.Option("--description", help="What the group is for.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a global group."""

    async def work(s: Session) -> Result:
        await s.registry.add_global_group(code, description, actor=s.actor)
        found = convert.group(await s.registry.get_global_group(code))
        return Result(f"Global group {code} added", found)

    with_db(config, as_json, work)


@group_app.command("list")
def group_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List global groups and their members."""

    async def work(s: Session) -> Result:
        found = [convert.group(g) for g in await s.registry.list_global_groups()]
        rows = [(g.code, g.description, ", ".join(g.members)) for g in found]
        return Result(table(rows, ("GROUP", "DESCRIPTION", "MEMBERS")), found)

    with_db(config, as_json, work)


@group_app.command("member-add")
def group_member_add(
    code: str,
    client: Annotated[str, typer.Argument(help="Member or subsystem, e.g. EE:GOV:1234:SUB")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a member or subsystem to a global group."""

    async def work(s: Session) -> Result:
        target = client_id(client)
        await s.registry.add_group_member(code, target, actor=s.actor)
        found = convert.group(await s.registry.get_global_group(code))
        return Result(f"{target.to_colon()} added to {code}", found)

    with_db(config, as_json, work)


# ------------------------------------------------------------------------ API keys, audit


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Option("--name", help="Shown as the actor in the audit log.")],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="registration-officer, security-officer or "
            "system-administrator; repeat for several.",
        ),
    ],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key; the key is printed this once."""

    async def work(s: Session) -> Result:
        info, key = await s.keys.create(name, role, actor=s.actor)
        roles = ", ".join(sorted(r.value for r in info.roles))
        text = f"API key {name!r} ({roles}), shown this once:\n{key}"
        return Result(text, {**convert.api_key(info).model_dump(mode="json"), "key": key})

    with_db(config, as_json, work)


@key_app.command("list")
def key_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List API keys (never the keys themselves)."""

    async def work(s: Session) -> Result:
        found = [convert.api_key(k) for k in await s.keys.list()]
        rows = [
            (str(k.id), k.name, ", ".join(k.roles), "revoked" if k.revoked_at else "active")
            for k in found
        ]
        return Result(table(rows, ("ID", "NAME", "ROLES", "STATE")), found)

    with_db(config, as_json, work)


@key_app.command("revoke")
def key_revoke(key_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Revoke an API key by its id."""

    async def work(s: Session) -> Result:
        info = await s.keys.revoke(key_id, actor=s.actor)
        return Result(f"API key {key_id} ({info.name}) revoked", convert.api_key(info))

    with_db(config, as_json, work)


@app.command()
def audit(
    limit: Annotated[int, typer.Option("--limit", help="How many entries, newest first.")] = 20,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log, newest first."""

    async def work(s: Session) -> Result:
        found = [convert.audit(e) for e in await s.registry.audit_log(limit)]
        rows = [(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.target) for e in found]
        return Result(table(rows, ("AT (UTC)", "ACTOR", "ACTION", "TARGET")), found)

    with_db(config, as_json, work)


__all__ = ["app"]
