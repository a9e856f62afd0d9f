"""Which of the provider's security servers to send to (pure; the shell is in peers.py).

A provider may be a client of several security servers. As the reference's client proxy does,
we connect to all of them at once, take the first to complete the TLS handshake, and remember
that choice for a while (the reference's ``client-proxy-fastest-connecting-ssl-uri-cache-period``,
3600 s); a remembered server that fails is forgotten and the others are tried.
Times are monotonic seconds given by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from security_server.exchange import ProviderTarget

DEFAULT_CACHE_SECONDS = 3600.0
MAX_ENTRIES = 10_000

Targets = tuple[ProviderTarget, ...]


@dataclass
class FastestChoice:
    """The remembered fastest server per set of targets (the set, not its order, is the key)."""

    period: float = DEFAULT_CACHE_SECONDS
    _chosen: dict[frozenset[ProviderTarget], tuple[ProviderTarget, float]] = field(
        default_factory=dict
    )

    def remembered(self, targets: Targets, now: float) -> ProviderTarget | None:
        """The cached choice among ``targets`` while it is younger than the period."""
        found = self._chosen.get(frozenset(targets))
        if found is None:
            return None
        target, since = found
        if now - since >= self.period or target not in targets:
            self.forget(targets)
            return None
        return target

    def remember(self, targets: Targets, chosen: ProviderTarget, now: float) -> None:
        if len(self._chosen) >= MAX_ENTRIES:
            self._chosen.clear()  # bounded memory; the next messages race again
        self._chosen[frozenset(targets)] = (chosen, now)

    def forget(self, targets: Targets) -> None:
        self._chosen.pop(frozenset(targets), None)


def fallback_order(targets: Targets, first: ProviderTarget | None) -> Targets:
    """``first`` (when given), then the other targets in configuration order."""
    if first is None:
        return targets
    return (first, *(t for t in targets if t != first))
