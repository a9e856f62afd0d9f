"""Signed document download: ``GET /asic`` and ``GET /verificationconf`` on the client side.

As the reference's ``AsicContainerClientRequestProcessor`` (Signed Document Download and
Verification Manual UG-SIGDOC §2, §3.2) answers them:

- ``/asic?queryId=..&xRoadInstance=..&memberClass=..&memberCode=..[&subsystemCode=..]``
  with ``requestOnly`` or ``responseOnly`` (not both), ``unique`` (needs one of them) and
  ``force`` (time-stamp what is not stamped yet). The answer is a ZIP of the containers
  (``application/zip``, ``<queryId>[-request|-response].zip``, entries stored) or, with
  ``unique``, the one container (``application/vnd.etsi.asic-e+zip``). Containers are named
  as in archives (``<queryId>-<request|response>-<record id base 32>.asice``).
- Checks in the reference's order, each answered with its HTTP status and a plain-text
  message: a missing client parameter (400), a client this server does not serve (401), a
  missing ``queryId`` (400), ``requestOnly`` with ``responseOnly`` (400), no records (404),
  records not stamped yet (500, or stamped now with ``force``), ``unique`` alone (400).
- ``/verificationconf``: a ZIP (``verificationconf.zip``) of what the offline verifier needs:
  ``verificationconf/<instance>/shared-params.xml`` with its ``.metadata``, and
  ``verificationconf/instance-identifier``. Extracted, the ``verificationconf`` folder is what
  ``vdx asic verify --trust`` and ``vdx archive verify --trust`` read.

Only records logged for the requested client are found (the store's ``find``), and only for a
client this server serves (the ``may_download`` predicate of the composition root).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog
from aiohttp import web

from security_server.confclient.model import GlobalConfiguration
from security_server.messagelog.asic_build import (
    container_name,
    escape_file_name,
    record_container,
)
from security_server.messagelog.model import StoredRecord, TimestampRecord
from security_server.messagelog.store import MessageLogStore
from vdx.crypto.asic import MIMETYPE as ASIC_MIMETYPE
from vdx.crypto.asic_zip import write_zip
from vdx.errors import XRoadError
from vdx.globalconf.shared_params_produce import produce_shared_params
from vdx.identifiers.model import ClientId

PARAM_INSTANCE = "xRoadInstance"
PARAM_MEMBER_CLASS = "memberClass"
PARAM_MEMBER_CODE = "memberCode"
PARAM_SUBSYSTEM_CODE = "subsystemCode"
PARAM_QUERY_ID = "queryId"
PARAM_REQUEST_ONLY = "requestOnly"
PARAM_RESPONSE_ONLY = "responseOnly"
PARAM_UNIQUE = "unique"
PARAM_FORCE = "force"
ZIP_MIMETYPE = "application/zip"
VERIFICATIONCONF_PREFIX = "verificationconf/"
# The reference's messages, word for word (including the double space).
MISSING_PARAMETER = 'Parameter "{}"  must be specified.'
BOTH_TYPES = (
    f'Parameters "{PARAM_REQUEST_ONLY}" and "{PARAM_RESPONSE_ONLY}" cannot be used at the same'
    " time."
)
UNIQUE_ALONE = (
    f'Parameter "{PARAM_UNIQUE}" not applicable without "{PARAM_REQUEST_ONLY}" or'
    f' "{PARAM_RESPONSE_ONLY}".'
)
NOT_FOUND = "No signed documents found"
NOT_STAMPED = "Message signature has not been timestamped yet!"
STAMPING_FAILED = "Could not create missing timestamp!"
log = structlog.get_logger("security_server.messagelog.download")

VerificationFiles = Callable[[], tuple[str, Mapping[str, bytes]] | None]
Found = list[tuple[StoredRecord, TimestampRecord | None]]
# Time-stamps the given records now (the ``force`` parameter); raises when it cannot.
ForceTimestamp = Callable[[Sequence[StoredRecord]], Awaitable[None]]


class DownloadError(Exception):
    """An answer other than the document: HTTP status and the reference's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class AsicQuery:
    client: ClientId
    query_id: str
    response: bool | None  # None: requests and responses
    unique: bool
    force: bool


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise DownloadError(400, MISSING_PARAMETER.format(name))
    return value


def parse_client(params: Mapping[str, str]) -> ClientId:
    """The client of the query; ``DownloadError(400)`` when a part is missing or malformed."""
    instance = _required(params, PARAM_INSTANCE)
    member_class = _required(params, PARAM_MEMBER_CLASS)
    member_code = _required(params, PARAM_MEMBER_CODE)
    try:
        return ClientId(instance, member_class, member_code, params.get(PARAM_SUBSYSTEM_CODE))
    except XRoadError as error:
        raise DownloadError(400, error.message) from None


def parse_query(params: Mapping[str, str], client: ClientId) -> AsicQuery:
    """The rest of the query, after the client was authorised (reference order)."""
    query_id = _required(params, PARAM_QUERY_ID)
    request_only, response_only = PARAM_REQUEST_ONLY in params, PARAM_RESPONSE_ONLY in params
    if request_only and response_only:
        raise DownloadError(400, BOTH_TYPES)
    response = True if response_only else (False if request_only else None)
    return AsicQuery(client, query_id, response, PARAM_UNIQUE in params, PARAM_FORCE in params)


