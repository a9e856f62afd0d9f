"""Identifiers in their three forms (pr-mess Annex A, pr-rest §4, admin API ``:`` form)."""

from __future__ import annotations

import pytest
from lxml import etree

from vdx import identifiers as ids
from vdx.errors import Code, XRoadError
from vdx.identifiers import (
    NS_ID,
    NS_XROAD,
    ClientId,
    GlobalGroupId,
    LocalGroupId,
    ObjectType,
    SecurityServerId,
    ServiceId,
)

MEMBER = ClientId("EE", "GOV", "1234")
SUBSYSTEM = ClientId("EE", "GOV", "1234", "SUB")
SERVICE = ServiceId(SUBSYSTEM, "getRandom", "v1")


def test_member_and_subsystem_object_types() -> None:
    assert MEMBER.object_type is ObjectType.MEMBER
    assert SUBSYSTEM.object_type is ObjectType.SUBSYSTEM
    assert SUBSYSTEM.member == MEMBER


def test_path_form_round_trips() -> None:
    assert SUBSYSTEM.to_path() == "EE/GOV/1234/SUB"
    assert ids.parse_client("EE/GOV/1234/SUB") == SUBSYSTEM
    assert ids.parse_client("EE/GOV/1234") == MEMBER


def test_colon_form_of_services_joins_version_with_a_dot() -> None:
    assert SERVICE.to_colon() == "EE:GOV:1234:SUB:getRandom.v1"
    assert ids.parse_service("EE:GOV:1234:SUB:getRandom.v1", ":") == SERVICE
    assert ids.parse_service("EE:GOV:1234:getRandom", ":") == ServiceId(MEMBER, "getRandom")


def test_rest_service_path_needs_a_subsystem() -> None:
    assert ids.parse_service("EE/GOV/1234/SUB/getRandom") == ServiceId(SUBSYSTEM, "getRandom")
    with pytest.raises(XRoadError) as caught:
        ids.parse_service("EE/GOV/1234/getRandom")
    assert caught.value.code is Code.INVALID_CLIENT_IDENTIFIER


def test_security_server_and_groups() -> None:
    server = ids.parse_security_server("EE:GOV:1234:SS1", ":")
    assert server == SecurityServerId(MEMBER, "SS1")
    assert server.to_path() == "EE/GOV/1234/SS1"
    assert ids.parse_global_group("EE/security-server-owners") == GlobalGroupId(
        "EE", "security-server-owners"
    )
    assert str(LocalGroupId("admins")) == "LOCALGROUP:admins"


def test_server_owner_must_be_a_member() -> None:
    with pytest.raises(XRoadError):
        SecurityServerId(SUBSYSTEM, "SS1")


@pytest.mark.parametrize("bad", ["a/b", "a:b", "a;b", "a\\b", "50%", "tab\there", "", "  "])
def test_forbidden_characters_are_refused(bad: str) -> None:
    with pytest.raises(XRoadError) as caught:
        ClientId("EE", "GOV", bad)
    assert caught.value.code is Code.INVALID_CLIENT_IDENTIFIER


def test_strict_set_of_rest_section_4_8() -> None:
    assert ids.check_strict("Ab0'()+,-.=?", "code") == "Ab0'()+,-.=?"
    for bad in ("CO DE", "under_score", "ä"):
        with pytest.raises(XRoadError):
            ids.check_strict(bad, "code")


@pytest.mark.parametrize(
    "identifier",
    [
        MEMBER,
        SUBSYSTEM,
        SERVICE,
        ServiceId(MEMBER, "x"),
        SecurityServerId(MEMBER, "SS1"),
        GlobalGroupId("EE", "g"),
        LocalGroupId("l"),
    ],
    ids=str,
)
def test_xml_form_round_trips(identifier: ids.Identifier) -> None:
    element = ids.to_xml(identifier, f"{{{NS_XROAD}}}client")
    assert element.get(f"{{{NS_ID}}}objectType") == identifier.object_type
    reparsed = etree.fromstring(etree.tostring(element))
    assert ids.from_xml(reparsed) == identifier


def _xml(body: str, object_type: str | None = "MEMBER") -> etree._Element:
    attr = f' id:objectType="{object_type}"' if object_type else ""
    return etree.fromstring(f'<c xmlns:id="{NS_ID}"{attr}>{body}</c>')


def test_xml_requires_object_type_and_its_fields() -> None:
    fields = "<id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>"
    code = "<id:memberCode>1</id:memberCode>"
    assert ids.from_xml(_xml(fields + code)) == ClientId("EE", "GOV", "1")
    # Like the reference reader: order is not enforced and unknown children are ignored.
    assert ids.from_xml(_xml(code + fields + "<id:other>x</id:other>")) == ClientId(
        "EE", "GOV", "1"
    )
    for element in (
        _xml(fields + code, None),
        _xml(fields + code, "NOPE"),
        _xml(fields),
        _xml(fields + code + code),
    ):
        with pytest.raises(XRoadError) as caught:
            ids.from_xml(element)
        assert caught.value.code is Code.INVALID_XML


def test_client_decoder_refuses_other_object_types() -> None:
    element = ids.to_xml(SERVICE, "svc")
    with pytest.raises(XRoadError) as caught:
        ids.client_from_xml(element)
    assert caught.value.code is Code.INVALID_XML


def test_members_and_subsystems_sort_together() -> None:
    # A member (no subsystem) sorts before its subsystems; None never meets str in a compare.
    assert sorted([SUBSYSTEM, MEMBER]) == [MEMBER, SUBSYSTEM]
    services = [ServiceId(SUBSYSTEM, "a"), ServiceId(MEMBER, "a", "v1"), ServiceId(MEMBER, "a")]
    assert sorted(services) == [ServiceId(MEMBER, "a"), ServiceId(MEMBER, "a", "v1"), services[0]]
    owner = SecurityServerId(MEMBER, "SS2")
    assert sorted([owner, SecurityServerId(MEMBER, "SS1")])[0].server_code == "SS1"
