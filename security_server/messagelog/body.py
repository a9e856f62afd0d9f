"""What of a message goes into the log: body logging modes and the loggable size (pure).

The reference (security server user guide, message log: ``message-body-logging`` with the
``enabled/disabled-body-logging-*-producer-subsystems`` overrides) decides per service
provider whether bodies are logged. Without the body, a SOAP message keeps its envelope and
header and gets an empty ``Body``; a REST message keeps its signed header part and drops the
body. A body larger than ``max-loggable-message-body-size`` is refused with ``LoggingFailed``
("Message size exceeds maximum loggable size"): the reference's ``truncated-body-allowed``
defaults to false and a truncated body would no longer match its signature, so VDX never
truncates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from lxml import etree

from security_server.messagelog.model import LogEntry
from security_server.messagelog.settings import BodyLogging
from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.message.soap_model import NS_SOAP11


def body_mode(
    entry: LogEntry, default: BodyLogging, overrides: Mapping[str, BodyLogging]
) -> BodyLogging:
    """The mode for ``entry``: the service provider's override (subsystem, then its member),
    else ``default``."""
    provider = entry.service.provider
    for key in (provider.to_colon(), provider.member.to_colon()):
        if key in overrides:
            return overrides[key]
    return default


def _without_soap_body(message: bytes) -> bytes:
    limits = xmlsafe.XmlLimits(max_bytes=max(len(message), xmlsafe.XmlLimits().max_bytes))
    root = xmlsafe.parse(message, limits)
    body = root.find(f"{{{NS_SOAP11}}}Body")
    if body is None:
        raise XRoadError(Code.LOGGING_FAILED, "SOAP message without a Body cannot be logged")
    for child in list(body):
        body.remove(child)
    body.text = None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def loggable(entry: LogEntry, mode: BodyLogging, max_body_bytes: int) -> LogEntry | None:
    """The entry as it is to be stored, or None when nothing is logged (mode ``disabled``).

    Raises ``XRoadError(LoggingFailed)`` when a body to be logged exceeds ``max_body_bytes``.
    """
    if mode is BodyLogging.DISABLED:
        return None
    if mode is BodyLogging.METADATA:
        message = entry.message if entry.rest else _without_soap_body(entry.message)
        return dataclasses.replace(entry, message=message, body=None)
    if entry.body is None or not entry.body:
        return entry
    if max_body_bytes == 0:  # body logging switched off by size (as the reference's limit 0)
        return dataclasses.replace(entry, body=None)
    if len(entry.body) > max_body_bytes:
        raise XRoadError(
            Code.LOGGING_FAILED,
            f"Message size exceeds maximum loggable size ({len(entry.body)} > "
            f"{max_body_bytes} bytes)",
        )
    return entry
