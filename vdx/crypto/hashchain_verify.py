"""Verification of X-Road hash chains against their signed or timestamped result.

Algorithm (as the reference ``HashChainVerifier`` computes it, so our verdicts agree):

1. Resolve the step the result's URI names (``file#id``; the file comes from the resolver).
2. A step's value list becomes DigestList octets: a ``HashValue`` contributes its literal digest;
   a ``StepRef`` the digest of the referenced step's DigestList; a ``DataRef`` the digest the
   caller supplied for that input (if its algorithm matches), else the digest of the resolved
   data after its transforms, which must equal the digest written in the chain
   (``InvalidHashChainRef``), or, when the resolver declines to resolve it, the written digest.
3. The digest of the first step's octets must equal the result (``InvalidHashChain``).
4. Every input the caller named must have been referenced (``HashChainUnusedInputs``).

Each value's algorithm is its own ``ds:DigestMethod`` or the chain's ``DefaultDigestMethod``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from vdx import xmlsafe
from vdx.crypto import digests
from vdx.crypto.hashchain import (
    DataRef,
    Digest,
    HashChain,
    HashChainResult,
    HashValue,
    StepRef,
    StepValue,
    digest_list,
    parse_hash_chain,
    parse_hash_chain_result,
)
from vdx.errors import Code, XRoadError

DEFAULT_MAX_STEPS = 10_000


class HashChainResolver(Protocol):
    """Supplies the files a hash chain refers to (other chains, messages, attachments)."""

    def resolve(self, uri: str) -> bytes | None:
        """The file's bytes, or ``None`` if there is no such file."""

    def should_resolve(self, uri: str, digest: bytes) -> bool:
        """``False`` to accept the digest written in the chain without reading the data
        (e.g. attachments that are not stored next to the message)."""


@dataclass(frozen=True)
class DocumentResolver:
    """A resolver over files held in memory, e.g. the entries of an ASiC container."""

    documents: Mapping[str, bytes]
    not_resolved: frozenset[str] = frozenset()

    def resolve(self, uri: str) -> bytes | None:
        return self.documents.get(uri)

    def should_resolve(self, uri: str, digest: bytes) -> bool:  # noqa: ARG002 - protocol shape
        return uri not in self.not_resolved


@dataclass
class _Verification:
    resolver: HashChainResolver
    inputs: Mapping[str, Digest | None]
    limits: xmlsafe.XmlLimits | None
    max_steps: int
    chains: dict[str, HashChain] = field(default_factory=dict)
    used_inputs: set[str] = field(default_factory=set)
    active_steps: list[tuple[str, str]] = field(default_factory=list)
    steps_resolved: int = 0

    def chain(self, file_uri: str) -> HashChain:
        cached = self.chains.get(file_uri)
        if cached is None:
            data = self.resolver.resolve(file_uri)
            if data is None:
                raise XRoadError(Code.INVALID_REFERENCE, f"Cannot resolve URI: {file_uri:.200}")
            cached = self.chains[file_uri] = parse_hash_chain(data, self.limits)
        return cached

    def step_octets(self, uri: str, current_file: str | None) -> bytes:
        """DigestList octets of the step ``uri`` names (XML-DSig style ``file#fragment``)."""
        base, hash_sign, fragment = uri.partition("#")
        if not hash_sign or not fragment:
            raise XRoadError(Code.MALFORMED_HASH_CHAIN, f"Invalid hash step URI: {uri:.200}")
        file_uri = base or current_file
        if file_uri is None:
            raise XRoadError(Code.MALFORMED_HASH_CHAIN, f"Invalid hash step URI: {uri:.200}")
        key = (file_uri, fragment)
        if key in self.active_steps:
            # The reference would recurse forever; a cycle is never a valid Merkle path.
            raise XRoadError(Code.MALFORMED_HASH_CHAIN, f"Hash step cycle at {uri:.200}")
        self.steps_resolved += 1
        if self.steps_resolved > self.max_steps:
            raise XRoadError(Code.MALFORMED_HASH_CHAIN, "Hash chain has too many steps")
        chain = self.chain(file_uri)
        step = chain.step(fragment)
        if step is None:
            raise XRoadError(Code.MALFORMED_HASH_CHAIN, f"Invalid hash step URI: {uri:.200}")
        self.active_steps.append(key)
        try:
            values = [self.value(v, chain, file_uri) for v in step.values]
        finally:
            self.active_steps.pop()
        return digest_list(values)

    def value(self, value: StepValue, chain: HashChain, file_uri: str) -> Digest:
        method = _method(value.method_uri, chain)
        if isinstance(value, HashValue):
            return Digest(method, value.value)
        if isinstance(value, StepRef):
            return Digest(method, digests.digest(method, self.step_octets(value.uri, file_uri)))
        return self.data_ref(value, method)

    def data_ref(self, ref: DataRef, method: str) -> Digest:
        if ref.uri in self.inputs:
            self.used_inputs.add(ref.uri)
            given = self.inputs[ref.uri]
            if given is not None and given.method_uri == method:
                # The caller vouches for this input's digest; the result check covers it.
                return given
        if not self.resolver.should_resolve(ref.uri, ref.value):
            return Digest(method, ref.value)
        data = self.resolver.resolve(ref.uri)
        if data is None:
            raise XRoadError(Code.INVALID_REFERENCE, f"Cannot resolve URI: {ref.uri:.200}")
        for transform in ref.transforms:
            data = _transform(data, transform, ref.uri, self.limits)
        computed = digests.digest(method, data)
        if not hmac.compare_digest(computed, ref.value):
            raise XRoadError(
                Code.INVALID_HASH_CHAIN_REF,
                f"Invalid digest value in hash chain reference to {ref.uri:.200}",
            )
        return Digest(method, computed)


