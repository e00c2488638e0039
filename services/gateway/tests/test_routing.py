"""Routing to the services through the real gateway: what is passed on and what never is, 503s,
correlation ids, size limits, security headers, CORS, OpenAPI and the JWKS."""

from __future__ import annotations

import contextlib
import uuid

import httpx
import pytest
from gateway_helpers import Browser, add_person, create_tenant, start_gateway
from spiegel_dev.processes import free_port
from spiegel_dev.pytest_plugin import Processes

pytestmark = pytest.mark.integration

ENGLISH = {"accept-language": "en"}  # the gateway and services answer Dutch unless asked


@contextlib.contextmanager
def another_gateway(deployment, stack, gateway_key, smtp, tmp_path, survey_url: str, **env: str):  # type: ignore[no-untyped-def]
    """A second gateway on the deployment's database (its sessions are valid there), stopped after."""
    _, key_file = gateway_key
    processes = Processes(stack, "{}", tmp_path / "logs")
    try:
        yield start_gateway(
            processes,
            key_file,
            smtp[1],
            deployment.prefix,
            {"SURVEY_URL": survey_url},
            SESSION_SECRET=deployment.env["SESSION_SECRET"],
            **env,
        )
    finally:
        processes.stop_all()


@pytest.fixture(scope="module")
async def signed_in(deployment):  # type: ignore[no-untyped-def]
    slug = f"route-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    email = f"coord-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, tenant["tenant_id"], email, "coordinator", name="Dr. C. Oördinator")
    browser = Browser(deployment.url, slug=slug)
    assert (await browser.login(email)).status_code == 200
    yield browser, tenant, email
    await browser.aclose()


async def test_service_sees_only_the_gateways_token_never_the_browsers_credentials(signed_in):  # type: ignore[no-untyped-def]
    browser, tenant, email = signed_in
    sent = await browser.post(
        "/api/survey/test-echo",
        json={"a": 1},
        headers={
            "x-tenant": "other-hospital",
            "x-user": "admin",
            "x-tenant-id": "other-hospital",
            "x-roles": "operator",
            "x-forwarded-user": "admin",
            "x-correlation-id": "trace-me-123",
            "accept-language": "nl",
        },
    )
    assert sent.status_code == 200, sent.text
    seen = sent.json()
    assert seen["tenant_id"] == tenant["tenant_id"] and seen["roles"] == ["coordinator"]
    assert seen["claims"] == {
        "email": email,
        "name": "Dr. C. Oördinator",
        "lang": "nl",
        "aud": "survey",
        "iss": "spiegel-gateway",
    }
    headers = seen["headers"]
    for never in (
        "cookie",
        "x-tenant",
        "x-user",
        "x-tenant-id",
        "x-roles",
        "x-forwarded-user",
        "x-csrf-token",
        "x-forwarded-for",
    ):
        assert never not in headers, f"{never} reached the service"
    assert headers["authorization"].startswith("Bearer ey")  # the gateway's service token
    assert headers["x-correlation-id"] == "trace-me-123"
    assert sent.headers["x-correlation-id"] == "trace-me-123"
    assert seen["body_bytes"] == len(b'{"a":1}') or seen["body_bytes"] == len(b'{"a": 1}')


async def test_a_correlation_id_is_created_when_absent(signed_in):  # type: ignore[no-untyped-def]
    browser, _, _ = signed_in
    seen = await browser.get("/api/survey/test-echo")
    created = seen.headers["x-correlation-id"]
    assert len(created) >= 16 and seen.json()["headers"]["x-correlation-id"] == created


async def test_unknown_or_undeployed_or_down_services_answer_clearly(
    deployment, signed_in, stack, gateway_key, smtp, tmp_path
):  # type: ignore[no-untyped-def]
    browser, _, _ = signed_in
    unknown = await browser.get("/api/payroll/x", headers=ENGLISH)
    assert unknown.status_code == 404 and "no service" in unknown.json()["message"]
    assert unknown.json()["code"] == "no_such_service"
    # A second gateway whose survey URL points at a closed port: the service is down. It is given
    # no address for aggregation: that service is not deployed there.
    closed_port = f"http://127.0.0.1:{free_port()}"
    with another_gateway(
        deployment, stack, gateway_key, smtp, tmp_path, closed_port, UPSTREAM_CONNECT_TIMEOUT_S="1"
    ) as down:
        other = Browser(down.url, slug=browser.prefix.removeprefix("/t/"))
        other.cookie, other.csrf = (
            browser.cookie,
            browser.csrf,
        )  # the same database: the session is valid there
        answer = await other.get("/api/survey/test-echo", headers=ENGLISH)
        assert answer.status_code == 503
        assert answer.json()["message"] == "the survey service is not reachable; try again later"
        assert answer.json()["code"] == "service_not_reachable"
        undeployed = await other.get("/api/aggregation/norms", headers=ENGLISH)
        assert undeployed.status_code == 503
        assert undeployed.json()["message"] == "the aggregation service is not deployed here; try again later"
        assert undeployed.json()["code"] == "service_not_deployed"
        await other.aclose()


