"""Ask the approved time-stamping authorities for RFC 3161 tokens, in priority order.

The approved TSAs come from the global configuration in the order the operator listed them;
the first one that answers with a token that verifies (right imprint, nonce, approved TSA
certificate) wins. When every TSA fails the caller gets ``TimestampingFailed`` with each
reason, and decides (message log issue) whether the grace period still allows traffic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from vdx.crypto import timestamp
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError

QUERY_TYPE = "application/timestamp-query"
MAX_REPLY_BYTES = 256 * 1024


@dataclass
class TsaClient:
    session: aiohttp.ClientSession
    trust: TrustConfig
    timeout_seconds: float = 10.0
    hash_name: str = "sha512"

    async def timestamp(self, data: bytes, now: datetime) -> timestamp.TimestampInfo:
        """A verified token over ``data`` from the first TSA that provides one."""
        failures: list[str] = []
        for tsa in self.trust.tsas:
            request = timestamp.build_request(data, hash_name=self.hash_name)
            try:
                reply = await self._post(tsa.url, request.der)
                return timestamp.verify_timestamp(
                    timestamp.token_from_response(reply),
                    data=data,
                    trust=self.trust,
                    nonce=request.nonce,
                    now=now,
                )
            except (aiohttp.ClientError, TimeoutError, XRoadError) as error:
                failures.append(f"{tsa.name} ({tsa.url}): {error}")
        detail = "; ".join(failures) or "no approved TSA in the global configuration"
        raise XRoadError(Code.TIMESTAMPING_FAILED, f"Time-stamping failed: {detail}")

    async def _post(self, url: str, request: bytes) -> bytes:
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with (
            asyncio.timeout(self.timeout_seconds),
            self.session.post(
                url, data=request, headers={"Content-Type": QUERY_TYPE}, timeout=timeout
            ) as response,
        ):
            if response.status != 200:
                raise XRoadError(Code.HTTP_ERROR, f"TSA answered HTTP {response.status}")
            body = await response.content.read(MAX_REPLY_BYTES + 1)
            if len(body) > MAX_REPLY_BYTES:
                raise XRoadError(Code.INVALID_RESPONSE, "TSA reply too large")
            return body
