"""Management requests from security servers: list, show, approve, reject.

Decisions go through :class:`central_server.management.ManagementService`; approving applies
the request's change to the registry with the API key's name as the actor. Without a service
(a node that does not take management requests) these routes answer 503.
"""

from __future__ import annotations

from aiohttp import web

from central_server.admin_api import schemas as s
from central_server.admin_api._base import HandlerBase, parse_body, reply
from central_server.admin_api.errors import ApiError
from central_server.management import ManagementService, RequestNotFoundError, RequestRecord
from central_server.management.states import InvalidTransitionError, State

_STATES = {state.value: state for state in State}


def request_record(record: RequestRecord) -> s.ManagementRequest:
    body = record.body
    return s.ManagementRequest(
        id=record.id,
        type=str(record.type),
        state=record.state.value,
        origin=record.origin,
        server=body.server.to_colon(),
        client=body.client.to_colon() if body.client else None,
        address=body.address,
        subsystem_name=body.subsystem_name,
        message_id=record.message_id,
        signer=record.signer.to_colon() if record.signer else None,
        created_at=record.created_at,
        decided_at=record.decided_at,
        decided_by=record.decided_by,
    )


def _request_id(request: web.Request) -> int:
    text = request.match_info["request_id"]
    if not text.isdigit() or len(text) > 12:
        raise ApiError(404, "not_found", "No such management request")
    return int(text)


class RequestsHandlers(HandlerBase):
    management: ManagementService | None = None

    def _service(self) -> ManagementService:
        if self.management is None:
            raise ApiError(503, "unavailable", "This node does not take management requests")
        return self.management

    async def list_requests(self, request: web.Request, actor: str) -> web.Response:
        del actor
        service = self._service()
        state_name = request.query.get("state")
        if state_name is not None and state_name not in _STATES:
            raise ApiError(400, "invalid", f"state is one of {', '.join(_STATES)}")
        limit = request.query.get("limit", "100")
        if not limit.isdigit() or not 0 < int(limit) <= 1000:
            raise ApiError(400, "invalid", "limit must be 1..1000")
        found = await service.list_requests(
            None if state_name is None else _STATES[state_name], limit=int(limit)
        )
        return reply([request_record(r) for r in found])

    async def get_request(self, request: web.Request, actor: str) -> web.Response:
        del actor
        service = self._service()
        try:
            return reply(request_record(await service.get(_request_id(request))))
        except RequestNotFoundError:
            raise ApiError(404, "not_found", "No such management request") from None

    async def approve_request(self, request: web.Request, actor: str) -> web.Response:
        service = self._service()
        try:
            record = await service.approve(_request_id(request), actor=actor)
        except RequestNotFoundError:
            raise ApiError(404, "not_found", "No such management request") from None
        except InvalidTransitionError as error:
            raise ApiError(409, "conflict", str(error)) from None
        return reply(request_record(record))

    async def reject_request(self, request: web.Request, actor: str) -> web.Response:
        service = self._service()
        body = await parse_body(request, s.RejectIn)
        try:
            record = await service.reject(_request_id(request), actor=actor, reason=body.reason)
        except RequestNotFoundError:
            raise ApiError(404, "not_found", "No such management request") from None
        except InvalidTransitionError as error:
            raise ApiError(409, "conflict", str(error)) from None
        return reply(request_record(record))
