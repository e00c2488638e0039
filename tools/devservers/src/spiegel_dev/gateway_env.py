"""What the gateway and the web pages need from `make run`: the other services' addresses, and the
gateway's own."""

from __future__ import annotations

from collections.abc import Iterable

from spiegel_dev.services import ServiceProcess


def gateway_env(processes: Iterable[ServiceProcess], base_port: int) -> dict[str, str]:
    urls = {
        f"{p.service.upper().replace('-', '_')}_URL": p.url
        for p in processes
        if p.process == "api" and p.service != "gateway"
    }
    return {
        **urls,
        # Hospitals at http://127.0.0.1:<base>/t/<slug>/ (or http://<slug>.localhost:<base>/ in a browser).
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{base_port}",
        "GATEWAY_DOMAIN": "localhost",
    }


def web_env(processes: Iterable[ServiceProcess], base_port: int) -> dict[str, str]:
    """The web service calls the domain services and the gateway's own API (people, the hospital)."""
    urls = {
        f"{p.service.upper().replace('-', '_')}_URL": p.url
        for p in processes
        if p.process == "api" and p.service not in ("gateway", "web")
    }
    return {**urls, "GATEWAY_URL": f"http://127.0.0.1:{base_port}"}