async def test_only_the_documented_methods_reach_a_service(signed_in):  # type: ignore[no-untyped-def]
    browser, _, _ = signed_in
    assert (await browser.request("GET", "/api/survey/test-echo")).status_code == 200
    for method in ("HEAD", "OPTIONS", "TRACE"):  # refused by the gateway itself, never forwarded
        refused = await browser.request(method, "/api/survey/test-echo")
        assert refused.status_code == 405, method
        assert set(refused.headers["allow"].split(", ")) == {"GET", "POST", "PUT", "PATCH", "DELETE"}


async def test_respondent_links_are_never_made_by_hand_through_the_gateway(signed_in):  # type: ignore[no-untyped-def]
    # A coordinator who could mint links could fill a group up to its minimum with made-up
    # answers and read the one real respondent's off the report: only the invitation service issues.
    browser, _, _ = signed_in
    for path in (
        "/api/survey/rounds/r1/assignments",
        "/api/survey/rounds//r1/assignments/",
        "/api/survey/rounds/r1/assign%6Dents",
    ):
        refused = await browser.request("POST", path, json={"respondent_group": "staff", "count": 3})
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "respondent_links_by_invitation_only", (path, refused.text)
    # The rest of the survey API is forwarded as before.
    assert (await browser.request("GET", "/api/survey/test-echo")).status_code == 200


async def test_a_service_bug_is_its_own_500_and_the_next_call_still_reaches_the_service(signed_in):  # type: ignore[no-untyped-def]
    # uvicorn closes the connection after an unhandled exception; the gateway's pool had kept it,
    # so the next POST (never retried) got 503 "not reachable". The 500 now says Connection: close.
    browser, _, _ = signed_in
    for _ in range(3):
        crashed = await browser.request("POST", "/api/survey/test-crash", json={}, headers=ENGLISH)
        assert crashed.status_code == 500, crashed.text
        assert "correlation id" in crashed.text and crashed.json()["code"] == "internal"
        echoed = await browser.request("POST", "/api/survey/test-echo", json={})
        assert echoed.status_code == 200, echoed.text


async def test_a_services_headers_reach_the_caller_as_the_bytes_it_sent(signed_in):  # type: ignore[no-untyped-def]
    # A UTF-8 file name in Content-Disposition made the gateway's own response fail (500).
    browser, _, _ = signed_in
    download = await browser.get("/api/survey/test-download")
    assert download.status_code == 200, download.text
    assert (b"content-disposition", 'attachment; filename="café ☕.txt"'.encode()) in download.headers.raw
    assert download.headers["content-type"].startswith("text/plain")


async def test_request_size_is_limited(signed_in):  # type: ignore[no-untyped-def]
    browser, _, _ = signed_in
    big = await browser.post(
        "/api/survey/test-echo",
        content=b"x" * (1_048_576 + 1),
        headers={"content-type": "application/octet-stream", "accept-language": "en"},
    )
    assert big.status_code == 413
    assert big.json()["code"] == "body_too_large"
    assert "too large" in big.json()["message"]

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"y" * 65_536

    streamed = await browser.post(
        "/api/survey/test-echo", content=chunks(), headers={"content-type": "application/octet-stream"}
    )
    assert streamed.status_code == 413
    fine = await browser.post(
        "/api/survey/test-echo", content=b"z" * 10_000, headers={"content-type": "application/octet-stream"}
    )
    assert fine.status_code == 200 and fine.json()["body_bytes"] == 10_000


async def test_security_headers_and_hsts_only_behind_tls(deployment):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        plain = await client.get("/healthz")
        tls = await client.get("/healthz", headers={"x-forwarded-proto": "https"})  # from the trusted proxy
    csp = plain.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["x-frame-options"] == "DENY"
    assert plain.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in plain.headers
    assert tls.headers["strict-transport-security"].startswith("max-age=")


