"""``ManagementService``: take, store, decide and apply management requests (the I/O shell).

A request is verified against a registry snapshot at ``clock()`` before anything is written;
a refused request leaves no row and no registry change. An accepted one is stored ``pending``
with its origin and evidence; types that auto-approve are applied at once. Approving applies
the change through :class:`RegistryService` (each step audited with the operator as actor);
rejecting or revoking writes the decision and an audit row only.

Decisions are serialised by one lock per service: a central-server node decides one request
at a time, and the conditional state update keeps two nodes from deciding the same one twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from central_server.management import store
from central_server.management.states import SUPPORTED, Event, State, auto_approves, next_state
from central_server.management.store import RequestRecord
from central_server.management.verify import (
    auth_cert_hash,
    check_not_replayed,
    find_server,
    subsystem_exists,
    verify_request,
)
from central_server.registry import RegistryError, RegistryService
from vdx.clock import utc_now
from vdx.errors import Code, Origin, XRoadError
from vdx.globalconf.trust import trust_config
from vdx.identifiers import ClientId, SecurityServerId
from vdx.message.management import ManagementBody, ManagementRequest, RequestType

T = RequestType
AUTO_ACTOR = "management-service (auto-approval)"


class RequestNotFoundError(LookupError):
    """No management request has this id."""


class ManagementService:
    """Verify, store and apply management requests; see the module docstring."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: RegistryService,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        auto_approve: Mapping[RequestType, bool] | None = None,
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._clock = clock
        self._auto = dict(auto_approve or {})
        self._lock = asyncio.Lock()

    # --- security servers ---------------------------------------------------------------------

    async def submit(self, request: ManagementRequest, *, origin: str) -> RequestRecord:
        """Verify and store ``request``; raise :class:`XRoadError` (nothing written) if refused."""
        kind = request.body.type
        if kind not in SUPPORTED:
            # Our limitation, not the caller's fault: attributed to the server.
            raise XRoadError(
                Code.UNKNOWN_SERVICE,
                f"{kind} is not supported by this central server yet",
                Origin.SERVER,
            )
        params = await self._registry.snapshot()
        now = self._clock()
        withdrawn = await self._withdrawn_registration(request.body)
        verified = verify_request(
            request,
            params,
            trust_config(params),
            now,
            withdraws_pending=withdrawn is not None,
            disabled=await self._disabled_clients(),
        )
        async with self._lock:
            async with self._engine.begin() as conn:
                seen = await store.message_id_seen(conn, request.message_id)
                check_not_replayed(request.message_id, {request.message_id} if seen else set())
                request_id = await store.insert(conn, verified, origin, now)
            if withdrawn is not None:
                # The server deletes what it asked to register: revoke that request, and the
                # deletion itself is done (nothing reached the registry).
                await self._set_state(
                    withdrawn, State.REVOKED, AUTO_ACTOR, f"withdrawn by {request_id}"
                )
                await self._set_state(request_id, State.APPROVED, AUTO_ACTOR)
            elif auto_approves(kind, self._auto):
                try:
                    await self._apply(request.body, AUTO_ACTOR)
                except RegistryError as error:
                    await self._set_state(request_id, State.REJECTED, AUTO_ACTOR, error.message)
                    raise XRoadError(Code.INVALID_REQUEST, error.message) from None
                await self._set_state(request_id, State.APPROVED, AUTO_ACTOR)
        return await self.get(request_id)

    async def _disabled_clients(self) -> frozenset[tuple[SecurityServerId, ClientId]]:
        return frozenset(
            (info.server_id, client)
            for info in await self._registry.list_security_servers()
            for client in info.disabled_clients
        )

    async def _withdrawn_registration(self, body: ManagementBody) -> int | None:
        """The pending registration a deletion withdraws (X-Road revokes it), if any."""
        wanted = {T.AUTH_CERT_DELETION: T.AUTH_CERT_REG, T.CLIENT_DELETION: T.CLIENT_REG}
        if body.type not in wanted:
            return None
        for record in await self.list_requests(State.PENDING, limit=10_000):
            pending = record.body
            if (
                record.type is wanted[body.type]
                and pending.server == body.server
                and (
                    pending.auth_cert == body.auth_cert
                    if body.auth_cert
                    else pending.client == body.client
                )
            ):
                return record.id
        return None

    async def status(self, request_id: int, server: str) -> RequestRecord:
        """The state of a request for the security server that sent it (else not found)."""
        record = await self.get(request_id)
        if record.body.server.to_colon() != server:
            raise RequestNotFoundError(request_id)
        return record

    # --- the operator -------------------------------------------------------------------------

    async def get(self, request_id: int) -> RequestRecord:
        async with self._engine.connect() as conn:
            record = await store.get(conn, request_id)
        if record is None:
            raise RequestNotFoundError(request_id)
        return record

    async def list_requests(
        self, state: State | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[RequestRecord]:
        async with self._engine.connect() as conn:
            return await store.list_records(conn, state, limit, offset)

    async def approve(self, request_id: int, *, actor: str) -> RequestRecord:
        """Apply a pending request to the registry, then mark it approved.

        A registry refusal (say, the client was registered meanwhile) raises
        :class:`RegistryError` and the request stays pending.
        """
        async with self._lock:
            record = await self.get(request_id)
            next_state(record.state, Event.APPROVE)
            await self._apply(record.body, actor)
            await self._set_state(request_id, State.APPROVED, actor)
        return await self.get(request_id)

    async def reject(self, request_id: int, *, actor: str, reason: str = "") -> RequestRecord:
        return await self._decide(request_id, Event.REJECT, actor, reason)

    async def revoke(self, request_id: int, *, actor: str, reason: str = "") -> RequestRecord:
        return await self._decide(request_id, Event.REVOKE, actor, reason)

    async def _decide(
        self, request_id: int, event: Event, actor: str, reason: str
    ) -> RequestRecord:
        async with self._lock:
            record = await self.get(request_id)
            new = next_state(record.state, event)
            await self._set_state(request_id, new, actor, reason)
        return await self.get(request_id)

    async def _set_state(self, request_id: int, new: State, actor: str, reason: str = "") -> None:
        now = self._clock()
        async with self._engine.begin() as conn:
            if not await store.decide(
                conn, request_id, old=State.PENDING, new=new, actor=actor, now=now
            ):
                raise RequestNotFoundError(request_id)  # decided by another node meanwhile
            details = {"state": str(new), "reason": reason[:500]} if reason else {"state": str(new)}
            await store.audit(
                conn,
                actor=actor,
                action=f"management_request_{new}",
                target=f"request:{request_id}",
                details=details,
                now=now,
            )

    # --- applying -----------------------------------------------------------------------------

    async def _apply(self, body: ManagementBody, actor: str) -> None:
        """Make the registry change ``body`` asks for, step by step through the registry."""
        registry = self._registry
        server = body.server
        if body.type is T.AUTH_CERT_REG:
            assert body.auth_cert is not None  # noqa: S101 - required by the schema
            if find_server(await registry.snapshot(), server) is None:
                await registry.add_security_server(server, body.address or "", actor=actor)
            await registry.add_auth_cert(server, body.auth_cert, actor=actor)
        elif body.type is T.CLIENT_REG:
            assert body.client is not None  # noqa: S101 - required by the schema
            client = body.client
            if client.subsystem_code is not None and not subsystem_exists(
                await registry.snapshot(), client
            ):
                await registry.add_subsystem(client, body.subsystem_name, actor=actor)
            await registry.add_server_client(server, client, actor=actor)
        elif body.type is T.CLIENT_DELETION:
            assert body.client is not None  # noqa: S101 - required by the schema
            await registry.remove_server_client(server, body.client, actor=actor)
        elif body.type is T.AUTH_CERT_DELETION:
            assert body.auth_cert is not None  # noqa: S101 - required by the schema
            await registry.delete_auth_cert(server, auth_cert_hash(body.auth_cert), actor=actor)
        elif body.type is T.ADDRESS_CHANGE:
            assert body.address is not None  # noqa: S101 - required by the schema
            await registry.set_server_address(server, body.address, actor=actor)
        elif body.type in (T.MAINTENANCE_MODE_ENABLE, T.MAINTENANCE_MODE_DISABLE):
            enabled = body.type is T.MAINTENANCE_MODE_ENABLE
            await registry.set_maintenance(
                server, enabled, body.message if enabled else None, actor=actor
            )
        else:
            await self._apply_client_change(body, actor)

    async def _apply_client_change(self, body: ManagementBody, actor: str) -> None:
        """ownerChange, clientRename, clientDisable, clientEnable."""
        registry = self._registry
        client = body.client
        assert client is not None  # noqa: S101 - required by the schema for these types
        if body.type is T.OWNER_CHANGE:
            await registry.change_server_owner(body.server, client, actor=actor)
        elif body.type is T.CLIENT_RENAME:
            assert body.subsystem_name is not None  # noqa: S101 - required by the schema
            await registry.rename_subsystem(client, body.subsystem_name, actor=actor)
        elif body.type in (T.CLIENT_DISABLE, T.CLIENT_ENABLE):
            enabled = body.type is T.CLIENT_ENABLE
            await registry.set_client_enabled(body.server, client, enabled, actor=actor)
        else:
            # Unreachable: _apply dispatches only these four types here.
            raise ValueError(f"{body.type} is not a client change")
