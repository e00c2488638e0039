"""Unit tests of the gateway's pure parts (no servers)."""

from __future__ import annotations

import ast
import functools
import json
from pathlib import Path

import pytest
import spiegel_gateway
from pydantic import ValidationError
from spiegel_gateway.mail.sender import Mailer, render
from spiegel_gateway.people.model import PersonIn, may_grant, normalise_email
from spiegel_gateway.ratelimits import Policy, RateLimited, RateLimiter
from spiegel_gateway.routing.policy import audited_read, closed_call
from spiegel_gateway.security.proxies import client_of, parse_networks
from spiegel_gateway.service_tokens import ServiceTokens, jwk_thumbprint, key_from_pem, parse_previous_keys
from spiegel_gateway.settings import GatewaySettings
from spiegel_gateway.signin.oidc_api import safe_next
from spiegel_gateway.tenants.model import TenantIn, TenantPatch
from spiegel_gateway.tenants.resolution import resolve, within_prefix
from spiegel_platform.auth.service_tokens import ServiceTokenVerifier, SigningKey


# -- tenant resolution ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "path", "slug", "rest", "invalid"),
    [
        ("umc-noord.spiegel.example", "/api/survey/rounds", "umc-noord", "/api/survey/rounds", False),
        ("UMC-Noord.Spiegel.Example:443", "/", "umc-noord", "/", False),
        ("spiegel.example", "/operator/tenants", None, "/operator/tenants", False),
        ("127.0.0.1:8100", "/t/demo/auth/login", "demo", "/auth/login", False),
        ("127.0.0.1:8100", "/t/demo", "demo", "/", False),
        ("[::1]:8100", "/t/demo/e/abc", "demo", "/e/abc", False),
        ("a.b.spiegel.example", "/", None, "/", True),  # nested labels are no tenant
        ("demo.spiegel.example", "/t/other/api/x", None, "/t/other/api/x", True),  # host and prefix at once
        ("127.0.0.1", "/t/Bad_Slug/x", None, "/t/Bad_Slug/x", True),
        ("evil.example", "/api/survey/x", None, "/api/survey/x", False),  # another host: the platform
    ],
)
def test_resolution_by_host_and_path(host, path, slug, rest, invalid):  # type: ignore[no-untyped-def]
    resolved = resolve(host, path, domain="spiegel.example", allow_prefix=True)
    assert (resolved.slug, resolved.path, resolved.invalid) == (slug, rest, invalid)


def test_path_prefix_is_refused_in_production():
    resolved = resolve("spiegel.example", "/t/demo/api/x", domain="spiegel.example", allow_prefix=False)
    assert resolved.slug is None and resolved.path == "/t/demo/api/x"


# -- tenants and people ------------------------------------------------------------------------
def test_anonymity_threshold_below_four_is_refused_naming_the_field():
    for bad in (3, 0, -1):
        with pytest.raises(ValidationError) as error:
            TenantIn(slug="umc", name="UMC", min_group_size=bad)
        assert error.value.errors()[0]["loc"] == ("min_group_size",)
        assert "never be below 4" in str(error.value)
    with pytest.raises(ValidationError):
        TenantPatch(min_group_size=3)
    assert TenantIn(slug="umc", name="UMC", min_group_size=4).min_group_size == 4


@pytest.mark.parametrize("slug", ["platform", "www", "-x", "x-", "Upper", "a" * 64, "a_b", ""])
def test_bad_or_reserved_slugs(slug):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        TenantIn(slug=slug, name="x")


def test_tenant_settings_are_checked():
    with pytest.raises(ValidationError, match="IANA"):
        TenantIn(slug="umc", name="x", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="each language once"):
        TenantIn(slug="umc", name="x", languages=["nl", "nl"])
    with pytest.raises(ValidationError, match="openid"):
        TenantIn(
            slug="umc",
            name="x",
            identity_provider={"issuer": "https://idp", "client_id": "c", "scopes": ["email"]},
        )


def test_who_may_grant_which_roles():
    assert may_grant({"tenant_admin"}, ["tenant_admin", "coordinator"])
    assert may_grant({"coordinator"}, ["specialist", "facilitator"])
    assert not may_grant({"coordinator"}, ["tenant_admin"])
    assert not may_grant({"specialist"}, ["specialist"])
    with pytest.raises(ValidationError):
        PersonIn(display_name="x", email="a@b.nl", roles=["operator"])  # type: ignore[list-item]


