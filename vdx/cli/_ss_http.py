"""A small synchronous HTTP client of the security server admin REST API (``/api/v1``).

Standard library only (``urllib.request``): the CLI makes one request at a time and exits, so
an event loop buys nothing. Proxies from the environment and redirects are both switched off:
the requests carry the API key (``Authorization: X-Road-ApiKey token=...``), which must go to
the given URL and nowhere else.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

PREFIX = "/api/v1"
DEFAULT_URL = "http://127.0.0.1:4000"
MAX_REPLY = 16 * 1024 * 1024  # an audit-log page or a token with many keys fits easily
MAX_ERROR_TEXT = 300


class UnreachableError(Exception):
    """No HTTP answer: connection refused, unknown host, timeout, TLS failure."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach the security server admin API at {url}: {reason}")
        self.message = str(self)


class ApiError(Exception):
    """The API answered 4xx/5xx; ``body`` is its JSON (``{"status", "error"}``) when it sent one."""

    def __init__(self, status: int, code: str, message: str, body: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.body = body


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        """The JSON body, or ``None`` for an empty one (204)."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(
                self.status, "bad_reply", "The API answered something that is not JSON", None
            ) from None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def segment(value: str) -> str:
    """One path segment: identifiers keep their colon form, URL-encoded (``:`` as ``%3A``)."""
    return urllib.parse.quote(value, safe="")


def base_url(url: str) -> str:
    """``http(s)://host:port`` without a trailing ``/`` or ``/api/v1``; other schemes refused."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{url!r:.100} is not an http:// or https:// URL")
    path = parsed.path.rstrip("/")
    path = path.removesuffix(PREFIX)
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the API key to wherever the answer points; refuse instead.
    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        del req, fp, code, msg, headers, newurl
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _refusal(status: int, reason: str, raw: bytes) -> ApiError:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return ApiError(status, str(error.get("code", "error")), error["message"], body)
    text = raw.decode("utf-8", errors="replace").strip()[:MAX_ERROR_TEXT]
    return ApiError(status, "http", f"HTTP {status} {reason}" + (f": {text}" if text else ""), body)


@dataclass(frozen=True, slots=True)
class AdminClient:
    """The API at ``url`` (``http://host:port``), authenticated with ``api_key`` when given."""

    url: str
    api_key: str | None
    timeout: float

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str | None = None,
        query: Mapping[str, str | int] | None = None,
    ) -> Reply:
        """Send one request; ``body`` goes as JSON, ``raw`` as it is (with ``content_type``)."""
        target = self.url + PREFIX + path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            data = raw
            headers["Content-Type"] = content_type or "application/octet-stream"
        if self.api_key:
            headers["Authorization"] = f"X-Road-ApiKey token={self.api_key}"
        request = urllib.request.Request(target, data=data, headers=headers, method=method)  # noqa: S310 - the scheme was checked by base_url
        try:
            with _OPENER.open(request, timeout=self.timeout) as answer:
                content = answer.read(MAX_REPLY + 1)
                if len(content) > MAX_REPLY:
                    raise ApiError(answer.status, "too_large", "The answer is too large", None)
                kind = answer.headers.get_content_type() if answer.headers else ""
                return Reply(answer.status, kind, content)
        except urllib.error.HTTPError as error:
            try:
                raw_error = error.read(64 * 1024) if error.fp is not None else b""
            finally:
                error.close()
            raise _refusal(error.code, str(error.reason), raw_error) from None
        except urllib.error.URLError as error:
            raise UnreachableError(self.url, self._reason(error.reason)) from None
        except (OSError, http.client.HTTPException) as error:
            # Timeouts and resets while reading, or an answer that is not HTTP at all.
            raise UnreachableError(self.url, self._reason(error)) from None

    def _reason(self, reason: object) -> str:
        if isinstance(reason, TimeoutError):
            return f"no answer within {self.timeout:g} s"
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return str(reason) or type(reason).__name__