def _method(own: str | None, chain: HashChain) -> str:
    method = own or chain.default_method_uri
    if method is None:
        raise XRoadError(
            Code.MALFORMED_HASH_CHAIN, "Hash chain value without digest method and no default"
        )
    return method


def _transform(data: bytes, algorithm: str, uri: str, limits: xmlsafe.XmlLimits | None) -> bytes:
    """Apply one canonicalisation transform (the only kind a hash chain reference uses)."""
    try:
        return digests.canonicalize_document(data, algorithm, limits)
    except XRoadError as error:
        if error.code == Code.UNSUPPORTED_ALGORITHM:
            raise
        raise XRoadError(
            Code.INVALID_HASH_CHAIN_REF, f"Cannot transform {uri:.200}: {error.message}"
        ) from None


def verify_hash_chain(
    result: bytes | HashChainResult,
    resolver: HashChainResolver,
    inputs: Mapping[str, Digest | None],
    *,
    limits: xmlsafe.XmlLimits | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> HashChainResult:
    """Check that every input in ``inputs`` is covered by the chain ending in ``result``.

    ``inputs`` maps data file names (``/message.xml``, ``/attachment1``) to the digest the caller
    computed, or to ``None`` to have the resolver supply the data. Returns the decoded result;
    raises ``XRoadError`` (``MalformedHashChain``, ``InvalidHashChainRef``, ``InvalidHashChain``,
    ``HashChainUnusedInputs``, ``InvalidReference``, ``UnsupportedAlgorithm``) otherwise.
    """
    if isinstance(result, bytes):
        result = parse_hash_chain_result(result, limits)
    if result.method_uri is None:
        raise XRoadError(Code.MALFORMED_HASH_CHAIN, "Hash chain result without digest method")
    run = _Verification(resolver, inputs, limits, max_steps)
    top = digests.digest(result.method_uri, run.step_octets(result.uri, None))
    if not hmac.compare_digest(top, result.value):
        raise XRoadError(
            Code.INVALID_HASH_CHAIN_RESULT,
            "Hash chain result does not match hash chain calculation",
        )
    unused = sorted(set(inputs) - run.used_inputs)
    if unused:
        raise XRoadError(
            Code.HASHCHAIN_UNUSED_INPUTS,
            "Some inputs were not referenced by hash chain: " + ", ".join(u[:100] for u in unused),
        )
    return result