def test_addresses_are_kept_in_the_form_the_mail_relay_takes():
    # An internationalised domain in its ASCII form, at input and at look-up alike; a non-ASCII
    # local part needs SMTPUTF8, which the relay does not speak: refused, saying why.
    person = PersonIn(display_name="x", email="Idn@Exämple.org", roles=["coordinator"])
    assert person.email == "Idn@xn--exmple-cua.org"
    assert (
        normalise_email(" Idn@Exämple.org ")
        == normalise_email("idn@XN--EXMPLE-CUA.ORG")
        == ("idn@xn--exmple-cua.org")
    )
    with pytest.raises(ValidationError, match="before the @-sign"):
        PersonIn(display_name="x", email="jörg@example.org", roles=["coordinator"])


def test_a_display_name_is_one_line_of_visible_text():
    assert PersonIn(display_name=" Dr. B. Bakker ", email="b@b.nl", roles=["specialist"]).display_name == (
        "Dr. B. Bakker"
    )
    persian = "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627"  # a joiner is part of the spelling
    assert PersonIn(display_name=persian, email="m@b.nl", roles=["specialist"]).display_name == persian
    for hidden in (
        "B.\r\nBakker",
        "B.\tBakker",
        "B.\x00Bakker",
        "B.\x07Bakker",
        "B.\u2028Bakker",  # line separator
        "B. \u202erekkaB",  # right-to-left override: reads as another name
        "<b>Bakker</b>",
    ):
        with pytest.raises(ValidationError, match="control characters"):
            PersonIn(display_name=hidden, email="b@b.nl", roles=["specialist"])


# -- service tokens -----------------------------------------------------------------------------
def test_thumbprint_matches_rfc_7638_and_is_the_kid():
    # RFC 7638 section 3.1 is an RSA example; for EC the members are crv, kty, x, y in that order.
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }
    canonical = (
        '{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",'
        '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}'
    )
    import base64
    import hashlib

    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert jwk_thumbprint({**jwk, "kid": "ignored", "use": "sig"}) == expected
    key = key_from_pem(SigningKey.generate().private_pem)
    assert key.kid == jwk_thumbprint(key.public_jwk())


def test_tokens_verify_across_a_rotation_and_are_cached_per_caller():
    old, new = (
        key_from_pem(SigningKey.generate().private_pem),
        key_from_pem(SigningKey.generate().private_pem),
    )
    previous = parse_previous_keys(json.dumps([{k: v for k, v in old.public_jwk().items() if k != "kid"}]))
    assert previous[0]["kid"] == old.kid
    tokens = ServiceTokens(new, previous=previous, lifetime_s=60)
    assert [k["kid"] for k in tokens.jwks()["keys"]] == [new.kid, old.kid]
    verifier = ServiceTokenVerifier(json.dumps(tokens.jwks()), audience="survey")
    old_token = ServiceTokens(old, previous=[], lifetime_s=60).issue(
        cache_key=None, audience="survey", subject="p1", tenant_id="t", roles=["coordinator"], extra={}
    )
    args = {
        "audience": "survey",
        "subject": "p1",
        "tenant_id": "t",
        "roles": ["coordinator"],
        "extra": {"lang": "nl"},
    }
    first = tokens.issue(cache_key="session-1", **args)
    assert tokens.issue(cache_key="session-1", **args) == first
    assert tokens.issue(cache_key="session-2", **args) != first
    tokens.forget("session-1")
    assert tokens.issue(cache_key="session-1", **args) != first
    assert verifier.verify(old_token).subject == "p1"  # in flight during the rotation
    principal = verifier.verify(first)
    assert (principal.tenant_id, principal.claims["lang"]) == ("t", "nl")


def test_previous_keys_must_be_public():
    private = SigningKey.generate()
    import jwt as pyjwt
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private.private_pem, password=None)
    private_jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(key))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="public"):
        parse_previous_keys(json.dumps({"keys": [private_jwk]}))


# -- rate limits ----------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_080_000.0  # a whole number of hours: windows start here

    def __call__(self) -> float:
        return self.now


def test_guessing_ten_thousand_link_tokens_is_throttled():
    """Failures per IP: 20 an hour. 10,000 guesses from one address take 500 hours, not seconds."""
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    failures = Policy("link_failures_ip", 20, 3600)
    tried = 0
    while tried < 10_000:
        wait = limiter.retry_after(failures, "203.0.113.9")
        if wait is not None:
            clock.now += wait  # the patient attacker waits as long as told
            continue
        tried += 1
        limiter.count(failures, "203.0.113.9")
        clock.now += 0.001
    hours = (clock.now - 1_080_000.0) / 3600
    assert hours > 400, f"10,000 guesses took only {hours:.1f} hours"


