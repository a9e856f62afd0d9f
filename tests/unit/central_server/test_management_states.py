"""The request state machine and auto-approval table (central_server/management/states.py)."""

from __future__ import annotations

import pytest

from central_server.management.states import (
    DEFAULT_AUTO_APPROVE,
    TRANSITIONS,
    Event,
    InvalidTransitionError,
    State,
    auto_approves,
    next_state,
)
from vdx.message.management import RequestType


@pytest.mark.parametrize(
    ("event", "end"),
    [
        (Event.APPROVE, State.APPROVED),
        (Event.REJECT, State.REJECTED),
        (Event.REVOKE, State.REVOKED),
    ],
)
def test_pending_moves_on(event: Event, end: State) -> None:
    assert next_state(State.PENDING, event) is end


@pytest.mark.parametrize("state", [State.APPROVED, State.REJECTED, State.REVOKED])
@pytest.mark.parametrize("event", list(Event))
def test_decided_requests_are_final(state: State, event: Event) -> None:
    with pytest.raises(InvalidTransitionError, match=f"cannot {event}"):
        next_state(state, event)


def test_only_pending_has_exits() -> None:
    assert {state for state, _ in TRANSITIONS} == {State.PENDING}


def test_every_type_has_an_auto_approval_default() -> None:
    assert set(DEFAULT_AUTO_APPROVE) == set(RequestType)


def test_registrations_wait_for_the_operator_unless_configured() -> None:
    assert not auto_approves(RequestType.AUTH_CERT_REG)
    assert not auto_approves(RequestType.CLIENT_REG)
    assert auto_approves(RequestType.CLIENT_REG, {RequestType.CLIENT_REG: True})
    assert auto_approves(RequestType.ADDRESS_CHANGE)
    assert not auto_approves(RequestType.ADDRESS_CHANGE, {RequestType.ADDRESS_CHANGE: False})
