"""Instance, member classes, members and subsystems."""

from __future__ import annotations

from aiohttp import web

from central_server.admin_api import convert
from central_server.admin_api import schemas as s
from central_server.admin_api._base import HandlerBase, no_content, parse_body, reply


class MembersHandlers(HandlerBase):
    async def get_instance(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply(s.Instance(instance_identifier=await self.registry.get_instance()))

    async def set_instance(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.InstanceIn)
        await self.registry.set_instance(body.instance_identifier, actor=actor)
        return reply(s.Instance(instance_identifier=body.instance_identifier))

    async def list_member_classes(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        found = await self.registry.list_member_classes()
        return reply([s.MemberClass(code=c.code, description=c.description) for c in found])

    async def add_member_class(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.MemberClassIn)
        await self.registry.add_member_class(body.code, body.description, actor=actor)
        return reply(s.MemberClass(code=body.code, description=body.description), 201)

    async def update_member_class(self, request: web.Request, actor: str) -> web.Response:
        code = request.match_info["code"]
        body = await parse_body(request, s.MemberClassPatch)
        await self.registry.update_member_class(code, body.description, actor=actor)
        return reply(s.MemberClass(code=code, description=body.description))

    async def delete_member_class(self, request: web.Request, actor: str) -> web.Response:
        await self.registry.delete_member_class(request.match_info["code"], actor=actor)
        return no_content()

    async def list_members(self, request: web.Request, actor: str) -> web.Response:
        del request, actor
        return reply([convert.member(m) for m in await self.registry.list_members()])

    async def add_member(self, request: web.Request, actor: str) -> web.Response:
        body = await parse_body(request, s.MemberIn)
        member = convert.member_id(body.id)
        await self.registry.add_member(member, body.name, actor=actor)
        return reply(convert.member(await self.registry.get_member(member)), 201)

    async def get_member(self, request: web.Request, actor: str) -> web.Response:
        del actor
        member = convert.member_id(request.match_info["member_id"])
        return reply(convert.member(await self.registry.get_member(member)))

    async def rename_member(self, request: web.Request, actor: str) -> web.Response:
        member = convert.member_id(request.match_info["member_id"])
        body = await parse_body(request, s.MemberPatch)
        await self.registry.rename_member(member, body.name, actor=actor)
        return reply(convert.member(await self.registry.get_member(member)))

    async def delete_member(self, request: web.Request, actor: str) -> web.Response:
        member = convert.member_id(request.match_info["member_id"])
        await self.registry.delete_member(member, actor=actor)
        return no_content()

    async def list_subsystems(self, request: web.Request, actor: str) -> web.Response:
        del actor
        member = convert.member_id(request.match_info["member_id"])
        return reply(convert.member(await self.registry.get_member(member)).subsystems)

    async def add_subsystem(self, request: web.Request, actor: str) -> web.Response:
        member = convert.member_id(request.match_info["member_id"])
        body = await parse_body(request, s.SubsystemIn)
        subsystem = convert.client_id(f"{member.to_colon()}:{body.code}", "subsystem")
        await self.registry.add_subsystem(subsystem, body.name, actor=actor)
        return reply(s.Subsystem(id=subsystem.to_colon(), code=body.code, name=body.name), 201)

    async def delete_subsystem(self, request: web.Request, actor: str) -> web.Response:
        member = convert.member_id(request.match_info["member_id"])
        code = request.match_info["code"]
        subsystem = convert.client_id(f"{member.to_colon()}:{code}", "subsystem")
        await self.registry.delete_subsystem(subsystem, actor=actor)
        return no_content()
