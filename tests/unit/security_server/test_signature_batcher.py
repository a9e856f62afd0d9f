"""Batch signing: concurrent messages of one member share one signature operation, and each
message still verifies on its own with its hash chain (pr-messtransp §2.3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from security_server.exchange import signing
from security_server.exchange.model import SigningMaterial
from security_server.signer.batcher import SignatureBatcher
from tests.unit.security_server import exchange_support as es
from vdx.crypto.xades_create import DataPart
from vdx.crypto.xades_verify import verify_batch_signature, verify_signature
from vdx.errors import XRoadError


def _message(n: int) -> list[DataPart]:
    xml = f"<m>{n}</m>".encode()
    return [DataPart("/message.xml", xml, "text/xml")]


def test_concurrent_messages_share_signatures_and_each_verifies() -> None:
    material = es.signing("consumer")
    calls: list[int] = []
    entered = threading.Event()
    release = threading.Event()

    def counted(
        messages: Sequence[Sequence[DataPart]], m: SigningMaterial, now: datetime
    ) -> list[signing.SignatureParts]:
        calls.append(len(messages))
        if len(calls) == 1:  # hold the first operation so that the others queue behind it
            entered.set()
            release.wait(5)
        return signing.sign_batch(messages, m, now)

    batcher = SignatureBatcher(counted)
    with ThreadPoolExecutor(max_workers=9) as pool:
        first = pool.submit(batcher.sign, _message(0), material, es.NOW)
        assert entered.wait(5)
        rest = [pool.submit(batcher.sign, _message(n), material, es.NOW) for n in range(1, 9)]
        # Let the eight queue behind the held operation, then release it.
        time.sleep(0.3)
        release.set()
        results = [first.result(5)] + [f.result(5) for f in rest]
    assert calls[0] == 1
    assert sum(calls) == 9
    assert len(calls) < 9  # the eight that queued were signed in fewer operations
    assert any(r.hash_chain_result for r in results[1:])
    # Each message verifies with its own signature (and chain), and only its own.
    for n, parts in enumerate(results):
        data = {"/message.xml": _message(n)[0].data}
        other = {"/message.xml": _message(n + 100)[0].data}
        if parts.hash_chain_result is None:
            verify_signature(parts.signature, data)
            with pytest.raises(XRoadError):
                verify_signature(parts.signature, other)
            continue
        assert parts.hash_chain is not None
        chain = {
            "hash_chain_result": parts.hash_chain_result.encode(),
            "hash_chain": parts.hash_chain.encode(),
        }
        verify_batch_signature(parts.signature, message_parts=data, **chain)
        with pytest.raises(XRoadError):
            verify_batch_signature(parts.signature, message_parts=other, **chain)


def test_a_failing_key_fails_every_waiter() -> None:
    def broken(messages: Sequence[object], m: object, now: datetime) -> list[object]:
        del messages, m, now
        raise XRoadError("CannotCreateSignature", "Signing failed: token removed")

    batcher: SignatureBatcher[object, object, object] = SignatureBatcher(broken)
    with pytest.raises(XRoadError, match="token removed"):
        batcher.sign(object(), object(), es.NOW)
    # The queue stepped down: the next caller leads again.
    with pytest.raises(XRoadError):
        batcher.sign(object(), object(), es.NOW)
