"""Attribution of failures to the party at fault (pr-mess §2.5: the fault code's prefix)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from vdx.errors import Origin, XRoadError


@contextmanager
def attributed(origin: Origin, *, service_failed: bool = False) -> Iterator[None]:
    """Re-raise any :class:`XRoadError` with ``origin`` (unless one was set already)."""
    try:
        yield
    except XRoadError as error:
        if service_failed and error.origin is None:
            error = error.in_service_response()
        raise error.attributed_to(origin) from None
