"""Helpers of the gateway's tests: a real SMTP inbox, a deployment of real processes, a small browser."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from spiegel_dev.processes import free_port
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.services import ServiceProcess
from spiegel_dev.waiting import eventually, until
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer, SigningKey

SUPPORT = Path(__file__).parent / "support"
PASSWORD = "correct horse battery staple"


# -- a real SMTP server on loopback ---------------------------------------------------
class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, to: str, subject_part: str = "", timeout: float = 15) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if to.lower() in str(message["To"]).lower() and subject_part in str(message["Subject"]):
                    self.messages.remove(message)
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no e-mail to {to} ({subject_part!r}) within {timeout}s")

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    @classmethod
    def token_in(cls, message: EmailMessage) -> str:
        match = re.search(r"token=([A-Za-z0-9_\-]+)", cls.text(message))
        assert match, cls.text(message)
        return match.group(1)


# -- the gateway's signing key, and a deployment -----------------------------------------


@dataclass
class Deployment:
    gateway: ServiceProcess
    survey: ServiceProcess
    aggregation: ServiceProcess
    prefix: str
    key: SigningKey
    processes: Processes
    env: dict[str, str] = field(default_factory=dict)
    invitation: ServiceProcess | None = None
    action_plan: ServiceProcess | None = None
    _db: Any = None

    @property
    def url(self) -> str:
        return self.gateway.url

    def db(self) -> Any:
        """The gateway's database (tests read it, and make people in it with the gateway's store)."""
        if self._db is None:
            from pymongo import AsyncMongoClient

            self._db = AsyncMongoClient(self.env["MONGODB_URL"], tz_aware=True)[self.env["MONGODB_DATABASE"]]
        return self._db

    def issuer(self) -> ServiceTokenIssuer:
        return ServiceTokenIssuer(self.key)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "spiegel_gateway", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )


def start_gateway(
    processes: Processes,
    key_file: Path,
    smtp_port: int,
    prefix: str,
    service_urls: dict[str, str],
    port: int | None = None,
    **extra: str,
) -> ServiceProcess:
    from spiegel_dev.services import new_process

    port = port or free_port()
    env = {
        "SERVICE_TOKEN_SIGNING_KEY_FILE": str(key_file),
        **service_urls,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TLS": "none",
        "MAIL_FROM": "Spiegel <no-reply@spiegel-test.nl>",
        "GATEWAY_DOMAIN": "spiegel.test",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SESSION_SECRET": "test-only-session-secret-" + prefix + "-0123456789abcdef",
        # Tests speak for many clients through one loopback address: X-Forwarded-For (a header
        # only; no traffic goes to those addresses) gives each test its own client address.
        "TRUSTED_PROXIES": "127.0.0.1",
        **extra,
    }
    gateway = new_process(
        "gateway", "api", processes.env("gateway", prefix, **env), processes.logdir, port=port
    )
    processes.started.append(gateway)
    return gateway.start()


def start_deployment(
    processes: Processes, key: SigningKey, key_file: Path, smtp_port: int, prefix: str, **gateway_env: str
) -> Deployment:
    """The real services behind a real gateway: survey (api, relay), aggregation (consumer, api),
    invitation (api, sending to the test's SMTP server), accreditation (api), action-plan (consumer, api)."""
    from cryptography.fernet import Fernet

    jwks = json.dumps({"keys": [key.public_jwk()]})
    # Its own topics on the shared broker: this deployment lives through the whole test session and
    # must neither take events from other tests' consumers nor feed them its own.
    namespace = {"KAFKA_TOPIC_PREFIX": f"{prefix}."}
    survey = processes.start(
        "survey",
        "api",
        prefix,
        module="gateway_test_support.survey_with_echo",  # the real survey plus /test-echo
        SERVICE_TOKEN_JWKS=jwks,
        PYTHONPATH=str(SUPPORT),
        **namespace,
    )
    processes.start("survey", "relay", prefix, SERVICE_TOKEN_JWKS=jwks, **namespace)
    processes.start("aggregation", "consumer", prefix, SERVICE_TOKEN_JWKS=jwks, **namespace)
    aggregation = processes.start("aggregation", "api", prefix, SERVICE_TOKEN_JWKS=jwks, **namespace)
    invitation = processes.start(
        "invitation",
        "api",
        prefix,
        SERVICE_TOKEN_JWKS=jwks,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        LINK_TOKEN_KEYS=Fernet.generate_key().decode(),
        **namespace,
    )
    # The accreditation service's api (its sessions are written with its store by the tests).
    accreditation = processes.start("accreditation", "api", prefix, SERVICE_TOKEN_JWKS=jwks, **namespace)

    # The POPs (action-plan): its api, and its consumer learning the survey's rounds (whose POP is whose).
    from spiegel_action_plan.pops.sealing import Keyring

    keyring = Keyring.generate("kek-test")
    processes.start(
        "action-plan",
        "consumer",
        prefix,
        SERVICE_TOKEN_JWKS=jwks,
        POP_KEY_ENCRYPTION_KEYS=keyring,
        **namespace,
    )
    action_plan = processes.start(
        "action-plan", "api", prefix, SERVICE_TOKEN_JWKS=jwks, POP_KEY_ENCRYPTION_KEYS=keyring, **namespace
    )
    urls = {
        "SURVEY_URL": survey.url,
        "AGGREGATION_URL": aggregation.url,
        "INVITATION_URL": invitation.url,
        "ACCREDITATION_URL": accreditation.url,
        "ACTION_PLAN_URL": action_plan.url,
    }
    # The web pages, behind the gateway (which they call for people and the hospital).
    port = free_port()
    web = processes.start(
        "web", "api", prefix, SERVICE_TOKEN_JWKS=jwks, GATEWAY_URL=f"http://127.0.0.1:{port}", **urls
    )
    urls["WEB_URL"] = web.url
    gateway = start_gateway(processes, key_file, smtp_port, prefix, urls, port, **namespace, **gateway_env)
    return Deployment(
        gateway,
        survey,
        aggregation,
        prefix,
        key,
        processes,
        env=dict(gateway.env),
        invitation=invitation,
        action_plan=action_plan,
    )


def random_ip() -> str:
    """A client address from the documentation ranges (RFC 5737), used only as a header value."""
    return f"198.51.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Browser:
    def __init__(
        self, base_url: str, *, slug: str | None = None, host: str | None = None, ip: str | None = None
    ):
        self.prefix = f"/t/{slug}" if slug and not host else ""
        self.ip = ip or random_ip()
        headers = {"x-forwarded-for": self.ip, **({"host": host} if host else {})}
        self.client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30)
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.bearer: str | None = None

    async def request(self, method: str, path: str, *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookie:
            headers.setdefault("cookie", f"spiegel_session={self.cookie}")
        if self.bearer:
            headers.setdefault("authorization", f"Bearer {self.bearer}")
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            headers.setdefault("x-csrf-token", self.csrf)
        response = await self.client.request(method, self.prefix + path, headers=headers, **kwargs)
        cookie = response.cookies.get("spiegel_session")
        if cookie is not None:
            self.cookie = cookie or None
        elif 'spiegel_session=""' in response.headers.get("set-cookie", "") or (
            "spiegel_session=;" in response.headers.get("set-cookie", "")
        ):
            self.cookie = None
        if response.headers.get("x-csrf-token"):
            self.csrf = response.headers["x-csrf-token"]
        return response

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.request("POST", "/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()


_operators: dict[str, str] = {}


def operator_login(deployment: Deployment) -> tuple[str, str]:
    """An operator account, made once per deployment with the command (`operator create`)."""
    if deployment.prefix not in _operators:
        email = f"operator-{uuid.uuid4().hex[:6]}@spiegel-test.nl"
        result = deployment.cli(
            "operator", "create", "--email", email, "--name", "Op", "--password-stdin", stdin=PASSWORD
        )
        assert result.returncode == 0, result.stderr
        _operators[deployment.prefix] = email
    return _operators[deployment.prefix], PASSWORD


async def create_tenant(deployment: Deployment, slug: str, **extra: Any) -> dict[str, Any]:
    email, password = operator_login(deployment)
    operator = Browser(deployment.url)
    try:
        assert (await operator.login(email, password)).status_code == 200
        created = await operator.post(
            "/operator/tenants", json={"slug": slug, "name": f"Ziekenhuis {slug}", **extra}
        )
        assert created.status_code == 201, created.text
        return dict(created.json())
    finally:
        await operator.aclose()


async def add_person(
    deployment: Deployment, tenant_id: str, email: str, roles: str, name: str = "Test Persoon"
) -> str:
    """A verified person with PASSWORD, written with the gateway's own store (the command is slower
    to start; it is tested on its own)."""
    from spiegel_gateway.people.store import PeopleStore
    from spiegel_gateway.signin.passwords import hash_password_async
    from spiegel_gateway.storage import Store

    person = await PeopleStore(Store.on(deployment.db())).create(
        tenant_id,
        display_name=name,
        email=email,
        roles=roles.split(","),
        language="nl",
        password_hash=await hash_password_async(PASSWORD),
        email_verified=True,
    )
    return person.person_id


def wait_until(check: Any, timeout: float = 15, what: str = "condition") -> Any:
    return until(check, timeout, what, interval=0.05)


async def async_wait_until(check: Any, timeout: float = 15, what: str = "condition") -> Any:
    return await eventually(check, timeout, what, interval=0.05)


# -- a real OpenID provider (the certified oidc-provider package on the machine's Node.js) ---------
OIDC_TOOL = Path(__file__).resolve().parents[3] / "tools" / "oidc-provider"


def install_oidc_provider() -> Path:
    """`npm ci` into tools/oidc-provider/node_modules (git-ignored) when the lock file changed."""
    installed = OIDC_TOOL / "node_modules" / ".package-lock.json"
    lock = OIDC_TOOL / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_TOOL,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return OIDC_TOOL


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]


def start_oidc_provider(log: Path, clients: list[dict[str, Any]], accounts: dict[str, Any]) -> OidcProvider:
    from spiegel_dev.processes import spawn, wait_for

    tool = install_oidc_provider()
    port = free_port()
    env = {
        "PATH": __import__("os").environ["PATH"],
        "PORT": str(port),
        "CLIENTS": json.dumps(clients),
        "ACCOUNTS": json.dumps(accounts),
    }
    process = spawn(["node", "provider.mjs"], log=log, env=env, cwd=tool)
    issuer = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200,
        timeout=30,
        what="oidc-provider",
        process=process,
        log=log,
    )
    return OidcProvider(issuer, clients[0]["client_id"], clients[0]["client_secret"], process)


async def sign_in_at_provider(authorization_url: str, account: str) -> str:
    """A person at the provider's own sign-in form; returns the redirect back to the gateway."""
    async with httpx.AsyncClient(timeout=30) as provider:
        response = await provider.get(authorization_url)
        for _ in range(10):
            if response.status_code in (302, 303):
                location = str(response.headers["location"])
                if not location.startswith(("http://127.0.0.1", "/")) or "/auth/oidc/callback" in location:
                    return location
                response = await provider.get(httpx.URL(str(response.url)).join(location))
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert form, response.text[:500]
            action = httpx.URL(str(response.url)).join(form.group(1).replace("&amp;", "&"))
            prompt = "login" if 'name="login"' in response.text else "consent"
            response = await provider.post(action, data={"prompt": prompt, "login": account, "password": "x"})
        raise AssertionError("the provider never sent the browser back")
