"""Management requests to the central server (pr-mserv §2) and the state sync that follows
each new global configuration (see :mod:`security_server.onboarding.sync`)."""

from __future__ import annotations

import aiohttp
from cryptography.hazmat.primitives import serialization

from security_server.confclient.model import GlobalConfiguration
from security_server.onboarding import requests, sync, tokens, transport
from security_server.onboarding._base import OnboardingBase, log
from security_server.onboarding.model import ManagementRequestInfo
from security_server.serverconf import validation
from security_server.serverconf.errors import conflict, invalid, unavailable
from security_server.serverconf.model import ClientState
from security_server.signer.ocsp_client import OcspClient
from vdx.errors import XRoadError
from vdx.identifiers import ClientId
from vdx.message.management import MAX_TEXT, ManagementBody, RequestType
from vdx.tokens import CertEvent, CertStatus, KeyUsage, Token, cert_states

SYNC_ACTOR = "globalconf"
T = RequestType


class ManagementOps(OnboardingBase):
    async def _sign_evidence(
        self, token: Token, member: ClientId, conf: GlobalConfiguration
    ) -> requests.SignEvidence:
        """``member``'s signing key and certificate with a fresh OCSP response (pr-mserv §2.1:
        the central server checks the certificate's status at the time it receives)."""
        if not token.is_active:
            raise conflict("The token is not logged in")
        found = await self._token_call(tokens.signing_key_of, token, member, conf.trust)
        if found is None:
            raise conflict(f"{member} has no registered, active signing certificate on the token")
        key_id, cert = found
        issuer = next(
            (c for _, c in conf.trust.ca_certificates() if c.subject == cert.issuer), None
        )
        if issuer is None:
            raise conflict(f"The signing certificate of {member} is not from an approved CA")
        try:
            async with aiohttp.ClientSession() as session:
                ocsp = await OcspClient(session, conf.trust, cache=self._ocsp_cache).get(
                    cert, issuer, self._clock()
                )
        except XRoadError as error:
            raise unavailable(f"No OCSP response for the signing certificate: {error}") from None
        signer = await self._token_call(token.signer, key_id)
        return requests.SignEvidence(
            signer, cert.public_bytes(serialization.Encoding.DER), ocsp.der
        )

    async def _submit(
        self,
        body: ManagementBody,
        token: Token,
        conf: GlobalConfiguration,
        auth: requests.AuthEvidence | None = None,
    ) -> ManagementRequestInfo:
        params = self._management_params(conf)
        sign = await self._sign_evidence(token, requests.signer_member(body), conf)
        url, tls = transport.destination(body.type, params, self._management_service_url)
        data, content_type = await self._token_call(
            _build, body, params.management_request_service_provider_id, sign, auth
        )
        async with aiohttp.ClientSession() as session:
            request_id = await transport.send(session, url, data, content_type, tls=tls)
        log.info("management_request_sent", type=str(body.type), request_id=request_id, url=url)
        return ManagementRequestInfo(request_id, str(body.type), url)

    async def register_auth_certificate(
        self, cert_id: str, address: str, *, actor: str
    ) -> ManagementRequestInfo:
        """authCertReg (pr-mserv §2.3): this server at ``address`` with the certificate."""
        validation.actor(actor)
        if not address or len(address) > MAX_TEXT or any(c.isspace() for c in address):
            raise invalid("The address must be a host name or IP address")
        token = self._require_token()
        server = (await self._require_identity()).server_id
        conf = self._require_conf()
        async with self._requests:
            record = await self._token_call(token.certificate, cert_id)
            key = await self._token_call(token.key, record.key_id)
            _check_event(key.usage, record.status, CertEvent.REGISTRATION_REQUESTED)
            body = ManagementBody(T.AUTH_CERT_REG, server, address=address, auth_cert=record.der)
            auth_signer = await self._token_call(token.signer, key.key_id)
            auth = requests.AuthEvidence(auth_signer, record.der)
            async with self._audited(actor, "register_auth_certificate", cert_id):
                info = await self._submit(body, token, conf, auth)
                await self._token_call(token.apply, cert_id, CertEvent.REGISTRATION_REQUESTED)
        return info

    async def unregister_auth_certificate(
        self, cert_id: str, *, actor: str
    ) -> ManagementRequestInfo:
        """authCertDeletion (pr-mserv §2.4); the certificate leaves use at once."""
        validation.actor(actor)
        token = self._require_token()
        server = (await self._require_identity()).server_id
        conf = self._require_conf()
        async with self._requests:
            record = await self._token_call(token.certificate, cert_id)
            key = await self._token_call(token.key, record.key_id)
            _check_event(key.usage, record.status, CertEvent.DELETION_REQUESTED)
            body = ManagementBody(T.AUTH_CERT_DELETION, server, auth_cert=record.der)
            async with self._audited(actor, "unregister_auth_certificate", cert_id):
                info = await self._submit(body, token, conf)
                await self._token_call(token.apply, cert_id, CertEvent.DELETION_REQUESTED)
        await self._keys_changed()
        return info

    async def _client_request(
        self, kind: RequestType, client: ClientId, target: ClientState, actor: str
    ) -> ManagementRequestInfo:
        validation.actor(actor)
        token = self._require_token()
        server = (await self._require_identity()).server_id
        if client == server.owner:
            raise invalid(f"{client} owns this server: it is registered with the server itself")
        conf = self._require_conf()
        async with self._requests:
            current = (await self._serverconf.get_client(client)).state
            validation.transition(current, target)
            body = ManagementBody(kind, server, client=client)
            async with self._audited(actor, str(kind), client.to_colon()):
                info = await self._submit(body, token, conf)
                await self._serverconf.set_client_state(client, target, actor=actor)
        return info

    async def register_client(self, client: ClientId, *, actor: str) -> ManagementRequestInfo:
        """clientReg (pr-mserv §2.5), signed by the client's member; the client is then
        *registration in progress* until the global configuration lists it."""
        return await self._client_request(
            T.CLIENT_REG, client, ClientState.REGISTRATION_IN_PROGRESS, actor
        )

    async def unregister_client(self, client: ClientId, *, actor: str) -> ManagementRequestInfo:
        """clientDeletion (pr-mserv §2.6), signed by the owner."""
        return await self._client_request(
            T.CLIENT_DELETION, client, ClientState.DELETION_IN_PROGRESS, actor
        )

    async def apply_globalconf(self, conf: GlobalConfiguration) -> list[str]:
        """Move certificates and clients to what ``conf`` says (sync.plan); the changes made."""
        identity = await self._serverconf.get_identity()
        token = self.token
        certs = [] if token is None else await self._token_call(tokens.certs_with_usage, token)
        clients = await self._serverconf.list_clients()
        plan = sync.plan(None if identity is None else identity.server_id, certs, clients, conf)
        for warning in plan.warnings:
            log.warning("globalconf_sync", problem=warning)
        done: list[str] = []
        for change in plan.certs:
            assert token is not None  # noqa: S101 - no token, no certificates to change
            for event in change.events:
                await self._token_call(token.apply, change.cert_id, event)
            done.append(change.describe())
        for client_change in plan.clients:
            for state in client_change.states:
                await self._serverconf.set_client_state(
                    client_change.client, state, actor=SYNC_ACTOR
                )
            done.append(client_change.describe())
        if plan.certs:
            await self._keys_changed()
        for line in done:
            log.info("globalconf_sync", change=line)
        return done


def _check_event(usage: KeyUsage, status: CertStatus, event: CertEvent) -> None:
    if usage is not KeyUsage.AUTHENTICATION:
        raise invalid("Only authentication certificates are registered with the central server")
    try:
        cert_states.next_status(usage, status, event)
    except XRoadError as error:
        raise conflict(error.message) from None


def _build(
    body: ManagementBody,
    provider: ClientId,
    sign: requests.SignEvidence,
    auth: requests.AuthEvidence | None,
) -> tuple[bytes, str]:
    return requests.build_request(body, provider=provider, sign=sign, auth=auth)
