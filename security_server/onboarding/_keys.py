"""Initialisation, the token session, keys, CSRs and certificates (ug-ss §3)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from cryptography import x509

from security_server.app_keys import TOKEN_ID
from security_server.onboarding import tokens
from security_server.onboarding._base import OnboardingBase, log
from security_server.onboarding.model import (
    CertInfo,
    GlobalConfStatus,
    KeyInfo,
    SystemStatus,
    TokenInfo,
    TokenStatus,
)
from security_server.serverconf import validation
from security_server.serverconf.errors import conflict, invalid
from security_server.serverconf.model import ServerIdentity
from vdx.crypto.trust import TrustConfig
from vdx.identifiers import ClientId, SecurityServerId
from vdx.tokens import (
    KeyAlgorithm,
    KeyUsage,
    Token,
    authentication_subject,
    csr_pem,
    signing_subject,
)

MAX_LABEL = 255
_I = TypeVar("_I", ClientId, SecurityServerId)


def _subject(make: Callable[[_I], x509.Name], identifier: _I) -> x509.Name:
    # The dev CA's profiles put the instance in C, which X.520 limits to two letters.
    try:
        return make(identifier)
    except ValueError as error:
        raise invalid(f"No certificate subject for {identifier}: {error}") from None


class KeysOps(OnboardingBase):
    def _trust(self) -> TrustConfig | None:
        current = self._conf.current
        return None if current is None else current.trust

    async def open_token(self, pin: str | None) -> None:
        """At start: open the token if it exists; with ``pin`` (the ``token_pin`` setting)
        log it in, creating it on first start as the server always did. A wrong PIN raises
        the token's own error (XRoadError), which stops the start."""
        folder = self._token_dir
        if pin is None:
            self._token = await asyncio.to_thread(tokens.open_existing, folder)
            return
        if await asyncio.to_thread(tokens.keystore_exists, folder):
            token = await asyncio.to_thread(tokens.open_existing, folder)
            assert token is not None  # noqa: S101 - it exists
            await asyncio.to_thread(token.login, pin)
        else:
            token = await asyncio.to_thread(tokens.create, folder, pin)
        self._token = token

    async def status(self) -> SystemStatus:
        identity = await self._serverconf.get_identity()
        token = self.token
        conf = self._conf.status()
        return SystemStatus(
            initialized=identity is not None,
            server=None if identity is None else identity.server_id,
            instance=self._conf.anchor.instance,
            token=TokenStatus(
                token.token_id if token else TOKEN_ID,
                token is not None,
                token is not None and token.is_active,
            ),
            globalconf=GlobalConfStatus(conf.healthy, conf.reason, conf.expire_date),
        )

    async def initialize(
        self, owner: ClientId, server_code: str, pin: str, *, actor: str
    ) -> ServerIdentity:
        """Owner and server code (once), the owner as a client, the software token with
        ``pin`` (ug-ss §3.1 initial configuration). A token already made at start from the
        ``token_pin`` setting is kept; ``pin`` must then open it."""
        validation.actor(actor)
        instance = self._conf.anchor.instance
        if owner.instance != instance:
            raise invalid(f"The owner must be a member of instance {instance}")
        if owner.subsystem_code is not None:
            raise invalid("The owner must be a member, not a subsystem")
        validation.client(owner, instance)  # checked before the token is made
        if not pin:
            raise invalid("The token PIN must not be empty")
        if await self._serverconf.get_identity() is not None:
            raise conflict("The security server is already initialised")
        validation.code(server_code, "serverCode")
        server = SecurityServerId(owner, server_code)
        async with self._audited(actor, "initialize_token", TOKEN_ID):
            existing = self.token
            if existing is None:
                self._token = await self._token_call(tokens.create, self._token_dir, pin)
            else:
                await self._token_call(existing.login, pin)
        identity = await self._serverconf.set_identity(server, actor=actor)
        await self._keys_changed()
        return identity

    async def login(self, pin: str, *, actor: str) -> None:
        """Log the token in; the PIN stays in this process's memory only (as key material)."""
        token = self._require_token()
        async with self._audited(actor, "token_login", token.token_id):
            await self._token_call(token.login, pin)
        await self._keys_changed()

    async def logout(self, *, actor: str) -> None:
        token = self._require_token()
        async with self._audited(actor, "token_logout", token.token_id):
            await self._token_call(token.logout)
        await self._keys_changed()

    async def token_info(self) -> TokenInfo:
        token = self._require_token()
        return await self._token_call(tokens.token_info, token, self._trust())

    async def generate_key(
        self,
        usage: KeyUsage,
        label: str,
        *,
        actor: str,
        algorithm: KeyAlgorithm = KeyAlgorithm.RSA2048,
    ) -> KeyInfo:
        token = self._require_token()
        validation.text(label, "label", limit=MAX_LABEL)
        details = {"usage": str(usage), "algorithm": str(algorithm)}
        async with self._audited(actor, "generate_key", label, details):
            record = await self._token_call(token.generate_key, label, usage, algorithm)
        return KeyInfo(record.key_id, record.label, record.usage, record.algorithm)

    async def delete_key(self, key_id: str, *, actor: str) -> None:
        token = self._require_token()
        async with self._audited(actor, "delete_key", key_id):
            await self._token_call(token.delete_key, key_id)
        await self._keys_changed()

    async def create_csr(self, key_id: str, *, member: ClientId | None = None, actor: str) -> bytes:
        """PEM PKCS#10: a sign key's for ``member``; an auth key's for this server."""
        token = self._require_token()
        key = await self._token_call(token.key, key_id)
        if key.usage is KeyUsage.SIGNING:
            if member is None or member.subsystem_code is not None:
                raise invalid("A signing key's CSR names a member (not a subsystem)")
            if member.instance != self._conf.anchor.instance:
                raise invalid(f"{member} is not of instance {self._conf.anchor.instance}")
            subject = _subject(signing_subject, member)
        else:
            if member is not None:
                raise invalid("An authentication key's CSR names the server, not a member")
            server = (await self._require_identity()).server_id
            subject = _subject(authentication_subject, server)
        target = member.to_colon() if member else key_id
        async with self._audited(actor, "create_csr", target, {"key_id": key_id}):
            csr = await self._token_call(token.create_csr, key_id, subject)
        return csr_pem(csr)

    async def import_certificate(self, data: bytes, *, actor: str) -> CertInfo:
        """PEM or DER; the key with the same public key takes it, its usage from the key
        usage extension (vdx.tokens.certificate_usage)."""
        token = self._require_token()
        cert = tokens.parse_certificate(data)
        async with self._audited(actor, "import_certificate", cert.subject.rfc4514_string()):
            record = await self._token_call(token.import_certificate, cert)
        await self._keys_changed()
        return await self.certificate(record.cert_id)

    async def certificate(self, cert_id: str) -> CertInfo:
        token = self._require_token()
        return await self._token_call(tokens.find_cert, token, cert_id, self._trust())

    async def _cert_change(self, cert_id: str, action: str, actor: str) -> Token:
        token = self._require_token()
        change = {
            "activate_certificate": token.activate_certificate,
            "disable_certificate": token.disable_certificate,
            "delete_certificate": token.delete_certificate,
        }[action]
        async with self._audited(actor, action, cert_id):
            await self._token_call(change, cert_id)
        await self._keys_changed()
        return token

    async def activate_certificate(self, cert_id: str, *, actor: str) -> CertInfo:
        await self._cert_change(cert_id, "activate_certificate", actor)
        return await self.certificate(cert_id)

    async def disable_certificate(self, cert_id: str, *, actor: str) -> CertInfo:
        await self._cert_change(cert_id, "disable_certificate", actor)
        return await self.certificate(cert_id)

    async def delete_certificate(self, cert_id: str, *, actor: str) -> None:
        await self._cert_change(cert_id, "delete_certificate", actor)
        log.info("certificate_deleted", cert_id=cert_id)