def test_limits_are_per_key_and_slide():
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    policy = Policy("signin_ip", 3, 60)
    for _ in range(3):
        limiter.hit(policy, "a")
    with pytest.raises(RateLimited) as refused:
        limiter.hit(policy, "a")
    assert 0 < int(refused.value.headers["Retry-After"]) <= 60
    limiter.hit(policy, "b")  # another address is not affected
    clock.now += 61
    with pytest.raises(RateLimited):  # the previous window still weighs in just after it
        limiter.hit(policy, "a")
    clock.now += 60
    limiter.hit(policy, "a")


def test_limiter_memory_is_bounded():
    limiter = RateLimiter(max_keys=100)
    policy = Policy("x", 1, 60)
    for i in range(1000):
        limiter.hit(policy, f"ip-{i}")
    assert len(limiter._windows) == 100


# -- proxies, redirects, audit table ------------------------------------------------------------
def test_forwarded_headers_only_from_trusted_proxies():
    trusted = parse_networks(["10.0.0.0/8"])
    headers = {"x-forwarded-for": "203.0.113.7, 10.1.2.3", "x-forwarded-proto": "https"}
    assert client_of("10.9.9.9", headers, "http", trusted) == ("203.0.113.7", "https")
    assert client_of("198.51.100.1", headers, "http", trusted) == ("198.51.100.1", "http")
    assert client_of("10.9.9.9", headers, "http", []) == ("10.9.9.9", "http")
    spoofed = {"x-forwarded-for": "1.1.1.1, 203.0.113.7"}
    assert client_of("10.9.9.9", spoofed, "http", trusted)[0] == "203.0.113.7"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/api/x", "/api/x"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
        (None, "/"),
    ],
)
def test_no_open_redirect_after_sign_in(value, expected):  # type: ignore[no-untyped-def]
    assert safe_next(value) == expected


def test_reads_of_reports_and_pops_are_audited():
    assert audited_read("aggregation", "GET", "reports/r1") == "report.read"
    assert audited_read("aggregation", "GET", "reports/r1/pdf") == "report.read"
    assert audited_read("action-plan", "GET", "pops/p1") == "pop.read"
    assert audited_read("accreditation", "GET", "sessions/s1/notes/p1") == "notes.read"
    assert audited_read("accreditation", "GET", "/sessions/s1/notes") == "notes.read"
    assert audited_read("accreditation", "GET", "notes/mine") == "notes.read"
    assert audited_read("accreditation", "PUT", "sessions/s1/notes/p1") is None
    assert audited_read("accreditation", "GET", "sessions/s1/attendance") is None
    assert audited_read("aggregation", "POST", "reports/r1") is None
    assert audited_read("survey", "GET", "rounds/r1") is None
    assert audited_read("aggregation", "GET", "sessions/s1/preparation") == "report.read"
    assert audited_read("aggregation", "GET", "sessions/s1/preparation/fragment") == "report.read"
    assert audited_read("aggregation", "GET", "sessions/s1") is None


def test_refusals_of_a_pop_are_audited_whatever_the_method_and_answer():
    from spiegel_gateway.routing.policy import refusal

    # A POP answers 404 to everyone but its owner: that is a refusal, for a read or a change.
    for path in ("pops/p1", "/pops/p1/complete", "pops/p1/pdf", "pops//p1/review"):
        assert refusal("action-plan", path, 404) == "authorisation.failed", path
    assert refusal("aggregation", "reports/r1", 404) is None  # elsewhere a 404 is just unknown
    assert refusal("action-plan", "completion", 404) is None
    assert refusal("accreditation", "sessions/s1/notes/p1", 404) == "authorisation.failed"
    assert refusal("accreditation", "sessions/s1", 404) is None
    assert refusal("survey", "rounds/r1", 403) == "authorisation.failed"
    assert refusal("action-plan", "pops/p1", 200) is None
    # A group's action plan answers 404 to everyone but the group's members: a refusal too.
    for path in ("group-plans/g1", "group-plans/g1/adopt", "/group-plans/g1/history", "group-plans//g1"):
        assert refusal("action-plan", path, 404) == "authorisation.failed", path
    for path in ("group-plans", "group-plans/mine", "group-plans/status", "group-plans/settings"):
        assert refusal("action-plan", path, 404) is None, path


