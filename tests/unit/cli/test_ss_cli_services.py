"""``vdx ss description|service|access``: the requests sent and the output printed."""

from __future__ import annotations

import json

from tests.unit.cli.test_ss_cli import FakeApi, Ss, api, ss

__all__ = ["api", "ss"]  # fixtures, used by name

SUB = "/clients/EE%3AGOV%3A1234%3ASUB"
SERVICE_ID = "EE:GOV:1234:SUB:getThing.v1"
SERVICE = "/services/EE%3AGOV%3A1234%3ASUB%3AgetThing.v1"
ENDPOINT = {"method": "GET", "path": "/things/*", "generated": True}
SERVICE_INFO = {
    "id": SERVICE_ID,
    "service_code": "getThing",
    "service_version": "v1",
    "description_id": 4,
    "url": "http://backend.local/things",
    "timeout": 60,
    "tls_verify": True,
    "title": None,
    "endpoints": [ENDPOINT],
}
DESCRIPTION = {
    "id": 4,
    "client": "EE:GOV:1234:SUB",
    "type": "OPENAPI3",
    "url": "http://backend.local/openapi.yaml",
    "disabled": False,
    "disabled_notice": None,
    "refreshed_at": "2026-11-25T14:00:00+00:00",
    "services": [SERVICE_INFO],
    "changes": None,
}


async def test_descriptions(api: FakeApi, ss: Ss) -> None:
    api.on("GET", SUB + "/service-descriptions", body=[DESCRIPTION])
    out = (await ss("description", "list", "EE:GOV:1234:SUB")).stdout
    assert out.splitlines()[0].split() == ["ID", "TYPE", "URL", "STATE", "SERVICES"]
    assert out.splitlines()[1].split() == [
        "4",
        "OPENAPI3",
        "http://backend.local/openapi.yaml",
        "enabled",
        "getThing",
    ]

    api.on("POST", SUB + "/service-descriptions", 201, DESCRIPTION)
    args = ("description", "add", "EE:GOV:1234:SUB", "--type", "OPENAPI3")
    out = (await ss(*args, "--url", DESCRIPTION["url"], "--service-code", "things")).stdout
    assert SERVICE_ID in out
    assert api.last.json() == {
        "type": "OPENAPI3",
        "url": DESCRIPTION["url"],
        "service_code": "things",
    }
    await ss(*args, "--url", "u", "--service-url", "http://b")
    assert api.last.json() == {"type": "OPENAPI3", "url": "u", "service_url": "http://b"}
    await ss("description", "add", "EE:GOV:1234:SUB", "--type", "SOAP", "--url", "u", code=2)

    changes = {"added": ["EE:GOV:1234:SUB:new"], "removed": []}
    api.on("POST", "/service-descriptions/4/refresh", body={**DESCRIPTION, "changes": changes})
    out = (await ss("description", "refresh", "4")).stdout
    assert "Added:    EE:GOV:1234:SUB:new" in out
    assert "Removed:  -" in out
    assert (api.last.method, api.last.body) == ("POST", b"")
    api.on("POST", "/service-descriptions/4/enable", body=DESCRIPTION)
    await ss("description", "enable", "4")
    assert api.last.raw_path == "/api/v1/service-descriptions/4/enable"
    disabled = {**DESCRIPTION, "disabled": True, "disabled_notice": "Maintenance"}
    api.on("POST", "/service-descriptions/4/disable", body=disabled)
    data = json.loads(
        (await ss("description", "disable", "4", "--notice", "Maintenance", "--json")).stdout
    )
    assert data == disabled
    assert api.last.json() == {"notice": "Maintenance"}
    await ss("description", "disable", "4")
    assert api.last.json() == {}
    api.on("DELETE", "/service-descriptions/4", 204)
    assert (await ss("description", "delete", "4")).stdout == "Service description 4 deleted\n"
    await ss("description", "delete", "four", code=2)


async def test_services_and_endpoints(api: FakeApi, ss: Ss) -> None:
    api.on("GET", SERVICE, body=SERVICE_INFO)
    out = (await ss("service", "show", SERVICE_ID)).stdout
    assert "http://backend.local/things" in out
    assert "GET     /things/*  generated" in out
    assert api.last.path == "/api/v1/services/" + SERVICE_ID

    api.on("PATCH", SERVICE, body={**SERVICE_INFO, "timeout": 30, "tls_verify": False})
    await ss("service", "set", SERVICE_ID, "--timeout", "30", "--no-tls-verify")
    assert (api.last.method, api.last.json()) == ("PATCH", {"timeout": 30, "tls_verify": False})
    await ss("service", "set", SERVICE_ID, "--url", "https://b/", "--tls-verify")
    assert api.last.json() == {"url": "https://b/", "tls_verify": True}
    await ss("service", "set", SERVICE_ID, "--timeout", "0", code=2)
    await ss("service", "show", "EE:GOV:1234", code=2)  # no service code

    api.on("POST", SERVICE + "/endpoints", 201, ENDPOINT)
    api.on("DELETE", SERVICE + "/endpoints", 204)
    out = (
        await ss("service", "endpoint", "add", SERVICE_ID, "--method", "GET", "--path", "/x")
    ).stdout
    assert out.strip() == "Endpoint GET /x added"
    assert api.last.json() == {"method": "GET", "path": "/x"}
    await ss("service", "endpoint", "delete", SERVICE_ID, "--method", "*", "--path", "**")
    assert (api.last.method, api.last.json()) == ("DELETE", {"method": "*", "path": "**"})


async def test_access_rights(api: FakeApi, ss: Ss) -> None:
    right = {
        "service": SERVICE_ID,
        "subject": "localgroup:admins",
        "method": "*",
        "path": "**",
        "granted_at": "2026-11-25T14:00:00+00:00",
    }
    rights = SERVICE + "/access-rights"
    api.on("GET", rights, body=[right])
    out = (await ss("access", "list", SERVICE_ID)).stdout
    assert out.splitlines()[0].split() == ["SUBJECT", "METHOD", "PATH", "GRANTED", "AT"]
    assert out.splitlines()[1].split()[:3] == ["localgroup:admins", "*", "**"]
    api.on("POST", rights, 201, right)
    api.on("DELETE", rights, 204)
    out = (await ss("access", "grant", SERVICE_ID, "--subject", "EE:GOV:5678:APP")).stdout
    assert out.strip() == f"Access to {SERVICE_ID} granted to EE:GOV:5678:APP"
    assert api.last.json() == {"subject": "EE:GOV:5678:APP"}
    args = ("--subject", "globalgroup:EE:all", "--method", "GET", "--path", "/things/*")
    await ss("access", "revoke", SERVICE_ID, *args)
    assert (api.last.method, api.last.json()) == (
        "DELETE",
        {"subject": "globalgroup:EE:all", "method": "GET", "path": "/things/*"},
    )
