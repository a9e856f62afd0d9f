"""The generation being served, swapped whole.

Publishing replaces one reference, so a reader holds either the old or the new generation,
never a mix. The generation before the current one stays reachable for its files: a client
that fetched the directory just before a swap can still download the parts it lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from central_server.confgen import GeneratedConfiguration, GeneratedFile


@dataclass(frozen=True, slots=True)
class _Served:
    current: GeneratedConfiguration
    previous: GeneratedConfiguration | None


class ConfigurationStore:
    def __init__(self, initial: GeneratedConfiguration | None = None) -> None:
        self._served: _Served | None = None if initial is None else _Served(initial, None)

    @property
    def current(self) -> GeneratedConfiguration | None:
        served = self._served
        return None if served is None else served.current

    def publish(self, generation: GeneratedConfiguration) -> None:
        served = self._served
        self._served = _Served(generation, None if served is None else served.current)

    def file(self, location: str) -> GeneratedFile | None:
        served = self._served  # one read: both lookups see the same pair
        if served is None:
            return None
        found = served.current.file(location)
        if found is None and served.previous is not None:
            found = served.previous.file(location)
        return found
