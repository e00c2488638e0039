"""A whole Spiegel for the browser tests: every process type of survey, invitation, aggregation and
accreditation, the web pages, the gateway (api and relay), and a real SMTP server (the mail
catcher) the invitations arrive at."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from spiegel_dev.mailcatcher import MailCatcher
from spiegel_dev.processes import free_port
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.services import ServiceProcess, new_process

LINK = re.compile(r"https?://\S+?/e/([A-Za-z0-9_\-]+)(?=[\s>\"'<]|$)")


@dataclass
class WebDeployment:
    url: str
    prefix: str
    env: dict[str, str]
    catcher: MailCatcher
    processes: Processes
    started: list[ServiceProcess] = field(default_factory=list)

    def links_for(self, address: str) -> list[str]:
        """The personal link tokens in the mails to an address (oldest first), read from the SMTP server."""
        tokens = []
        for message in self.catcher.store.to(address):
            for token in LINK.findall(message.part("plain")):
                if token not in tokens:
                    tokens.append(token)
        return tokens

    def wait_for_link(self, address: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.links_for(address)
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no invitation with a link reached {address} within {timeout}s")

    def tenant_url(self, slug: str, path: str = "/") -> str:
        return f"{self.url}/t/{slug}{path}"


def start_web_deployment(
    processes: Processes, key_pem_path: Path, jwks: str, prefix: str, catcher: MailCatcher
) -> WebDeployment:
    gateway_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    # Its own topics on the shared broker (the consumer group ids are the services' own): it neither
    # takes events from other tests' consumers nor feeds them its own.
    common = {"SERVICE_TOKEN_JWKS": jwks, "KAFKA_TOPIC_PREFIX": f"{prefix}."}
    survey = [
        processes.start("survey", kind, prefix, wait=False, ROUND_CLOSE_INTERVAL_S="1", **common)
        for kind in ("api", "relay", "consumer")
    ]
    invitation_env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(catcher.smtp_port),
        "MAIL_FROM": "Spiegel Testziekenhuis <noreply@spiegel-test.nl>",
        "PUBLIC_BASE_URL_TEMPLATE": f"{gateway_url}/t/{{slug}}",
        "LINK_TOKEN_KEYS": Fernet.generate_key().decode(),
        "MAILER_JOURNAL_DIR": str(processes.logdir / "journal"),
        "MAILER_POLL_S": "0.2",
        "MAILER_RETRY_BASE_S": "0.5",
        "SCHEDULER_INTERVAL_S": "2",
    }
    invitation = [
        processes.start("invitation", kind, prefix, wait=False, **invitation_env, **common)
        for kind in ("api", "relay", "consumer")
    ]
    aggregation = [
        processes.start("aggregation", kind, prefix, wait=False, REPORT_WAIT_SECONDS="5", **common)
        for kind in ("api", "relay", "consumer")
    ]
    accreditation = [
        processes.start(
            "accreditation",
            kind,
            prefix,
            wait=False,
            PUBLIC_BASE_URL_TEMPLATE=f"{gateway_url}/t/{{slug}}",  # a declaration's verification address
            **common,
        )
        for kind in ("api", "relay", "consumer")
    ]
    # The POPs: the action-plan service (its consumer learns whose round is whose from the survey).
    from spiegel_action_plan.pops.sealing import Keyring

    keyring = Keyring.generate("kek-web-test")
    action_plan = [
        processes.start("action-plan", kind, prefix, wait=False, POP_KEY_ENCRYPTION_KEYS=keyring, **common)
        for kind in ("api", "relay", "consumer")
    ]
    # The web pages: a service of their own, behind the gateway (it calls the gateway's own API too).
    web = processes.start(
        "web",
        "api",
        prefix,
        wait=False,
        GATEWAY_URL=gateway_url,
        SURVEY_URL=survey[0].url,
        INVITATION_URL=invitation[0].url,
        AGGREGATION_URL=aggregation[0].url,
        ACCREDITATION_URL=accreditation[0].url,
        ACTION_PLAN_URL=action_plan[0].url,
        **common,
    )
    for process in [*survey, *invitation, *aggregation, *accreditation, *action_plan, web]:
        process.wait_ready(timeout=120)
    env = processes.env(
        "gateway",
        prefix,
        SERVICE_TOKEN_SIGNING_KEY_FILE=str(key_pem_path),
        SURVEY_URL=survey[0].url,
        INVITATION_URL=invitation[0].url,
        AGGREGATION_URL=aggregation[0].url,
        ACCREDITATION_URL=accreditation[0].url,
        ACTION_PLAN_URL=action_plan[0].url,
        WEB_URL=web.url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(catcher.smtp_port),
        SMTP_TLS="none",
        MAIL_FROM="Spiegel <no-reply@spiegel-test.nl>",
        GATEWAY_DOMAIN="spiegel.test",
        PUBLIC_BASE_URL=gateway_url,
        SESSION_SECRET="test-only-session-secret-" + prefix + "-0123456789abcdef",
        # Many simulated respondents come from one address in these tests.
        RATE_LIMIT_LINK_PER_IP="1000",
        RATE_LIMIT_SIGNIN_PER_IP="1000",
        # A test may speak for a client address of its own (X-Forwarded-For, a header only).
        TRUSTED_PROXIES="127.0.0.1",
        KAFKA_TOPIC_PREFIX=f"{prefix}.",
    )
    started = []
    for kind in ("api", "relay"):
        process = new_process(
            "gateway", kind, env, processes.logdir, port=gateway_port if kind == "api" else None
        )
        processes.started.append(process)
        started.append(process.start(wait=False))
    for process in started:
        process.wait_ready(timeout=120)
    everything = [*survey, *invitation, *aggregation, *accreditation, *action_plan, web, *started]
    return WebDeployment(gateway_url, prefix, dict(env), catcher, processes, everything)


def operator_session(deployment: WebDeployment, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=deployment.url, timeout=30)
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.headers["x-csrf-token"] = response.json()["csrf_token"]
    return client


def json_of(response: httpx.Response) -> Any:
    assert response.is_success, (response.status_code, response.text[:500])
    return json.loads(response.content)


PASSWORD = "correct horse battery staple"


async def make_hospital(
    env: dict[str, str], slug: str, people: list[tuple[str, str, str]], **tenant: Any
) -> dict[str, str]:
    """A hospital and its people, written with the gateway's own stores (events through its outbox).

    people: (e-mail, name, comma-separated roles); returns e-mail -> person id.
    """
    from spiegel_gateway.definition import DEFINITION
    from spiegel_gateway.settings import GatewaySettings
    from spiegel_gateway.signin.passwords import hash_password_async
    from spiegel_gateway.tenants.model import TenantIn
    from spiegel_gateway.wiring import Gateway
    from spiegel_platform.service import Runtime

    settings = GatewaySettings(**{k.lower(): v for k, v in env.items() if k.isupper() and k != "PATH"})
    runtime = Runtime(DEFINITION, settings)
    gateway = Gateway(runtime)
    ids = {}
    try:
        await runtime.prepare_storage()
        await gateway.tenants.create(
            TenantIn(slug=slug, name=f"Ziekenhuis {slug}", languages=["nl", "en"], **tenant)
        )
        password_hash = await hash_password_async(PASSWORD)
        for email, name, roles in people:
            person = await gateway.people.create(
                slug,
                display_name=name,
                email=email,
                roles=roles.split(","),
                language="nl",
                password_hash=password_hash,
                email_verified=True,
            )
            ids[email] = person.person_id
    finally:
        await gateway.aclose()
        await runtime.close()
    return ids