def select(found: Found, response: bool | None) -> Found:
    return [(r, t) for r, t in found if response is None or r.entry.response == response]


def zip_name(query: AsicQuery) -> str:
    kind = "" if query.response is None else ("-response" if query.response else "-request")
    return f"{escape_file_name(query.query_id)}{kind}.zip"


def containers_zip(found: Found, query_id: str) -> bytes:
    """A ZIP of the stamped records' containers, stored (as the reference writes it)."""
    members = [
        (
            container_name(query_id, r.entry.response, r.id),
            record_container(r, t, modified=r.entry.created_at),
            True,
        )
        for r, t in found
        if t is not None  # stamped only: a record logged after the check waits (reference)
    ]
    return write_zip(members)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _text(error: DownloadError) -> web.Response:
    return web.Response(status=error.status, text=error.message, content_type="text/plain")


@dataclass(frozen=True)
class AsicDownload:
    """The two handlers over one store; see the module docstring."""

    store: MessageLogStore
    may_download: Callable[[ClientId], bool]
    verification_files: VerificationFiles  # own instance, instance -> shared-params.xml
    force_timestamp: ForceTimestamp | None = None

    async def asic(self, request: web.Request) -> web.Response:
        try:
            return await self._asic(request.query)
        except DownloadError as error:
            return _text(error)
        except Exception:  # never a stack trace to the caller (ARCHITECTURE rule 3)
            log.exception("asic_download_failed")
            return web.Response(status=500, text="Internal error", content_type="text/plain")

    async def _asic(self, params: Mapping[str, str]) -> web.Response:
        client = parse_client(params)
        if not self.may_download(client):
            # The reference's IsAuthentication check: unknown client, 401.
            raise DownloadError(401, f"Client '{client}' not found")
        query = parse_query(params, client)
        found = await self._stamped(query)
        if query.unique:
            if query.response is None:
                raise DownloadError(400, UNIQUE_ALONE)
            record, stamp = found[0]
            if stamp is None:
                raise DownloadError(500, NOT_STAMPED)
            name = container_name(query.query_id, query.response, record.id)
            body = await asyncio.to_thread(record_container, record, stamp)
            return web.Response(body=body, content_type=ASIC_MIMETYPE, headers=_attachment(name))
        body = await asyncio.to_thread(containers_zip, found, query.query_id)
        headers = _attachment(zip_name(query))
        return web.Response(body=body, content_type=ZIP_MIMETYPE, headers=headers)

    async def _stamped(self, query: AsicQuery) -> Found:
        found = select(await self.store.find(query.query_id, query.client), query.response)
        if not found:
            raise DownloadError(404, NOT_FOUND)
        missing = [r for r, t in found if t is None]
        if not missing:
            return found
        if not query.force:
            raise DownloadError(500, NOT_STAMPED)
        if self.force_timestamp is None:
            raise DownloadError(500, STAMPING_FAILED)
        try:
            await self.force_timestamp(missing)
        except Exception:  # the reference answers any failure with this one message
            log.exception("asic_force_timestamp_failed", query_id=query.query_id)
            raise DownloadError(500, STAMPING_FAILED) from None
        found = select(await self.store.find(query.query_id, query.client), query.response)
        if any(t is None for _, t in found):
            raise DownloadError(500, STAMPING_FAILED)
        return found

    async def verificationconf(self, _request: web.Request) -> web.Response:
        files = await asyncio.to_thread(self.verification_files)
        if files is None:
            return _text(DownloadError(500, "Global configuration is not available"))
        instance, shared = files
        body = await asyncio.to_thread(verificationconf_zip, instance, shared)
        headers = {"Content-Disposition": 'filename="verificationconf.zip"'}
        return web.Response(body=body, content_type=ZIP_MIMETYPE, headers=headers)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/asic", self.asic)
        app.router.add_get("/verificationconf", self.verificationconf)


def verificationconf_zip(
    instance: str, shared_params: Mapping[str, bytes], version: int | None = None
) -> bytes:
    """``verificationconf/<instance>/shared-params.xml`` (+ ``.metadata``) per instance and
    ``verificationconf/instance-identifier`` naming this server's own instance."""
    members: list[tuple[str, bytes, bool]] = []
    for name, data in sorted(shared_params.items()):
        path = f"{VERIFICATIONCONF_PREFIX}{name}/shared-params.xml"
        metadata = {
            "contentIdentifier": None,
            "instanceIdentifier": None,
            "expirationDate": None,
            "contentFileName": None,
            "contentLocation": None,
            "configurationVersion": None if version is None else str(version),
        }
        members.append((path, data, False))
        members.append((path + ".metadata", json.dumps(metadata).encode(), False))
    members.append((f"{VERIFICATIONCONF_PREFIX}instance-identifier", instance.encode(), False))
    return write_zip(members)


def configuration_files(current: Callable[[], GlobalConfiguration | None]) -> VerificationFiles:
    """The verification files of the configuration in use (its own instance's parameters).

    The configuration client keeps the parsed shared parameters; they are written out again
    (:func:`produce_shared_params`), which carries every approved CA, OCSP responder and TSA.
    """

    def files() -> tuple[str, Mapping[str, bytes]] | None:
        configuration = current()
        if configuration is None:
            return None
        shared = produce_shared_params(configuration.shared)
        return configuration.instance, {configuration.instance: shared}

    return files
