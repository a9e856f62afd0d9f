"""Batch signing of concurrent messages signed with the same key (the reference's signer
batches the same way: one signature over a hash chain of the messages, each message carrying
its own chain, pr-messtransp §2.3).

Callers run in worker threads (the proxies sign off the event loop, ARCHITECTURE rule 5). The
first caller for a key becomes the leader and signs everything queued for that key when it
starts; callers arriving while it signs queue for the next leader. Nobody waits for a window
to fill, so a lone message is signed at once and a busy key signs many messages per
operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

Parts = TypeVar("Parts")
Material = TypeVar("Material")
Signed = TypeVar("Signed")
SignBatch = Callable[[Sequence[Parts], Material, datetime], list[Signed]]
DEFAULT_MAX_BATCH = 128


@dataclass
class _Queue(Generic[Parts, Signed]):
    waiting: list[tuple[Parts, Future[Signed]]] = field(default_factory=list)
    signing: bool = False


class SignatureBatcher(Generic[Parts, Material, Signed]):
    """``sign(parts, material, now)`` from any thread; one ``sign_batch`` call per batch."""

    def __init__(
        self, sign_batch: SignBatch[Parts, Material, Signed], max_batch: int = DEFAULT_MAX_BATCH
    ) -> None:
        self._sign_batch = sign_batch
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queues: dict[int, _Queue[Parts, Signed]] = {}

    def sign(self, parts: Parts, material: Material, now: datetime) -> Signed:
        future: Future[Signed] = Future()
        key = _key_of(material)
        with self._lock:
            queue = self._queues.setdefault(key, _Queue())
            queue.waiting.append((parts, future))
            lead = not queue.signing
            if lead:
                queue.signing = True
        if lead:
            self._drain(key, material, now)
        return future.result()

    def _drain(self, key: int, material: Material, now: datetime) -> None:
        """Sign batches for ``key`` until nothing is queued, then step down."""
        while True:
            with self._lock:
                queue = self._queues[key]
                batch = queue.waiting[: self._max_batch]
                del queue.waiting[: self._max_batch]
                if not batch:
                    queue.signing = False
                    del self._queues[key]
                    return
            try:
                results = self._sign_batch([parts for parts, _ in batch], material, now)
            except Exception as error:  # noqa: BLE001 - every waiter gets the signer's error
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)


def _key_of(material: Any) -> int:
    # Messages may share a signature only when everything that goes into it is the same: the
    # key, the certificate and the OCSP responses embedded with it, i.e. the same material
    # object (one per member in the server's key snapshot). The leader holds it while its
    # queue exists, so its id cannot be reused meanwhile.
    return id(material)
