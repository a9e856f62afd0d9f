"""``OnboardingService``: the security server's onboarding steps as one service layer.

Initialisation (identity, owner, software token), the token session (the PIN lives in memory
only), keys, CSRs and certificates, management requests to the central server (pr-mserv), and
the state sync from each new global configuration. Used by the admin REST API and the
composition root; refusals are :class:`~security_server.serverconf.errors.ServerConfError`
(NOT_FOUND, CONFLICT, INVALID, UNAVAILABLE). Every token call runs in a thread; every change
is written to the server's audit log with its actor.
"""

from __future__ import annotations

from security_server.onboarding._base import GlobalConfSource
from security_server.onboarding._keys import KeysOps
from security_server.onboarding._management import ManagementOps


class OnboardingService(KeysOps, ManagementOps):
    """``OnboardingService(serverconf=, engine=, conf=, token_dir=, clock=,
    on_keys_changed=None, management_service_url=None, ocsp_cache=None)``.

    ``conf`` is the configuration client (the anchor's instance, the configuration in use);
    ``on_keys_changed`` is awaited after every change of usable key material (login, logout,
    certificate states) so the proxies reload their keys; ``management_service_url``
    overrides the management service address derived from the private parameters;
    ``ocsp_cache`` is shared with the composition root's OCSP refresh. Call
    :meth:`open_token` once at start.
    """


__all__ = ["GlobalConfSource", "OnboardingService"]