def test_operational_endpoints_of_services_are_not_forwarded():
    for service in ("survey", "invitation", "aggregation"):
        for path in ("metrics", "/metrics/", "healthz", "readyz"):
            assert closed_call(service, path) == "not_part_of_service_api", (service, path)
    assert closed_call("survey", "rounds") is None and closed_call("aggregation", "metrics-of-x") is None


# -- e-mail -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["nl", "en"])
def test_mail_in_both_languages_with_escaped_names(language):  # type: ignore[no-untyped-def]
    mail = render(
        "reset_password",
        language,
        to_address="a@b.nl",
        to_name="<script>x</script>",
        hospital="UMC",
        link="https://umc.spiegel.example/x?token=abc",
        valid_minutes=60,
    )
    assert ("wachtwoord" if language == "nl" else "password") in mail.text
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "token=abc" in mail.text


def test_a_name_with_line_breaks_adds_no_header():
    settings = GatewaySettings(mongodb_url="mongodb://x", kafka_bootstrap_servers="x:1", spiegel_env="test")
    mail = render(
        "verify_email",
        "nl",
        to_address="a@b.nl",
        to_name="Eve\r\nBcc: all@evil.example",
        hospital="UMC",
        link="https://x",
        valid_days=3,
    )
    with pytest.raises(ValueError):
        Mailer(settings).message(mail).as_bytes()


# -- the audit log is append-only ------------------------------------------------------------------
def test_no_code_path_updates_or_deletes_the_audit_log():
    package = Path(spiegel_gateway.__file__).parent
    mutating = {
        "update",
        "update_one",
        "update_many",
        "delete",
        "delete_one",
        "delete_many",
        "replace_one",
        "find_one_and_update",
        "find_one_and_delete",
        "find_one_and_replace",
        "bulk_write",
        "drop",
        "apply_once",
        "apply_idempotent",
    }
    audit_module = package / "audit" / "log.py"
    tree = ast.parse(audit_module.read_text())
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & mutating, f"the audit log module calls {calls & mutating}"
    assert {"insert", "find"} <= calls
    for source in package.rglob("*.py"):
        if source != audit_module:
            text = source.read_text()
            assert "audit_log" not in text, f"{source} names the audit collection: only audit/log.py may"
    from spiegel_gateway.audit.log import AuditLog

    public = {name for name in vars(AuditLog) if not name.startswith("_")}
    assert public == {"record", "entries"}


def test_production_refuses_placeholder_secrets_and_missing_keys():
    base = {"mongodb_url": "mongodb://x", "kafka_bootstrap_servers": "x:1", "spiegel_env": "production"}
    with pytest.raises(ValidationError, match="SESSION_SECRET"):
        GatewaySettings(**base, session_secret="development-only-session-secret-change-me")
    with pytest.raises(ValidationError, match="SIGNING_KEY_FILE"):
        GatewaySettings(**base, session_secret="x" * 40)
    ok = GatewaySettings(
        **base,
        session_secret="k3" * 20,
        service_token_signing_key_file="/k.pem",
        smtp_host="smtp",
        gateway_domain="spiegel.example",
    )
    assert ok.cookies_secure


def test_redirects_keep_the_hospitals_path_prefix_and_leave_other_sites_alone():
    within = functools.partial(within_prefix, "/t/umc", "localhost:8100")
    assert within(b"http://localhost:8100/people?x=1") == b"http://localhost:8100/t/umc/people?x=1"
    assert within(b"/people") == b"/t/umc/people"
    assert within(b"/t/umc/people") == b"/t/umc/people"  # a page's own redirect carries it
    assert within(b"/t/umc") == b"/t/umc"
    assert within(b"https://idp.umc.nl/authorize?x=1") == b"https://idp.umc.nl/authorize?x=1"
    assert within(b"people") == b"people"  # relative: resolved against the prefixed path already


# -- the routing table ------------------------------------------------------------------------------


async def test_a_service_in_the_routing_table_without_an_address_is_not_deployed():
    from spiegel_gateway.routing.client import ServiceClient, ServiceUnavailable

    settings = GatewaySettings(
        mongodb_url="mongodb://x",
        kafka_bootstrap_servers="x:1",
        spiegel_env="test",
        survey_url="http://s:80/",
    )
    assert settings.service_url("survey") == "http://s:80"
    assert settings.service_url("aggregation") is None
    client = ServiceClient(
        settings, ServiceTokens(key_from_pem(SigningKey.generate().private_pem), previous=[], lifetime_s=60)
    )
    assert client.known("aggregation") and not client.known("payroll")
    with pytest.raises(ServiceUnavailable) as refused:
        await client.call("aggregation", "GET", "norms", caller=None, correlation_id="c")  # type: ignore[arg-type]
    assert refused.value.status_code == 503
    assert refused.value.code == "service_not_deployed"
    assert refused.value.detail == "the aggregation service is not deployed here; try again later"


