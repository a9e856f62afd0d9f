"""What the configuration client does with an outcome, and whether traffic may flow (pure).

pr-gconf §5 and ARCHITECTURE rule 8: the client keeps the last valid configuration on any
failure, replaces it only by a verified newer one, and once the configuration in use has passed
its Expire-date (§2.4) the server refuses traffic with ``OutdatedGlobalConf`` instead of
routing on stale data. No I/O here: the state, the outcome and ``now`` come in, a new state and
the action taken go out, so every transition is a plain unit test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from security_server.confclient.model import GlobalConfiguration
from vdx.errors import Code, XRoadError

EXPIRED_MESSAGE = "Global configuration is expired"  # the reference's wording for this fault
MISSING_MESSAGE = "No global configuration has been downloaded yet"


class Action(enum.StrEnum):
    FIRST = "first"  # nothing was in use: the downloaded configuration is used
    NEWER = "newer"  # replaces the one in use
    UNCHANGED = "unchanged"  # the same signed directory again: nothing to swap
    OLDER = "older"  # valid, but older than the one in use (replay or rollback): refused
    FAILED = "failed"  # download or verification failed: the last valid one stays
    RESTORED = "restored"  # read back from disk at start and verified again
    RESTORE_FAILED = "restore_failed"


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    code: str
    message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ClientState:
    current: GlobalConfiguration | None = None
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: ErrorRecord | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class Downloaded:
    configuration: GlobalConfiguration


@dataclass(frozen=True, slots=True)
class Failed:
    error: XRoadError


Outcome = Downloaded | Failed


@dataclass(frozen=True, slots=True)
class Transition:
    state: ClientState
    action: Action

    @property
    def swapped(self) -> bool:
        return self.action in (Action.FIRST, Action.NEWER, Action.RESTORED)

    @property
    def persist(self) -> bool:
        """Write to disk only what came from the network and is now in use."""
        return self.action in (Action.FIRST, Action.NEWER)

    @property
    def failed(self) -> bool:
        return self.action in (Action.FAILED, Action.OLDER, Action.RESTORE_FAILED)


def _failure(state: ClientState, error: XRoadError, now: datetime, action: Action) -> Transition:
    record = ErrorRecord(str(error.code), error.message, now)
    failures = state.consecutive_failures + (0 if action is Action.RESTORE_FAILED else 1)
    return Transition(replace(state, last_error=record, consecutive_failures=failures), action)


def _expired_candidate(candidate: GlobalConfiguration) -> XRoadError:
    return XRoadError(
        Code.OUTDATED_GLOBALCONF,
        f"Configuration instance {candidate.instance} expired on "
        f"{candidate.expire_date.isoformat()}",
    )


def on_download(state: ClientState, outcome: Outcome, now: datetime) -> Transition:
    """The state after one download attempt at ``now``."""
    attempted = replace(state, last_attempt=now)
    if isinstance(outcome, Failed):
        return _failure(attempted, outcome.error, now, Action.FAILED)
    candidate = outcome.configuration
    if candidate.is_expired(now):  # verification checks this too; never trust one path alone
        return _failure(attempted, _expired_candidate(candidate), now, Action.FAILED)
    current = state.current
    succeeded = replace(attempted, last_success=now, last_error=None, consecutive_failures=0)
    if current is None or current.is_expired(now):
        return Transition(replace(succeeded, current=candidate), Action.FIRST)
    if candidate.directory_digest == current.directory_digest:
        return Transition(succeeded, Action.UNCHANGED)
    if candidate.expire_date < current.expire_date:
        error = XRoadError(
            Code.OUTDATED_GLOBALCONF,
            f"Downloaded configuration expires on {candidate.expire_date.isoformat()}, before "
            f"the one in use ({current.expire_date.isoformat()}); kept the one in use",
        )
        return _failure(attempted, error, now, Action.OLDER)
    return Transition(replace(succeeded, current=candidate), Action.NEWER)


def on_restore(state: ClientState, outcome: Outcome, now: datetime) -> Transition:
    """At start: a configuration read from disk (and verified again) is used until a download
    replaces it, so a restarted server works offline until the stored one expires."""
    if state.current is not None:
        return Transition(state, Action.UNCHANGED)
    if isinstance(outcome, Failed):
        return _failure(state, outcome.error, now, Action.RESTORE_FAILED)
    if outcome.configuration.is_expired(now):
        error = _expired_candidate(outcome.configuration)
        return _failure(state, error, now, Action.RESTORE_FAILED)
    return Transition(replace(state, current=outcome.configuration), Action.RESTORED)


def require_valid(configuration: GlobalConfiguration | None, now: datetime) -> GlobalConfiguration:
    """The configuration traffic may use at ``now``, or ``XRoadError(OutdatedGlobalConf)``.

    The boundary attributes the origin (``Server.ClientProxy.OutdatedGlobalConf`` on the
    consumer side, ``Server.ServerProxy.OutdatedGlobalConf`` on the provider side).
    """
    if configuration is None:
        raise XRoadError(Code.OUTDATED_GLOBALCONF, MISSING_MESSAGE)
    if configuration.is_expired(now):
        raise XRoadError(Code.OUTDATED_GLOBALCONF, EXPIRED_MESSAGE)
    return configuration


def next_delay(state: ClientState, now: datetime, interval_seconds: float) -> float:
    """Seconds until the next round: the interval, or just past the expiry of the one in use
    when that comes first. A configuration refused as older (or a changed expiry period at
    the central server) is taken as soon as the one in use expires, not up to an interval
    later; until then traffic would be refused."""
    current = state.current
    if current is None:
        return interval_seconds
    remaining = current.seconds_to_expiry(now)
    if 0 <= remaining < interval_seconds:
        return remaining + 1.0
    return interval_seconds


@dataclass(frozen=True, slots=True)
class ConfClientStatus:
    """For ``/health`` (``healthy`` / ``reason``) and the admin API (the rest)."""

    healthy: bool
    reason: str | None
    instance: str | None
    version: int | None
    source_url: str | None
    expire_date: datetime | None
    seconds_to_expiry: float | None
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: ErrorRecord | None
    consecutive_failures: int

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        error = self.last_error
        return {
            "healthy": self.healthy,
            "reason": self.reason,
            "instance": self.instance,
            "version": self.version,
            "source_url": self.source_url,
            "expire_date": iso(self.expire_date),
            "seconds_to_expiry": self.seconds_to_expiry,
            "last_success": iso(self.last_success),
            "last_attempt": iso(self.last_attempt),
            "last_error": None
            if error is None
            else {"code": error.code, "message": error.message, "at": iso(error.at)},
            "consecutive_failures": self.consecutive_failures,
        }


def status(state: ClientState, now: datetime) -> ConfClientStatus:
    current = state.current
    reason: str | None = None
    try:
        require_valid(current, now)
    except XRoadError as error:
        reason = f"{error.code}: {error.message}"
    return ConfClientStatus(
        healthy=reason is None,
        reason=reason,
        instance=None if current is None else current.instance,
        version=None if current is None else current.version,
        source_url=None if current is None else current.source_url,
        expire_date=None if current is None else current.expire_date,
        seconds_to_expiry=None if current is None else current.seconds_to_expiry(now),
        last_success=state.last_success,
        last_attempt=state.last_attempt,
        last_error=state.last_error,
        consecutive_failures=state.consecutive_failures,
    )
