"""Onboarding of a security server: initialisation, token, keys and certificates, management
requests to the central server (pr-mserv) and the state sync from the global configuration."""

from security_server.onboarding.model import (
    CertInfo,
    KeyInfo,
    ManagementRequestInfo,
    SystemStatus,
    TokenInfo,
    parse_algorithm,
    parse_usage,
)
from security_server.onboarding.service import GlobalConfSource, OnboardingService

__all__ = [
    "CertInfo",
    "GlobalConfSource",
    "KeyInfo",
    "ManagementRequestInfo",
    "OnboardingService",
    "SystemStatus",
    "TokenInfo",
    "parse_algorithm",
    "parse_usage",
]
