"""Where the provider's stored service descriptions come from: the serverconf service layer.

The composition root passes ``description_source(serverconf_service)`` to the proxy context;
the document is read per ``getWsdl`` / ``getOpenAPI`` request, not held in the snapshot, since
descriptions can be large and are rarely asked for.
"""

from __future__ import annotations

from security_server.metaservices.provider import DescriptionSource
from security_server.serverconf.errors import ServerConfError
from security_server.serverconf.service import ServerConfService
from vdx.identifiers import ServiceId


def description_source(service: ServerConfService) -> DescriptionSource:
    async def stored(service_id: ServiceId) -> bytes | None:
        try:
            info = await service.get_service(service_id)
        except ServerConfError:
            return None
        return await service.description_content(info.description_id)

    return stored
