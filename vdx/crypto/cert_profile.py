"""Certificate profiles as data: which subject fields name a member or a security server.

The reference implementation maps a signing certificate to its member with one Java class per
CA (``CertificateProfileInfoProvider``), named in the global configuration. Here a profile is a
description (plain data, loadable from JSON or YAML) so a new CA needs no code:

.. code-block:: python

    {
        "name": "ejbca",
        "sign": [  # variants, tried in order; the first whose fields all resolve wins
            {"instance": "subject:C", "member_class": "subject:O", "member_code": "subject:CN"}
        ],
        "auth": [{"instance": "subject:C", "server_code": "subject:CN"}],
        "sign_csr": [["C", "{instance}"], ["O", "{member_class}"], ["CN", "{member_code}"]],
        "auth_csr": [["C", "{instance}"], ["CN", "{server_code}"]],
    }

A field *source* is a string or a dict:

- ``"subject:<attr>"`` the subject attribute (short name such as ``CN``, ``O``, ``OU``, ``C``,
  ``serialNumber``, ``SN``, ``organizationIdentifier``, or a dotted OID);
  ``"subject:<attr>~<regex>"`` keeps capture group 1 of a match (the whole match without a
  group); a non-matching regex makes the variant fail;
- ``"const:<value>"`` a constant; ``"config:instance"`` the instance the caller is in;
- ``{"subject": attr, "match": regex, "then": constant}`` a constant chosen by a match.

A variant may hold ``"when": {attr: regex}``: attributes that must be present and match.
CSR templates use ``{instance}``, ``{member_class}``, ``{member_code}``, ``{server_code}``,
``{member_name}``; attributes whose value comes out empty are left out.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography import x509
from cryptography.x509.oid import NameOID

from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, SecurityServerId

if TYPE_CHECKING:
    from vdx.crypto.trust import ApprovedCA

ATTRIBUTES: dict[str, x509.ObjectIdentifier] = {
    "C": NameOID.COUNTRY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
    "SN": NameOID.SURNAME,
    "GN": NameOID.GIVEN_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "organizationIdentifier": NameOID.ORGANIZATION_IDENTIFIER,
    "emailAddress": NameOID.EMAIL_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
}
_T = TypeVar("_T")
_CLIENT_FIELDS = ("instance", "member_class", "member_code")
_SERVER_FIELDS = ("instance", "member_class", "member_code", "server_code")


def attribute_oid(attr: str) -> x509.ObjectIdentifier:
    if attr in ATTRIBUTES:
        return ATTRIBUTES[attr]
    if re.fullmatch(r"\d+(\.\d+)+", attr):
        return x509.ObjectIdentifier(attr)
    raise ValueError(f"unknown subject attribute {attr!r}")


@dataclass(frozen=True)
class Source:
    """Where one identifier part comes from (see the module docstring)."""

    kind: str  # "subject" | "const" | "config"
    value: str  # attribute, constant or config key
    match: re.Pattern[str] | None = None
    then: str | None = None

    @classmethod
    def parse(cls, spec: str | Mapping[str, str]) -> Source:
        if isinstance(spec, Mapping):
            match = spec.get("match")
            if "subject" in spec:
                attribute_oid(spec["subject"])
                return cls(
                    "subject",
                    spec["subject"],
                    re.compile(match) if match else None,
                    spec.get("then"),
                )
            if "const" in spec:
                return cls("const", spec["const"])
            raise ValueError(f"field source needs 'subject' or 'const': {dict(spec)!r}")
        kind, _, rest = spec.partition(":")
        if kind == "subject":
            attr, tilde, regex = rest.partition("~")
            attribute_oid(attr)
            return cls("subject", attr, re.compile(regex) if tilde else None)
        if kind == "const":
            return cls("const", rest)
        if kind == "config" and rest == "instance":
            return cls("config", rest)
        raise ValueError(f"bad field source {spec!r}")

    def resolve(self, subject: x509.Name, instance: str | None) -> str | None:
        if self.kind == "const":
            return self.value
        if self.kind == "config":
            return instance or None
        found = _attribute(subject, self.value)
        if found is None:
            return None
        if self.match is None:
            return self.then if self.then is not None else found
        hit = self.match.search(found)
        if hit is None:
            return None
        if self.then is not None:
            return self.then
        return hit.group(1) if hit.re.groups else hit.group(0)


def _attribute(subject: x509.Name, attr: str) -> str | None:
    values = subject.get_attributes_for_oid(attribute_oid(attr))
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


@dataclass(frozen=True)
class Variant:
    fields: tuple[tuple[str, Source], ...]
    when: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def parse(cls, spec: Mapping[str, Any], allowed: Sequence[str]) -> Variant:
        unknown = set(spec) - {*allowed, "when"}
        if unknown:
            raise ValueError(f"unknown profile fields {sorted(unknown)}")
        when = tuple((a, re.compile(r)) for a, r in dict(spec.get("when", {})).items())
        for attr, _ in when:
            attribute_oid(attr)
        return cls(tuple((f, Source.parse(spec[f])) for f in allowed if f in spec), when)

    def resolve(self, subject: x509.Name, instance: str | None) -> dict[str, str] | None:
        for attr, pattern in self.when:
            value = _attribute(subject, attr)
            if value is None or pattern.search(value) is None:
                return None
        out: dict[str, str] = {}
        for field_name, source in self.fields:
            value = source.resolve(subject, instance)
            if not value:
                return None
            out[field_name] = value
        return out


@dataclass(frozen=True)
class CertProfile:
    """A parsed profile description; build with :meth:`from_description`."""

    name: str
    sign: tuple[Variant, ...]
    auth: tuple[Variant, ...]
    sign_csr: tuple[tuple[str, str], ...]
    auth_csr: tuple[tuple[str, str], ...]

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> CertProfile:
        """Parse and check a description; ``ValueError`` names what is wrong."""

        def variants(key: str, allowed: Sequence[str]) -> tuple[Variant, ...]:
            raw = description.get(key, [])
            raw = [raw] if isinstance(raw, Mapping) else raw
            return tuple(Variant.parse(v, allowed) for v in raw)

        def csr(key: str) -> tuple[tuple[str, str], ...]:
            pairs = tuple((str(a), str(t)) for a, t in description.get(key, []))
            for attr, _ in pairs:
                attribute_oid(attr)
            return pairs

        return cls(
            name=str(description.get("name", "")),
            sign=variants("sign", _CLIENT_FIELDS),
            auth=variants("auth", _SERVER_FIELDS),
            sign_csr=csr("sign_csr"),
            auth_csr=csr("auth_csr"),
        )

    def _resolve(
        self, variants: Sequence[Variant], cert: x509.Certificate, instance: str | None, what: str
    ) -> dict[str, str]:
        for variant in variants:
            found = variant.resolve(cert.subject, instance)
            if found is not None:
                return found
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE,
            f"{what} certificate subject {cert.subject.rfc4514_string()} does not fit "
            f"certificate profile {self.name or '(unnamed)'}",
        )

    def member_of(self, cert: x509.Certificate, instance: str | None = None) -> ClientId:
        """The member a signing certificate belongs to (``IncorrectCertificate`` if none)."""
        found = self._resolve(self.sign, cert, instance, "signing")
        return _checked(
            lambda: ClientId(found["instance"], found["member_class"], found["member_code"])
        )

    def server_of(self, cert: x509.Certificate, instance: str | None = None) -> SecurityServerId:
        """The security server an authentication certificate names, when the profile says.

        Profiles whose authentication subject names no owner (EJBCA: only C and CN) cannot
        answer; the registry's list of authentication certificates is the authority then.
        """
        found = self._resolve(self.auth, cert, instance, "authentication")
        if not all(k in found for k in _SERVER_FIELDS):
            raise XRoadError(
                Code.INCORRECT_CERTIFICATE,
                f"certificate profile {self.name} does not name the server owner",
            )
        owner = _checked(
            lambda: ClientId(found["instance"], found["member_class"], found["member_code"])
        )
        return _checked(lambda: SecurityServerId(owner, found["server_code"]))

    def sign_csr_subject(
        self, member: ClientId, *, member_name: str = "", server_code: str | None = None
    ) -> x509.Name:
        """The subject to request for ``member``'s signing certificate (on ``server_code``)."""
        return _name(self.sign_csr, _values(member, server_code, member_name))

    def auth_csr_subject(self, server: SecurityServerId, *, member_name: str = "") -> x509.Name:
        """The subject to request for ``server``'s authentication certificate."""
        return _name(self.auth_csr, _values(server.owner, server.server_code, member_name))


