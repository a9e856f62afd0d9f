"""Demo provider services for the sandbox, tutorials and end-to-end tests.

The services the reference implementation's examples and load tests call (``getRandom`` and
``helloService`` over SOAP, described by a self-contained WSDL), and a small REST service
described by an OpenAPI 3 document. They are information systems, not part of the platform:
they speak plain SOAP/HTTP and know nothing of signatures.
"""

from adapters.demo_provider.app import create_app

__all__ = ["create_app"]
