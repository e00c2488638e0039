"""What the gateway and the web pages need from `make run`: the other services' addresses, the
gateway's own, and the gateway's development signing key (which the services' JWKS of `make run` trusts)."""

from __future__ import annotations

from collections.abc import Iterable

from spiegel_dev.keys import dev_signing_env
from spiegel_dev.services import ServiceProcess, url_variable


def gateway_env(processes: Iterable[ServiceProcess], base_port: int) -> dict[str, str]:
    urls = {
        url_variable(p.service): p.url for p in processes if p.process == "api" and p.service != "gateway"
    }
    return {
        **urls,
        # Hospitals at http://127.0.0.1:<base>/t/<slug>/ (or http://<slug>.localhost:<base>/ in a browser).
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{base_port}",
        "GATEWAY_DOMAIN": "localhost",
        **dev_signing_env(),
    }


def web_env(processes: Iterable[ServiceProcess], base_port: int) -> dict[str, str]:
    """The web service calls the domain services and the gateway's own API (people, the hospital)."""
    urls = {
        url_variable(p.service): p.url
        for p in processes
        if p.process == "api" and p.service not in ("gateway", "web")
    }
    return {**urls, "GATEWAY_URL": f"http://127.0.0.1:{base_port}"}
