"""Short-lived service tokens: the gateway signs one per call, services verify it."""

from spiegel_platform.auth.service_tokens import (
    Principal,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    SigningKey,
    TokenError,
)

__all__ = ["Principal", "ServiceTokenIssuer", "ServiceTokenVerifier", "SigningKey", "TokenError"]
