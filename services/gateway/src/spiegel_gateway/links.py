"""Addresses of the gateway's own pages, as written into e-mails.

The pages themselves are served by the `web` package (#7); these paths are the
contract between the e-mails sent now and those pages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from spiegel_gateway.settings import GatewaySettings
from spiegel_gateway.tenants.store import Tenant

VERIFY_EMAIL_PAGE = "/account/verifieren"
RESET_PASSWORD_PAGE = "/account/nieuw-wachtwoord"  # noqa: S105 - a page path


def tenant_base_url(settings: GatewaySettings, tenant: Tenant) -> str:
    """Never from the request's Host header (a forged host must not reach an e-mail). The platform
    (operators) is the bare domain."""
    if tenant.is_platform:
        if settings.public_base_url:
            return settings.public_base_url.rstrip("/")
        return f"{settings.public_scheme}://{settings.gateway_domain}"
    if settings.public_base_url:
        return f"{settings.public_base_url.rstrip('/')}/t/{tenant.slug}"
    return f"{settings.public_scheme}://{tenant.slug}.{settings.gateway_domain}"


def page_url(settings: GatewaySettings, tenant: Tenant, path: str, **query: str) -> str:
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{tenant_base_url(settings, tenant)}{path}{suffix}"