async def test_without_trusted_proxies_no_forwarded_header_is_believed(  # type: ignore[no-untyped-def]
    deployment, stack, gateway_key, smtp, tmp_path
):
    """Not even from the loopback address: the web server's own proxy-header handling is off,
    TRUSTED_PROXIES alone decides."""
    with another_gateway(
        deployment, stack, gateway_key, smtp, tmp_path, deployment.survey.url, TRUSTED_PROXIES=""
    ) as untrusting:
        async with httpx.AsyncClient(base_url=untrusting.url) as client:
            forged = await client.get(
                "/healthz", headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.77"}
            )
    assert forged.status_code == 200
    assert "strict-transport-security" not in forged.headers  # it came over plain HTTP


async def test_cookies_are_secure_and_host_prefixed_behind_tls(deployment):  # type: ignore[no-untyped-def]
    slug = f"tls-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    email = f"tls-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, tenant["tenant_id"], email, "specialist")
    browser = Browser(deployment.url, host=f"{slug}.spiegel.test")
    try:
        login = await browser.request(
            "POST",
            "/auth/login",
            json={"email": email, "password": "correct horse battery staple"},
            headers={"x-forwarded-proto": "https"},
        )
        cookie = login.headers["set-cookie"]
        assert cookie.startswith("__Host-spiegel_session=") and "Secure" in cookie and "Path=/;" in cookie
    finally:
        await browser.aclose()


async def test_metrics_are_not_served_through_the_ingress(deployment, signed_in):  # type: ignore[no-untyped-def]
    browser, _, _ = signed_in
    assert (await browser.get("/api/survey/test-echo")).status_code == 200
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        scraped = await client.get("/metrics")  # Prometheus, straight at the pod
        public = await client.get("/metrics", headers={"x-forwarded-for": "203.0.113.5"})
    assert scraped.status_code == 200 and "spiegel_http_request_duration_seconds" in scraped.text
    # Calls to the services are measured under their route template, like every other route.
    assert 'route="/api/{service}/{path:path}",service="gateway",status="200"' in scraped.text
    assert public.status_code == 404


async def test_cors_is_closed_by_default(deployment, signed_in):  # type: ignore[no-untyped-def]
    browser, _, _ = signed_in
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        preflight = await client.options(
            f"{browser.prefix}/api/survey/test-echo",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
    assert "access-control-allow-origin" not in preflight.headers
    read = await browser.get("/api/survey/test-echo", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in read.headers


async def test_openapi_document_and_jwks(deployment):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        document = (await client.get("/openapi.json")).json()
        jwks = (await client.get("/.well-known/jwks.json")).json()
        docs = await client.get("/docs")
    paths = document["paths"]
    for path in (
        "/auth/login",
        "/auth/session",
        "/auth/oidc/login",
        "/auth/password-reset",
        "/people",
        "/operator/tenants",
        "/e/{token}",
        "/respondent/submit",
        "/api/{service}/{path}",
        "/audit",
    ):
        assert path in paths, path
    assert docs.status_code == 404  # Swagger UI would need inline script and a CDN
    assert [k["kid"] for k in jwks["keys"]] == [deployment.key.kid]
    assert all("d" not in k for k in jwks["keys"])


async def test_host_names_select_the_hospital(deployment):  # type: ignore[no-untyped-def]
    slug = f"host-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    email = f"host-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, tenant["tenant_id"], email, "coordinator")
    by_host = Browser(deployment.url, host=f"{slug}.spiegel.test")
    unknown = Browser(deployment.url, host="no-such-hospital.spiegel.test")
    try:
        assert (await by_host.login(email)).status_code == 200
        seen = await by_host.get("/api/survey/test-echo")
        assert seen.status_code == 200 and seen.json()["tenant_id"] == tenant["tenant_id"]
        assert (await unknown.get("/auth/session")).status_code == 404
        assert (await unknown.login(email)).status_code == 404
    finally:
        await by_host.aclose()
        await unknown.aclose()


async def test_a_trailing_slash_is_redirected_within_the_hospital(deployment, signed_in):  # type: ignore[no-untyped-def]
    # Locally the hospital is in the path (/t/<slug>/...): the router's redirect of "/people/" to
    # "/people" lost it, and led to the platform (found by fuzzing). By host name it never had one.
    browser, _, _ = signed_in
    redirected = await browser.get("/people/")
    assert redirected.status_code == 307, redirected.text
    location = redirected.headers["location"]
    assert location.endswith(f"{browser.prefix}/people"), location
    followed = await browser.client.get(location, headers={"cookie": f"spiegel_session={browser.cookie}"})
    assert followed.status_code == 200 and isinstance(followed.json(), list), followed.text
