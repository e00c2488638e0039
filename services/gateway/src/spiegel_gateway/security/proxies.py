"""The client's address and scheme, believing X-Forwarded-* only from trusted proxies.

With TRUSTED_PROXIES empty the gateway believes no forwarded header: the
client is the TCP peer and the scheme is the connection's. Behind an ingress
list its addresses (or networks); the client is then the right-most address
in X-Forwarded-For that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(v, strict=False) for v in values]


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_of(
    peer: str, headers: dict[str, str], scheme: str, networks: Sequence[Network]
) -> tuple[str, str]:
    """(client address, scheme) of a request."""
    if not networks or not _trusted(peer, networks):
        return peer, scheme
    forwarded_for = [a.strip() for a in headers.get("x-forwarded-for", "").split(",") if a.strip()]
    client = peer
    for address in reversed(forwarded_for):
        client = address
        if not _trusted(address, networks):
            break
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return client, proto if proto in ("http", "https") else scheme
