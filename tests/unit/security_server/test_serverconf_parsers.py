"""Parsers of service descriptions: the reference's WSDL vectors, OpenAPI 3 in JSON and YAML."""

from __future__ import annotations

import json

import pytest

from security_server.serverconf import DescriptionError, parse_openapi, parse_wsdl
from tests import vectors

pytestmark = pytest.mark.vectors

OPENAPI_YAML = b"""\
openapi: 3.0.3
info: {title: Pets, version: "1.0"}
servers:
  - url: https://{host}/api/v1
    variables:
      host: {default: pets.example.vn}
paths:
  /pets:
    get: {responses: {"200": {description: ok}}}
    post: {responses: {"201": {description: created}}}
    parameters: []
  /pets/{petId}:
    get: {responses: {"200": {description: ok}}}
    delete: {responses: {"204": {description: gone}}}
  /pets/{petId}/toys/{toyId}:
    put: {responses: {"200": {description: ok}}}
  /shared:
    $ref: '#/components/pathItems/shared'
"""


def _wsdl(name: str) -> bytes:
    return (vectors.require_dir() / "services" / name).read_bytes()


def test_testservice_wsdl() -> None:
    operations = parse_wsdl(_wsdl("testservice.wsdl"))
    assert [(op.code, op.version, op.url) for op in operations] == [
        ("xroadGetRandom", "v1", "http://xroad-lxd-web.lxd:8088/xroadGetRandom"),
        ("bodyMassIndex", "v1", "http://xroad-lxd-web.lxd:8088/bodyMassIndex"),
    ]


def test_valid_getrandom_wsdl_uses_the_older_xroad_namespace() -> None:
    (operation,) = parse_wsdl(_wsdl("valid-getrandom.wsdl"))
    assert operation.code == "xroadGetRandom"
    assert operation.version == "v1"
    assert operation.url == "http://iks2-testhost:8080/testservice-0.1/xroad"
    assert operation.title == "Suvaline sisend document/literal stiilis"


def test_wsdl_without_version_and_with_soap12_binding_only_refused() -> None:
    wsdl = _wsdl("testservice.wsdl")
    unversioned = wsdl.replace(b"<xrd:version>v1</xrd:version>", b"")
    assert {op.version for op in parse_wsdl(unversioned)} == {None}
    soap12 = wsdl.replace(
        b"http://schemas.xmlsoap.org/wsdl/soap/", b"http://schemas.xmlsoap.org/wsdl/soap12/"
    )
    with pytest.raises(DescriptionError, match=r"no SOAP 1\.1 operations"):
        parse_wsdl(soap12)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not xml",
        b"<definitions/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        b'<w:definitions xmlns:w="http://schemas.xmlsoap.org/wsdl/"/>',
        (
            b'<w:definitions xmlns:w="http://schemas.xmlsoap.org/wsdl/"'
            b' xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/"><w:binding name="b"><s:binding/>'
            b'<w:operation name="bad/name"/></w:binding></w:definitions>'
        ),
    ],
)
def test_bad_wsdl_refused(data: bytes) -> None:
    with pytest.raises(DescriptionError) as caught:
        parse_wsdl(data)
    assert caught.value.code == "invalid"


def test_openapi_yaml() -> None:
    document = parse_openapi(OPENAPI_YAML)
    assert document.base_url == "https://pets.example.vn/api/v1"
    assert document.endpoints == (
        ("GET", "/pets"),
        ("POST", "/pets"),
        ("GET", "/pets/*"),
        ("DELETE", "/pets/*"),
        ("PUT", "/pets/*/toys/*"),
    )


def test_openapi_json_without_servers() -> None:
    doc = {"openapi": "3.1.0", "info": {}, "paths": {"/a": {"get": {}, "x-extra": {}}}}
    document = parse_openapi(json.dumps(doc).encode())
    assert document.base_url is None
    assert document.endpoints == (("GET", "/a"),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "neither valid JSON nor valid YAML"),
        (b"- a\n- b", "not an object"),
        (b'{"swagger": "2.0", "paths": {}}', "Only OpenAPI 3"),
        (b'{"openapi": "3.0.0"}', "no 'paths'"),
        (b'{"openapi": "3.0.0", "paths": {}}', "no operations"),
        (b'{"openapi": "3.0.0", "paths": {"pets": {"get": {}}}}', "starting with '/'"),
        (b'{"openapi": "3.0.0", "paths": {"/a/../b": {"get": {}}}}', "'..'"),
        (b"a: &a [*a]", "Only OpenAPI 3"),  # a recursive alias is harmless here
    ],
)
def test_bad_openapi_refused(data: bytes, message: str) -> None:
    with pytest.raises(DescriptionError, match=message):
        parse_openapi(data)


def test_openapi_size_limit() -> None:
    with pytest.raises(DescriptionError, match="larger than"):
        parse_openapi(OPENAPI_YAML, max_bytes=10)