def test_the_status_page_reads_lag_backlog_and_dead_letters_from_prometheus_text() -> None:
    from spiegel_gateway.operator.status import read_metrics

    exposition = """# HELP spiegel_backlog_consumer_lag Messages not yet committed by the consumer group
# TYPE spiegel_backlog_consumer_lag gauge
spiegel_backlog_consumer_lag{group="a",topic="t"} 3.0
spiegel_backlog_consumer_lag{group="b",topic="t"} 4.0
# HELP spiegel_backlog_outbox Documents whose events wait for the service's relay
# TYPE spiegel_backlog_outbox gauge
spiegel_backlog_outbox{service="survey"} 2.0
# HELP spiegel_backlog_dead_letters Messages the service's consumer groups sent to a dead-letter topic
# TYPE spiegel_backlog_dead_letters gauge
spiegel_backlog_dead_letters{group="a",topic="t"} 1.0
spiegel_backlog_dead_letters{group="b",topic="u"} 2.0
# HELP spiegel_consumer_lag Messages behind the end of the partition (one process's view: not read)
# TYPE spiegel_consumer_lag gauge
spiegel_consumer_lag{consumer="a",partition="0",topic="t"} 99.0
"""
    assert read_metrics(exposition) == {"consumer_lag": 7, "outbox_backlog": 2, "dead_letters": 3}
    # Declared but never set (a gauge family without samples): not reported, rather than 0.
    declared = "# HELP spiegel_backlog_consumer_lag x\n# TYPE spiegel_backlog_consumer_lag gauge\n"
    assert read_metrics(declared)["consumer_lag"] is None
    assert read_metrics("# nothing exported\n") == {
        "consumer_lag": None,
        "outbox_backlog": None,
        "dead_letters": None,
    }


def test_an_operators_caller_token_names_the_gateway_alone() -> None:
    """The web pages of the operators' console call the gateway's operator API; an operator's token
    never names a domain service (operators reach no hospital's data)."""
    from datetime import UTC, datetime, timedelta

    import jwt
    from spiegel_gateway.routing.client import CALLER_AUDIENCE, ServiceClient
    from spiegel_gateway.service_tokens import ServiceTokens
    from spiegel_gateway.sessions.store import Session
    from spiegel_platform.auth.service_tokens import SigningKey

    client = ServiceClient(None, ServiceTokens(SigningKey.generate(), previous=[], lifetime_s=60))  # type: ignore[arg-type]

    def audience_of(tenant_id: str, roles: tuple[str, ...]) -> object:
        session = Session(
            id=f"s-{tenant_id}",
            tenant_id=tenant_id,
            kind="person",
            subject="p1",
            roles=roles,
            email="p@x.nl",
            name="P",
            language="nl",
            csrf="c",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        return jwt.decode(client.caller_token(session, "192.0.2.1"), options={"verify_signature": False})[
            "aud"
        ]

    assert audience_of("platform", ("operator",)) == ["gateway"]
    assert sorted(audience_of("umc-noord", ("coordinator",))) == sorted(CALLER_AUDIENCE)  # type: ignore[arg-type]


def test_a_group_the_people_import_makes_takes_its_kind_and_shared_specialism():
    """Found in the hospital's start in the browser: the groups an import made had no specialism
    although every row named the same one, and "Maatschap Longziekten" was made a vakgroep."""
    from spiegel_gateway.people.import_checks import new_group_details

    assert new_group_details("Maatschap Longziekten", ["Longziekten"] * 6) == ("maatschap", "Longziekten")
    assert new_group_details("Vakgroep Cardiologie", ["Cardiologie", "cardiologie"]) == (
        "vakgroep",
        "Cardiologie",
    )
    # Rows that differ, or a row without one: no guess (the group's page sets it).
    assert new_group_details("Vakgroep Chirurgie", ["Chirurgie", "Urologie"]) == ("vakgroep", "")
    assert new_group_details("Vakgroep Chirurgie", ["Chirurgie", None]) == ("vakgroep", "")
    assert new_group_details("Snijdende vakken", []) == ("vakgroep", "")
