"""Identifiers (vdx/identifiers/): every encoding round trips, and parsers fail only cleanly.

Identifiers come from untrusted REST paths, headers and SOAP headers, and they key access rights,
so an identifier that changes on the way through one of its three forms (``/``, ``:``, XML) would
let a caller be mistaken for another. The generated parts cover the strict REST r1 §4.8 alphabet
and any printable unicode that the parser admits.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tests.property import strategies as gen
from vdx import identifiers as ids
from vdx import xmlsafe
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, ServiceId

TAG = "{http://x-road.eu/xsd/xroad.xsd}client"


@given(gen.clients)
def test_client_round_trips_through_path_and_colon_forms(client: ClientId) -> None:
    assert ids.parse_client(client.to_path()) == client
    assert ids.parse_client(client.to_colon(), ":") == client


@given(gen.subsystems, gen.parts)
def test_rest_service_round_trips_through_path_form(provider: ClientId, code: str) -> None:
    # The "/" form is REST's: a subsystem's service, no version (REST r1 §4.1).
    service = ServiceId(provider, code)
    assert ids.parse_service(service.to_path()) == service


@given(gen.clients, gen.identifier_parts(exclude="."), st.none() | gen.parts)
def test_service_round_trips_through_colon_form(
    provider: ClientId, code: str, version: str | None
) -> None:
    # "code.version" is split at the first dot, so only dot-free codes are unambiguous.
    service = ServiceId(provider, code, version)
    assert ids.parse_service(service.to_colon(), ":") == service


def test_colon_form_splits_a_dotted_service_code_at_its_first_dot() -> None:
    # The documented ambiguity: a code with a dot reads back as code and version.
    service = ServiceId(ClientId("EE", "GOV", "1"), "get.random")
    assert ids.parse_service(service.to_colon(), ":") == ServiceId(
        service.provider, "get", "random"
    )


@given(gen.security_servers)
def test_security_server_round_trips(server: ids.SecurityServerId) -> None:
    assert ids.parse_security_server(server.to_path()) == server
    assert ids.parse_security_server(server.to_colon(), ":") == server


@given(gen.global_groups)
def test_global_group_round_trips(group: ids.GlobalGroupId) -> None:
    assert ids.parse_global_group(group.to_path()) == group
    assert ids.parse_global_group(group.to_colon(), ":") == group


@given(gen.identifiers)
def test_every_identifier_round_trips_through_xml(identifier: ids.Identifier) -> None:
    element = ids.to_xml(identifier, TAG)
    assert ids.from_xml(element) == identifier
    # And through the bytes on the wire and the hardened parser.
    assert ids.from_xml(xmlsafe.parse(etree.tostring(element, encoding="utf-8"))) == identifier


# Text with many separators, so that part counts vary and every parser path is reached.
_id_text = st.text(st.one_of(st.characters(), st.sampled_from("/:. %")), max_size=60)


@pytest.mark.parametrize(
    "parse",
    [ids.parse_client, ids.parse_service, ids.parse_security_server, ids.parse_global_group],
)
@pytest.mark.parametrize("sep", ["/", ":"])
@given(text=_id_text)
def test_parsers_raise_only_xroad_error(
    parse: Callable[[str, str], object], sep: str, text: str
) -> None:
    with contextlib.suppress(XRoadError):
        parse(text, sep)


@given(gen.identifiers, st.data())
def test_mangled_xml_identifiers_raise_only_xroad_error(
    identifier: ids.Identifier, data: st.DataObject
) -> None:
    element = ids.to_xml(identifier, TAG)
    children = list(element)
    mangled = data.draw(st.lists(st.sampled_from(children), max_size=len(children) + 2))
    for child in children:
        element.remove(child)
    for child in mangled:
        element.append(copy.deepcopy(child))
    object_type = data.draw(st.sampled_from([*ids.ObjectType, "", "member"]))
    element.set(f"{{{ids.NS_ID}}}objectType", str(object_type))
    with contextlib.suppress(XRoadError):
        ids.from_xml(element)
