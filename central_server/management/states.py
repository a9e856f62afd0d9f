"""The life of a management request as tables: states, operator events, auto-approval.

``pending`` is the only state with a way out: the operator approves (the change is applied to
the registry) or rejects it, or it is revoked (by the operator, or when the security server
withdraws what it asked for). X-Road rejects silently; here the security server may poll.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from vdx.message.management import RequestType

T = RequestType


class State(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class Event(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REVOKE = "revoke"


TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.PENDING, Event.APPROVE): State.APPROVED,
    (State.PENDING, Event.REJECT): State.REJECTED,
    (State.PENDING, Event.REVOKE): State.REVOKED,
}


class InvalidTransitionError(ValueError):
    """The event does not apply to the request's state (already decided)."""

    def __init__(self, state: State, event: Event) -> None:
        super().__init__(f"cannot {event} a request that is {state}")
        self.state = state
        self.event = event


def next_state(state: State, event: Event) -> State:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransitionError(state, event) from None


# Registrations wait for the operator; the rest change only what the owner already has and
# take effect at once, as in X-Road (its central server applies them without approval).
DEFAULT_AUTO_APPROVE: dict[RequestType, bool] = {
    T.AUTH_CERT_REG: False,
    T.CLIENT_REG: False,
    T.OWNER_CHANGE: False,
    T.CLIENT_DELETION: True,
    T.AUTH_CERT_DELETION: True,
    T.ADDRESS_CHANGE: True,
    T.CLIENT_DISABLE: True,
    T.CLIENT_ENABLE: True,
    T.CLIENT_RENAME: True,
    T.MAINTENANCE_MODE_ENABLE: True,
    T.MAINTENANCE_MODE_DISABLE: True,
}

# Types the registry can apply: every type of the protocol (pr-mserv §2).
SUPPORTED: frozenset[RequestType] = frozenset(DEFAULT_AUTO_APPROVE)


def auto_approves(kind: RequestType, overrides: Mapping[RequestType, bool] | None = None) -> bool:
    """Whether ``kind`` is applied without the operator (settings override the defaults)."""
    if overrides and kind in overrides:
        return overrides[kind]
    return DEFAULT_AUTO_APPROVE[kind]
