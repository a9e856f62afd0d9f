"""The demo SOAP service's WSDL: self-contained, so that zeep loads it without network.

The X-Road header elements (``xrd:client``, ``xrd:service``, ...) and the identifier types are
declared inline with the shapes of the X-Road schemas (xroad.xsd, identifiers.xsd) instead of
being imported by URL, because a security server and its clients often have no internet access.
``xrd:version`` in each binding operation gives the service version (pr-meta, "WSDL").
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

NAMESPACE = "http://test.x-road.global/producer"
SERVICE_VERSION = "v1"
OPERATIONS = ("getRandom", "helloService")

_IDENTIFIERS = """
    <xs:schema elementFormDefault="qualified" targetNamespace="http://x-road.eu/xsd/identifiers"
        xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:id="http://x-road.eu/xsd/identifiers">
      <xs:simpleType name="XRoadObjectType">
        <xs:restriction base="xs:string">
          <xs:enumeration value="MEMBER"/><xs:enumeration value="SUBSYSTEM"/>
          <xs:enumeration value="SERVICE"/>
        </xs:restriction>
      </xs:simpleType>
      <xs:element name="xRoadInstance" type="xs:string"/>
      <xs:element name="memberClass" type="xs:string"/>
      <xs:element name="memberCode" type="xs:string"/>
      <xs:element name="subsystemCode" type="xs:string"/>
      <xs:element name="serviceCode" type="xs:string"/>
      <xs:element name="serviceVersion" type="xs:string"/>
      <xs:complexType name="XRoadClientIdentifierType">
        <xs:sequence>
          <xs:element ref="id:xRoadInstance"/><xs:element ref="id:memberClass"/>
          <xs:element ref="id:memberCode"/><xs:element ref="id:subsystemCode" minOccurs="0"/>
        </xs:sequence>
        <xs:attribute ref="id:objectType" use="required"/>
      </xs:complexType>
      <xs:complexType name="XRoadServiceIdentifierType">
        <xs:sequence>
          <xs:element ref="id:xRoadInstance"/><xs:element ref="id:memberClass"/>
          <xs:element ref="id:memberCode"/><xs:element ref="id:subsystemCode" minOccurs="0"/>
          <xs:element ref="id:serviceCode"/><xs:element ref="id:serviceVersion" minOccurs="0"/>
        </xs:sequence>
        <xs:attribute ref="id:objectType" use="required"/>
      </xs:complexType>
      <xs:attribute name="objectType" type="id:XRoadObjectType"/>
    </xs:schema>"""

_XROAD = """
    <xs:schema elementFormDefault="qualified" targetNamespace="http://x-road.eu/xsd/xroad.xsd"
        xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:id="http://x-road.eu/xsd/identifiers">
      <xs:import namespace="http://x-road.eu/xsd/identifiers"/>
      <xs:element name="client" type="id:XRoadClientIdentifierType"/>
      <xs:element name="service" type="id:XRoadServiceIdentifierType"/>
      <xs:element name="id" type="xs:string"/>
      <xs:element name="userId" type="xs:string"/>
      <xs:element name="issue" type="xs:string"/>
      <xs:element name="protocolVersion" type="xs:string"/>
      <xs:element name="version" type="xs:string"/>
      <xs:element name="title" type="xs:string"/>
    </xs:schema>"""

_PRODUCER = f"""
    <xs:schema elementFormDefault="qualified" targetNamespace="{NAMESPACE}"
        xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:element name="getRandom">
        <xs:complexType><xs:sequence>
          <xs:element name="request" minOccurs="0"><xs:complexType/></xs:element>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="getRandomResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="response"><xs:complexType><xs:sequence>
            <xs:element name="data" type="xs:int"/>
          </xs:sequence></xs:complexType></xs:element>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="helloService">
        <xs:complexType><xs:sequence>
          <xs:element name="name" type="xs:string"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="helloServiceResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="response"><xs:complexType><xs:sequence>
            <xs:element name="message" type="xs:string"/>
          </xs:sequence></xs:complexType></xs:element>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:schema>"""

_HEADER_PARTS = ("client", "service", "id", "userId", "issue", "protocolVersion")


def _messages() -> str:
    parts = "".join(f'<wsdl:part name="{p}" element="xrd:{p}"/>' for p in _HEADER_PARTS)
    lines = [f'  <wsdl:message name="requestHeader">{parts}</wsdl:message>']
    for op in OPERATIONS:
        for name in (op, f"{op}Response"):
            lines.append(
                f'  <wsdl:message name="{name}">'
                f'<wsdl:part name="body" element="tns:{name}"/></wsdl:message>'
            )
    return "\n".join(lines)


def _port_type() -> str:
    ops = "".join(
        f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}"/>'
        f'<wsdl:output message="tns:{op}Response"/></wsdl:operation>'
        for op in OPERATIONS
    )
    return f'  <wsdl:portType name="demoPortType">{ops}</wsdl:portType>'


def _binding() -> str:
    headers = "".join(
        f'<soap:header message="tns:requestHeader" part="{p}" use="literal"/>'
        for p in _HEADER_PARTS
    )
    body = f'<soap:body use="literal"/>{headers}'
    ops = "".join(
        f'<wsdl:operation name="{op}"><soap:operation soapAction="" style="document"/>'
        f"<xrd:version>{SERVICE_VERSION}</xrd:version>"
        f"<wsdl:input>{body}</wsdl:input><wsdl:output>{body}</wsdl:output></wsdl:operation>"
        for op in OPERATIONS
    )
    return (
        '  <wsdl:binding name="demoBinding" type="tns:demoPortType">'
        '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
        f"{ops}</wsdl:binding>"
    )


def wsdl(location: str) -> bytes:
    """The WSDL with ``location`` as the service address (where the security server calls)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="demoService" targetNamespace="{NAMESPACE}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="{NAMESPACE}"
    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
  <wsdl:types>{_IDENTIFIERS}{_XROAD}{_PRODUCER}
  </wsdl:types>
{_messages()}
{_port_type()}
{_binding()}
  <wsdl:service name="demoService">
    <wsdl:port name="demoPort" binding="tns:demoBinding">
      <soap:address location={quoteattr(location)}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
""".encode()
