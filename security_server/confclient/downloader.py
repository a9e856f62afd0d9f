"""Download the global configuration over HTTP (pr-gconf §2.6, §5): the I/O shell.

For each source of the anchor, in order, until one succeeds: GET the directory at the source's
download URL, verify its signature and expiry, GET each file it lists from the same origin,
then check the digests and parse (:mod:`security_server.confclient.verify`). Every response is
read with a size limit and every request has a timeout; redirects are not followed. Failures
become ``XRoadError``: the caller keeps the last valid configuration and records the error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import structlog

from security_server.confclient.model import GlobalConfiguration
from security_server.confclient.verify import RawDownload, assemble, file_url, verify_signed
from vdx.errors import Code, XRoadError
from vdx.globalconf import ConfigurationAnchor
from vdx.globalconf.directory import DEFAULT_MAX_BYTES

log = structlog.get_logger("security_server.confclient")
_CHUNK = 64 * 1024
_DIRECTORY_TYPE = "multipart/related"


@dataclass(frozen=True, slots=True)
class DownloadLimits:
    max_directory_bytes: int = DEFAULT_MAX_BYTES
    max_file_bytes: int = 64 * 1024 * 1024  # shared parameters of a large instance: a few MB
    max_files: int = 16
    connect_timeout_seconds: float = 10.0
    request_timeout_seconds: float = 60.0


def with_version(url: str, version: int | None) -> str:
    """``?version=N`` asks a central server for one configuration version (pr-gconf §2.7)."""
    if version is None:
        return url
    parts = urlsplit(url)
    query = f"{parts.query}&version={version}" if parts.query else f"version={version}"
    return urlunsplit(parts._replace(query=query))


class Downloader:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        anchor: ConfigurationAnchor,
        limits: DownloadLimits | None = None,
        version: int | None = None,
    ) -> None:
        self._session = session
        self._anchor = anchor
        self._limits = limits or DownloadLimits()
        self._version = version

    async def download(self, now: datetime) -> tuple[GlobalConfiguration, RawDownload]:
        """A verified configuration from the first source that gives one, or raise."""
        failures: list[XRoadError] = []
        for source in self._anchor.sources:
            try:
                return await self._from_source(source.download_url, now)
            except XRoadError as error:
                log.warning(
                    "globalconf_source_failed",
                    source=source.download_url,
                    code=str(error.code),
                    error=error.message,
                )
                failures.append(error)
        if len(failures) == 1:
            raise failures[0]
        summary = "; ".join(f"{e.code}: {e.message}" for e in failures)
        raise XRoadError(failures[-1].code, f"All configuration sources failed: {summary:.2000}")

    async def _from_source(
        self, download_url: str, now: datetime
    ) -> tuple[GlobalConfiguration, RawDownload]:
        limits = self._limits
        url = with_version(download_url, self._version)
        data, content_type = await self._fetch(url, limits.max_directory_bytes)
        media = (content_type or "").split(";")[0].strip().lower()
        # A plain file server (e.g. a copy of the reference's files) sends the stored form,
        # which carries its own Content-Type line; the signature is checked either way.
        directory_type = content_type if media == _DIRECTORY_TYPE else None
        directory = await asyncio.to_thread(
            verify_signed, self._anchor, data, directory_type, now, limits.max_directory_bytes
        )
        locations = list(dict.fromkeys(p.content_location for p in directory.parts))
        if len(locations) > limits.max_files:
            raise XRoadError(
                Code.MALFORMED_GLOBALCONF,
                f"Directory lists {len(locations)} files, more than {limits.max_files}",
            )
        files: dict[str, bytes] = {}
        for location in locations:
            content, _ = await self._fetch(file_url(download_url, location), limits.max_file_bytes)
            files[location] = content
        raw = RawDownload(download_url, directory_type, data, files)
        configuration = await asyncio.to_thread(assemble, self._anchor, directory, raw)
        return configuration, raw

    async def _fetch(self, url: str, max_bytes: int) -> tuple[bytes, str | None]:
        timeout = aiohttp.ClientTimeout(
            total=self._limits.request_timeout_seconds,
            sock_connect=self._limits.connect_timeout_seconds,
        )
        try:
            async with self._session.get(url, timeout=timeout, allow_redirects=False) as response:
                if response.status != 200:
                    raise XRoadError(Code.HTTP_ERROR, f"{url:.300} answered HTTP {response.status}")
                declared = response.content_length
                if declared is not None and declared > max_bytes:
                    raise _too_large(url, max_bytes)
                body = bytearray()
                async for chunk in response.content.iter_chunked(_CHUNK):
                    body += chunk
                    if len(body) > max_bytes:
                        raise _too_large(url, max_bytes)
                return bytes(body), response.headers.get("Content-Type")
        except TimeoutError:
            raise XRoadError(Code.NETWORK_ERROR, f"Timed out downloading {url:.300}") from None
        except aiohttp.ClientError as error:
            raise XRoadError(
                Code.NETWORK_ERROR, f"Cannot download {url:.300}: {type(error).__name__}"
            ) from None


def _too_large(url: str, max_bytes: int) -> XRoadError:
    return XRoadError(Code.IO_ERROR, f"{url:.300} is larger than {max_bytes} bytes")
