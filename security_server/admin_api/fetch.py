"""Downloading a WSDL or OpenAPI document for a service description (the I/O shell).

The service layer takes documents as bytes; the admin API fetches them here, over http(s)
only, with a size cap and a total timeout (ss-admin contract §2: 10 MiB, 30 s), so an
operator's typo cannot tie up the server or fill its memory. Redirects are followed only to
http(s) (aiohttp refuses other schemes) and at most a few times.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from security_server.admin_api.errors import ApiError

MAX_DOCUMENT = 10 * 1024 * 1024
TIMEOUT_SECONDS = 30.0
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = MAX_DOCUMENT
    timeout_seconds: float = TIMEOUT_SECONDS


def _failed(url: str, why: str) -> ApiError:
    return ApiError(400, "download_failed", f"Could not download {url[:200]}: {why}")


async def fetch_document(url: str, limits: FetchLimits) -> bytes:
    """The body at ``url``; ``ApiError(400, download_failed)`` when it cannot be had."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(400, "invalid", "The URL must be an http or https URL with a host")
    timeout = aiohttp.ClientTimeout(total=limits.timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, max_redirects=MAX_REDIRECTS) as response,
        ):
            if response.status != 200:
                raise _failed(url, f"HTTP {response.status}")
            declared = response.content_length
            if declared is not None and declared > limits.max_bytes:
                raise _failed(url, f"larger than {limits.max_bytes} bytes")
            data = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > limits.max_bytes:
                    raise _failed(url, f"larger than {limits.max_bytes} bytes")
            return bytes(data)
    except TimeoutError:
        raise _failed(url, f"no answer within {limits.timeout_seconds:g} s") from None
    except aiohttp.ClientError as error:
        raise _failed(url, type(error).__name__) from None
    except ValueError:  # a URL aiohttp cannot use
        raise _failed(url, "not a usable URL") from None
