"""Service descriptions (documents downloaded here), services, endpoints, access rights."""

from __future__ import annotations

from aiohttp import web

from security_server.admin_api import convert
from security_server.admin_api import schemas as s
from security_server.admin_api._base import HandlerBase, no_content, parse_body, reply
from security_server.admin_api.errors import ApiError
from security_server.admin_api.fetch import fetch_document
from security_server.serverconf import validation
from security_server.serverconf.errors import invalid, not_found
from security_server.serverconf.model import (
    ANY_METHOD,
    ANY_PATH,
    DescriptionInfo,
    DescriptionKind,
    Endpoint,
    RefreshDiff,
)
from vdx.identifiers import ServiceId


def _description_id(request: web.Request) -> int:
    text = request.match_info["description_id"]
    if not text.isdigit() or len(text) > 12:
        raise not_found(f"Service description {text[:20]!r} does not exist")
    return int(text)


def _service(request: web.Request) -> ServiceId:
    return convert.service_id(request.match_info["service_id"])


def _endpoint(method: str | None, path: str | None) -> Endpoint | None:
    """None (the whole service) unless a method or path narrows the right to an endpoint."""
    if method is None and path is None:
        return None
    return Endpoint(
        ANY_METHOD if method is None else method.upper(), ANY_PATH if path is None else path
    )


class ServicesHandlers(HandlerBase):
    async def _find(self, description_id: int, diff: RefreshDiff | None = None) -> s.Description:
        return convert.description(await self._info(description_id), diff)

    async def _info(self, description_id: int) -> DescriptionInfo:
        # The service layer lists descriptions per client; a server has few clients.
        for client in await self.serverconf.list_clients():
            for found in await self.serverconf.list_descriptions(client.client_id):
                if found.id == description_id:
                    return found
        raise not_found(f"Service description {description_id} does not exist")

    async def list_descriptions(self, request: web.Request, actor: str) -> web.Response:
        del actor
        client = convert.client_id(request.match_info["client_id"])
        await self.serverconf.get_client(client)
        found = await self.serverconf.list_descriptions(client)
        return reply([convert.description(d) for d in found])

    async def add_description(self, request: web.Request, actor: str) -> web.Response:
        client = convert.client_id(request.match_info["client_id"])
        body = await parse_body(request, s.DescriptionIn)
        kind = DescriptionKind(body.type)
        if kind is not DescriptionKind.WSDL and body.service_code is None:
            raise invalid(f"A {kind} description needs service_code")
        if kind is not DescriptionKind.OPENAPI3 and body.service_url is not None:
            raise invalid("service_url is only for OPENAPI3 descriptions")
        validation.url(body.url, "The description URL")
        await self.serverconf.get_client(client)  # 404 before any download
        if kind is DescriptionKind.REST:
            assert body.service_code is not None  # noqa: S101 - checked above
            new = await self.serverconf.add_rest(client, body.url, body.service_code, actor=actor)
        else:
            content = await fetch_document(body.url, self.fetch_limits)
            if kind is DescriptionKind.WSDL:
                new = await self.serverconf.add_wsdl(client, body.url, content, actor=actor)
            else:
                assert body.service_code is not None  # noqa: S101 - checked above
                new = await self.serverconf.add_openapi(
                    client,
                    body.url,
                    content,
                    body.service_code,
                    actor=actor,
                    service_url=body.service_url,
                )
        return reply(await self._find(new), 201)

    async def refresh_description(self, request: web.Request, actor: str) -> web.Response:
        description_id = _description_id(request)
        found = await self._info(description_id)
        if found.kind is DescriptionKind.REST:
            raise invalid("A plain REST description has no document to refresh")
        content = await fetch_document(found.url, self.fetch_limits)
        diff = await self.serverconf.refresh_description(description_id, content, actor=actor)
        return reply(await self._find(description_id, diff))

    async def enable_description(self, request: web.Request, actor: str) -> web.Response:
        description_id = _description_id(request)
        await self.serverconf.enable_description(description_id, actor=actor)
        return reply(await self._find(description_id))

    async def disable_description(self, request: web.Request, actor: str) -> web.Response:
        description_id = _description_id(request)
        body = await parse_body(request, s.DisableIn, optional=True)
        await self.serverconf.disable_description(description_id, body.notice, actor=actor)
        return reply(await self._find(description_id))

    async def delete_description(self, request: web.Request, actor: str) -> web.Response:
        await self.serverconf.delete_description(_description_id(request), actor=actor)
        return no_content()

    async def get_service(self, request: web.Request, actor: str) -> web.Response:
        del actor
        return reply(convert.service(await self.serverconf.get_service(_service(request))))

    async def patch_service(self, request: web.Request, actor: str) -> web.Response:
        service = _service(request)
        body = await parse_body(request, s.ServicePatch)
        if body.url is None and body.timeout is None and body.tls_verify is None:
            raise ApiError(400, "invalid", "Give url, timeout or tls_verify to change")
        # Check every value before the first write: the three changes are three transactions.
        if body.url is not None:
            validation.url(body.url, "The service URL")
        if body.timeout is not None:
            validation.timeout(body.timeout)
        await self.serverconf.get_service(service)
        if body.url is not None:
            await self.serverconf.set_service_url(service, body.url, actor=actor)
        if body.timeout is not None:
            await self.serverconf.set_service_timeout(service, body.timeout, actor=actor)
        if body.tls_verify is not None:
            await self.serverconf.set_service_tls_verify(service, body.tls_verify, actor=actor)
        return reply(convert.service(await self.serverconf.get_service(service)))

    async def add_endpoint(self, request: web.Request, actor: str) -> web.Response:
        service = _service(request)
        body = await parse_body(request, s.EndpointIn)
        added = await self.serverconf.add_endpoint(service, body.method, body.path, actor=actor)
        out = s.Endpoint(method=added.method, path=added.path, generated=added.generated)
        return reply(out, 201)

    async def delete_endpoint(self, request: web.Request, actor: str) -> web.Response:
        service = _service(request)
        body = await parse_body(request, s.EndpointIn)
        await self.serverconf.delete_endpoint(service, body.method, body.path, actor=actor)
        return no_content()

    async def list_access_rights(self, request: web.Request, actor: str) -> web.Response:
        del actor
        found = await self.serverconf.list_access_rights(_service(request))
        return reply([convert.access_right(r) for r in found])

    async def grant_access(self, request: web.Request, actor: str) -> web.Response:
        service = _service(request)
        body = await parse_body(request, s.AccessRightIn)
        subject = convert.subject(body.subject)
        endpoint = _endpoint(body.method, body.path)
        await self.serverconf.grant_access(service, subject, actor=actor, endpoint=endpoint)
        wanted = endpoint or Endpoint(ANY_METHOD, ANY_PATH)
        for right in await self.serverconf.list_access_rights(service):
            same = (right.endpoint.method, right.endpoint.path) == (wanted.method, wanted.path)
            if right.subject == subject and same:
                return reply(convert.access_right(right), 201)
        raise not_found(f"The right granted on {service} was removed concurrently")

    async def revoke_access(self, request: web.Request, actor: str) -> web.Response:
        service = _service(request)
        body = await parse_body(request, s.AccessRightIn)
        subject = convert.subject(body.subject)
        endpoint = _endpoint(body.method, body.path)
        await self.serverconf.revoke_access(service, subject, actor=actor, endpoint=endpoint)
        return no_content()