def _checked(make: Callable[[], _T]) -> _T:
    try:
        return make()
    except (ValueError, XRoadError) as error:
        message = error.message if isinstance(error, XRoadError) else str(error)
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE, f"certificate names an invalid identifier ({message})"
        ) from None


def _values(member: ClientId, server_code: str | None, member_name: str) -> dict[str, str]:
    return {
        "instance": member.instance,
        "member_class": member.member_class,
        "member_code": member.member_code,
        "server_code": server_code or "",
        "member_name": member_name,
    }


def _name(template: Sequence[tuple[str, str]], values: Mapping[str, str]) -> x509.Name:
    """Fill the template; an attribute naming a value the caller did not give is left out."""
    attrs = []
    for attr, pattern in template:
        used = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
        if any(not values.get(f) for f in used):
            continue
        attrs.append(x509.NameAttribute(attribute_oid(attr), pattern.format(**values)))
    return x509.Name(attrs)


_REF = "ee.ria.xroad.common.certificateprofile.impl."

# Built-in descriptions equivalent to the reference's common providers.
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    # EJBCA (the reference's default): C = instance, O = member class, CN = member code.
    _REF + "EjbcaCertificateProfileInfoProvider": {
        "name": "ejbca",
        "sign": [
            {"instance": "subject:C", "member_class": "subject:O", "member_code": "subject:CN"}
        ],
        "auth": [{"instance": "subject:C", "server_code": "subject:CN"}],
        "sign_csr": [["C", "{instance}"], ["O", "{member_class}"], ["CN", "{member_code}"]],
        "auth_csr": [["C", "{instance}"], ["CN", "{server_code}"]],
    },
    # Finland (FiVRK): serialNumber = instance/serverCode/memberClass, CN = member code; older
    # certificates O = instance, OU = member class; else the EJBCA layout.
    _REF + "FiVRKCertificateProfileInfoProvider": {
        "name": "fi-vrk",
        "sign": [
            {
                "when": {"C": "^FI$"},
                "instance": r"subject:serialNumber~^([^/]+)/[^/]+/[^/]+$",
                "member_class": r"subject:serialNumber~^[^/]+/[^/]+/([^/]+)$",
                "member_code": "subject:CN",
            },
            {
                "when": {"C": "^FI$", "OU": "."},
                "instance": "subject:O",
                "member_class": "subject:OU",
                "member_code": "subject:CN",
            },
            {"instance": "subject:C", "member_class": "subject:O", "member_code": "subject:CN"},
        ],
        "auth": [
            {
                "instance": r"subject:serialNumber~^([^/]+)/[^/]+/[^/]+$",
                "server_code": r"subject:serialNumber~^[^/]+/([^/]+)/[^/]+$",
            }
        ],
        "sign_csr": [
            ["C", "FI"],
            ["O", "{member_name}"],
            ["serialNumber", "{instance}/{server_code}/{member_class}"],
            ["CN", "{member_code}"],
        ],
        "auth_csr": [
            ["C", "FI"],
            ["O", "{member_name}"],
            ["serialNumber", "{instance}/{server_code}/{member_class}"],
        ],
    },
    # Estonia, SK Klass 3: organizationIdentifier NTREE-/GO:EE-/NP:EE- prefixes give the class
    # and code; otherwise an 8-digit serialNumber whose first digit gives the class.
    _REF + "SkKlass3CertificateProfileInfoProvider": {
        "name": "sk-klass3",
        "sign": [
            {
                "instance": "config:instance",
                "member_class": {"subject": "2.5.4.97", "match": "^NTREE-", "then": "COM"},
                "member_code": "subject:2.5.4.97~^NTREE-(.+)$",
            },
            {
                "instance": "config:instance",
                "member_class": {"subject": "2.5.4.97", "match": "^GO:EE-", "then": "GOV"},
                "member_code": "subject:2.5.4.97~^GO:EE-(.+)$",
            },
            {
                "instance": "config:instance",
                "member_class": {"subject": "2.5.4.97", "match": "^NP:EE-", "then": "NGO"},
                "member_code": "subject:2.5.4.97~^NP:EE-(.+)$",
            },
            {
                "instance": "config:instance",
                "member_class": "const:NEE",
                "member_code": "subject:2.5.4.97",
            },
            {
                "instance": "config:instance",
                "member_class": {
                    "subject": "serialNumber",
                    "match": "^[1-6][0-9]{7}$",
                    "then": "COM",
                },
                "member_code": "subject:serialNumber",
            },
            {
                "instance": "config:instance",
                "member_class": {"subject": "serialNumber", "match": "^7[0-9]{7}$", "then": "GOV"},
                "member_code": "subject:serialNumber",
            },
            {
                "instance": "config:instance",
                "member_class": {
                    "subject": "serialNumber",
                    "match": "^[89][0-9]{7}$",
                    "then": "NGO",
                },
                "member_code": "subject:serialNumber",
            },
        ],
        "auth": [],
        "sign_csr": [["serialNumber", "{member_code}"], ["CN", "{member_name}"]],
        "auth_csr": [["serialNumber", "{member_code}"], ["CN", "{member_name}"]],
    },
}
DEFAULT_PROVIDER = _REF + "EjbcaCertificateProfileInfoProvider"


def builtin(provider: str = DEFAULT_PROVIDER) -> CertProfile:
    """The built-in profile for a reference provider class name (or its short name)."""
    for key, description in DESCRIPTIONS.items():
        if provider in {key, description["name"]}:
            return CertProfile.from_description(description)
    raise XRoadError(Code.INCORRECT_CERTIFICATE, f"unknown certificate profile {provider!r}")


def profile_for(ca: ApprovedCA) -> CertProfile:
    """The profile of an approved CA: its own description, else the built-in one it names."""
    if ca.profile is not None:
        return ca.profile
    return builtin(ca.profile_name or DEFAULT_PROVIDER)
