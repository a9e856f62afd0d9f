"""The certificate state machine as tables: pure decisions, no I/O (h11 style).

Registration states are the reference signer's (``CertificateInfo.STATUS_*``; ug-ss §3 "Keys
and certificates"):

* An authentication certificate is imported as *saved*; sending the registration request to
  the central server makes it *registration in progress*; once the global configuration lists
  it, it is *registered*. If a later configuration no longer lists it, it is in *global error*
  until it reappears. Sending the deletion request makes it *deletion in progress*.
* A signing certificate needs no registration: it is imported as *registered* (ug-ss §3.1.2,
  "By default, the signing certificate is imported in the Registered state").

Deleting a certificate from the token is legal only where the central server no longer relies
on it (saved, deletion in progress, global error) - and always for signing certificates.

OCSP verdicts (RFC 6960 §2.2) may change freely, except that *revoked* is final (RFC 5280
§3.3: revocation cannot be undone; a reversible hold is reported as *suspended*) and so is
*expired* (validity does not come back).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from vdx.tokens.errors import invalid_request
from vdx.tokens.model import CertStatus, KeyUsage, OcspStatus


class CertEvent(enum.StrEnum):
    """What happened to a certificate, from the operator or from the global configuration."""

    REGISTRATION_REQUESTED = "registration requested"  # auth cert registration request sent
    REGISTRATION_CONFIRMED = "registration confirmed"  # global configuration lists the cert
    GLOBALCONF_MISSING = "missing from global configuration"
    DELETION_REQUESTED = "deletion requested"  # auth cert deletion request sent
    DELETE = "delete"  # the record is removed from the token


_S = CertStatus
_E = CertEvent

AUTH_TRANSITIONS: Mapping[tuple[CertStatus, CertEvent], CertStatus] = {
    (_S.SAVED, _E.REGISTRATION_REQUESTED): _S.REGISTRATION_IN_PROGRESS,
    (_S.SAVED, _E.DELETE): _S.DELETED,
    (_S.REGISTRATION_IN_PROGRESS, _E.REGISTRATION_CONFIRMED): _S.REGISTERED,
    (_S.REGISTRATION_IN_PROGRESS, _E.DELETION_REQUESTED): _S.DELETION_IN_PROGRESS,
    (_S.REGISTERED, _E.GLOBALCONF_MISSING): _S.GLOBAL_ERROR,
    (_S.REGISTERED, _E.DELETION_REQUESTED): _S.DELETION_IN_PROGRESS,
    (_S.GLOBAL_ERROR, _E.REGISTRATION_CONFIRMED): _S.REGISTERED,
    (_S.GLOBAL_ERROR, _E.DELETION_REQUESTED): _S.DELETION_IN_PROGRESS,
    (_S.GLOBAL_ERROR, _E.DELETE): _S.DELETED,
    (_S.DELETION_IN_PROGRESS, _E.DELETE): _S.DELETED,
}

SIGN_TRANSITIONS: Mapping[tuple[CertStatus, CertEvent], CertStatus] = {
    (_S.REGISTERED, _E.DELETE): _S.DELETED,
}

INITIAL_STATUS: Mapping[KeyUsage, CertStatus] = {
    KeyUsage.AUTHENTICATION: CertStatus.SAVED,
    KeyUsage.SIGNING: CertStatus.REGISTERED,
}

# Our choice: a signing certificate is usable as soon as it is imported; an authentication
# certificate is activated by the operator once it is registered (or for registration's TLS).
INITIALLY_ACTIVE: Mapping[KeyUsage, bool] = {
    KeyUsage.AUTHENTICATION: False,
    KeyUsage.SIGNING: True,
}

_FINAL_OCSP = frozenset({OcspStatus.REVOKED, OcspStatus.EXPIRED})
_INACTIVE_STATUSES = frozenset({CertStatus.DELETION_IN_PROGRESS, CertStatus.DELETED})


def transitions(usage: KeyUsage) -> Mapping[tuple[CertStatus, CertEvent], CertStatus]:
    return AUTH_TRANSITIONS if usage is KeyUsage.AUTHENTICATION else SIGN_TRANSITIONS


def next_status(usage: KeyUsage, status: CertStatus, event: CertEvent) -> CertStatus:
    """The status after ``event``; an event the table does not allow raises."""
    target = transitions(usage).get((status, event))
    if target is None:
        raise invalid_request(
            f"{usage.lower()} certificate in status {status!r} does not allow {event!r}"
        )
    return target


def next_ocsp_status(current: OcspStatus, verdict: OcspStatus) -> OcspStatus:
    """Record a new OCSP verdict; revoked and expired are final."""
    if current in _FINAL_OCSP and verdict is not current:
        raise invalid_request(f"OCSP status {current!r} is final, cannot become {verdict!r}")
    return verdict


def check_activation(status: CertStatus, ocsp: OcspStatus) -> None:
    """Raise unless a certificate in this state may be activated (used for signing / TLS)."""
    if status in _INACTIVE_STATUSES:
        raise invalid_request(f"certificate in status {status!r} cannot be activated")
    if ocsp in _FINAL_OCSP:
        raise invalid_request(f"certificate with OCSP status {ocsp!r} cannot be activated")
