"""X-Road metaservices: ``listClients`` on the client proxy; ``listMethods``,
``allowedMethods``, ``getWsdl`` (SOAP) and ``getOpenAPI`` (REST) answered by the provider's
server proxy from its own configuration (pr-meta, pr-mrest).

:mod:`.answers` and :mod:`.documents` decide (pure); :mod:`.provider` verifies, answers and
signs on the server proxy; :mod:`.consumer` serves the client proxy's plain-HTTP forms.
"""

from security_server.metaservices.provider import (
    DescriptionSource,
    Environment,
    OpMonitorQuery,
    answer_opmonitor,
    answer_rest,
    answer_soap,
    is_opmonitor_request,
    is_rest_metarequest,
    is_soap_metarequest,
)
from security_server.metaservices.sources import description_source

__all__ = [
    "DescriptionSource",
    "Environment",
    "OpMonitorQuery",
    "answer_opmonitor",
    "answer_rest",
    "answer_soap",
    "description_source",
    "is_opmonitor_request",
    "is_rest_metarequest",
    "is_soap_metarequest",
]
