"""The gateway's app as the platform's `build_api` builds it from the gateway's definition (no
servers): its middleware inside the platform's, in the order the gateway's rules need, the /api
forwarding matched first, no documentation pages, page-aware errors, every other request a page."""

from __future__ import annotations

from pathlib import Path

from spiegel_gateway.definition import DEFINITION
from spiegel_gateway.pages.forward import PageForwarding
from spiegel_gateway.routing import proxy
from spiegel_gateway.settings import GatewaySettings
from spiegel_gateway.wiring import Gateway
from spiegel_pages.look import PageError
from spiegel_platform.auth.service_tokens import SigningKey
from spiegel_platform.service import Runtime, build_api


def _app(tmp_path: Path, **settings: str):  # type: ignore[no-untyped-def]
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(SigningKey.generate().private_pem)
    gateway_settings = GatewaySettings(
        mongodb_url="mongodb://x",
        kafka_bootstrap_servers="x:1",
        spiegel_env="test",
        service_token_signing_key_file=str(key_file),
        **settings,  # type: ignore[arg-type]
    )
    return build_api(Runtime(DEFINITION, gateway_settings))


def test_middleware_outermost_first(tmp_path: Path) -> None:
    layers = [m.cls.__name__ for m in _app(tmp_path).user_middleware]  # type: ignore[attr-defined]
    assert layers == ["ObservabilityMiddleware", "SecurityMiddleware", "TenantRoutingMiddleware"]
    with_cors = _app(tmp_path, cors_allowed_origins="https://a.example")
    assert [m.cls.__name__ for m in with_cors.user_middleware][-1] == "CORSMiddleware"  # type: ignore[attr-defined]


def test_routes_parts_and_errors(tmp_path: Path) -> None:
    app = _app(tmp_path)
    first = app.router.routes[0]
    assert isinstance(first, type(proxy.lean_route())) and getattr(first, "path", "") == proxy.PATH
    paths = {getattr(route, "path", "") for route in app.router.routes}
    assert "/openapi.json" in paths and not paths & {"/docs", "/docs/oauth2-redirect", "/redoc"}
    assert isinstance(app.router.default, PageForwarding)
    assert isinstance(app.state.gateway, Gateway)
    assert PageError in app.exception_handlers
    documented = app.openapi()["paths"]
    assert "/api/{service}/{path}" in documented and "/.well-known/jwks.json" not in documented
