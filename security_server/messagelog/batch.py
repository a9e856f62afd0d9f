"""The batch time-stamp's hash chain: one tree over the records' signature digests (pure).

As the reference's ``BatchTimestampRequest`` does, the leaves are the digests of the records'
signature XML (``signatureHash``); the time-stamp token is requested over the bytes of the
hash chain result (``ts-hashchainresult.xml``, pointing at ``/ts-hashchain.xml#STEP0``) and
each record keeps its own chain (``ts-hashchain.xml``) from the top hash down to its
``DataRef URI="/META-INF/signatures.xml"``: the files of the archive's ASiC-E container.

The tree is the shape of ``vdx.crypto.hashchain_build`` (and of the reference's
``HashChainBuilder``): leaves packed left in ``2**ceil(log2 n)`` slots, a lone left child
promoted unchanged. Unlike that builder, which renders every chain at once, the tree is kept
as its levels (about 2n digests) and a chain is rendered when asked for, so one token can cover
a whole interval's records (200,000 at 1,000 exchanges/s) without holding every chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from vdx.crypto import digests
from vdx.crypto.hashchain import DS_NS, HASHCHAIN_NS, digest_hash_step

TS_HASH_CHAIN_FILE = "/ts-hashchain.xml"
SIGNATURE_FILE = "/META-INF/signatures.xml"

_DECL = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
_NS = f'xmlns:ns2="{HASHCHAIN_NS}" xmlns:ds="{DS_NS}"'


def _b64(value: bytes) -> str:
    return digests.encode_base64(value)


def _hash_value(value: bytes) -> str:
    return f"<ns2:HashValue><ds:DigestValue>{_b64(value)}</ds:DigestValue></ns2:HashValue>"


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """The tree over one batch: its result XML (what the TSA stamps) and a chain per leaf."""

    method_uri: str
    levels: tuple[tuple[bytes, ...], ...]  # levels[0]: the leaves; levels[-1]: (top,)
    result_xml: bytes

    @property
    def top_digest(self) -> bytes:
        return self.levels[-1][0]

    def __len__(self) -> int:
        return len(self.levels[0])

    def _steps(self, index: int) -> list[tuple[bool, bytes]]:
        """(leaf side is left?, sibling value) for each branch, from the top down."""
        steps: list[tuple[bool, bytes]] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):  # else the node is promoted: no branch at this level
                steps.append((index % 2 == 0, level[sibling]))
            index //= 2
        steps.reverse()
        return steps

    def proof(self, index: int) -> bytes:
        """The ``ts-hashchain.xml`` of leaf ``index`` (byte for byte what the builder writes)."""
        leaf = self.levels[0][index]
        steps = self._steps(index)
        out = [
            _DECL,
            f"<ns2:HashChain {_NS}>",
            f'<ns2:DefaultDigestMethod Algorithm="{self.method_uri}"/>',
        ]
        for depth, (on_left, sibling) in enumerate(steps):
            if depth == len(steps) - 1:
                mine = (
                    f'<ns2:DataRef URI="{SIGNATURE_FILE}"><ds:DigestValue>{_b64(leaf)}'
                    "</ds:DigestValue></ns2:DataRef>"
                )
            else:
                mine = f'<ns2:StepRef URI="#STEP{depth + 1}"/>'
            other = _hash_value(sibling)
            pair = mine + other if on_left else other + mine
            out.append(f'<ns2:HashStep id="STEP{depth}">{pair}</ns2:HashStep>')
        out.append("</ns2:HashChain>")
        return "".join(out).encode()


def _result_xml(method_uri: str, top: bytes) -> bytes:
    return (
        f'{_DECL}<ns2:HashChainResult {_NS} URI="{TS_HASH_CHAIN_FILE}#STEP0">'
        f'<ds:DigestMethod Algorithm="{method_uri}"/>'
        f"<ds:DigestValue>{_b64(top)}</ds:DigestValue></ns2:HashChainResult>"
    ).encode()


def plan_batch(leaves: Sequence[bytes], method_uri: str = digests.SHA512) -> BatchPlan:
    """Build the tree over the signature digests ``leaves`` (at least two; a single record is
    time-stamped on its own, inside its signature, as the reference does)."""
    if len(leaves) < 2:
        raise ValueError("a batch hash chain needs at least two records")
    digests.hash_name(method_uri)
    if any(c in method_uri for c in '<&"'):
        raise ValueError("unexpected characters in the digest method URI")
    levels: list[tuple[bytes, ...]] = [tuple(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [
            digest_hash_step(method_uri, below[i : i + 2]) if i + 1 < len(below) else below[i]
            for i in range(0, len(below), 2)
        ]
        levels.append(tuple(above))
    return BatchPlan(method_uri, tuple(levels), _result_xml(method_uri, levels[-1][0]))


class LazyProofs(Mapping[int, bytes | None]):
    """Record id -> its ``ts-hashchain.xml``, rendered on access (see ``store.save_timestamp``)."""

    def __init__(self, plan: BatchPlan, record_ids: Sequence[int]) -> None:
        if len(record_ids) != len(plan):
            raise ValueError("one record id per leaf")
        self._plan = plan
        self._index = {record_id: i for i, record_id in enumerate(record_ids)}
        if len(self._index) != len(record_ids):
            raise ValueError("record ids repeat")

    def __getitem__(self, record_id: int) -> bytes:
        return self._plan.proof(self._index[record_id])

    def __iter__(self) -> Iterator[int]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)
