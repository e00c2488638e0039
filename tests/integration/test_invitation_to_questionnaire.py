"""From a nomination to an answered questionnaire, across the invitation and survey services.

The coordinator creates a round in the survey service and nominates respondents
in the invitation service; opening the round (survey) makes the invitation
service e-mail everyone a personal link over real SMTP and announce each
assignment (AssignmentIssued: a token hash, no name or address); the survey
service learns the assignments from those events, so the link read from the
real e-mail opens the right questionnaire (group, perspective, language).
A submission flows back (AssignmentCompleted) into the coordinator's progress,
and the subject sees counts only.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from spiegel_demo.answers import complete_answers
from spiegel_dev.mailcatcher import CaughtMessage, MailCatcher
from spiegel_dev.waiting import eventually
from spiegel_platform.links import hash_link_token

pytestmark = pytest.mark.integration

NOMINEES = [  # group, name, e-mail, language
    ("colleagues", "Dr. B. Bakker", "b.bakker@umc-flow.example", "nl"),
    ("colleagues", "Dr. C. Claes", "c.claes@umc-flow.example", "en"),
    ("staff", "Fatima el Amrani", "f.elamrani@umc-flow.example", "nl"),
]
SUBJECT = ("spec-flow", "Dr. A. de Vries", "a.devries@umc-flow.example")


def _token(message: CaughtMessage) -> str:
    link = next(u for u in message.details()["links"] if "/e/" in u and not u.endswith("/afmelden"))
    return link.rsplit("/e/", 1)[1]


async def test_the_link_in_the_real_email_opens_the_right_questionnaire(processes, token_issuer, unique):  # type: ignore[no-untyped-def]
    tenant = f"umc-flow-{unique}"
    prefix = f"i2q_{unique}"
    namespace = {"KAFKA_TOPIC_PREFIX": f"{prefix}."}  # this test's own topics on the shared broker
    catcher = MailCatcher().start()
    try:
        mail_env = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(catcher.smtp_port),
            "PUBLIC_BASE_URL_TEMPLATE": "http://127.0.0.1:8100/t/{slug}",
            "LINK_TOKEN_KEYS": Fernet.generate_key().decode(),
            "MAILER_POLL_S": "0.1",
            **namespace,
        }
        survey = processes.start("survey", "api", prefix, **namespace)
        processes.start("survey", "relay", prefix, **namespace)
        processes.start("survey", "consumer", prefix, **namespace)
        invitation = processes.start("invitation", "api", prefix, **mail_env)
        processes.start("invitation", "relay", prefix, **mail_env)
        processes.start("invitation", "consumer", prefix, **mail_env)

        def bearer(audience: str, roles: list[str], subject: str = "coord-1") -> dict[str, str]:
            token = token_issuer.issue(audience=audience, subject=subject, tenant_id=tenant, roles=roles)
            return {"authorization": f"Bearer {token}"}

        closes_at = datetime.now(UTC) + timedelta(days=14)
        async with (
            httpx.AsyncClient(base_url=survey.url, timeout=30) as to_survey,
            httpx.AsyncClient(base_url=invitation.url, timeout=30) as to_invitation,
        ):
            created = await to_survey.post(
                "/rounds",
                headers=bearer("survey", ["coordinator"]),
                json={
                    "kind": "IFMS",
                    "title": "IFMS 2026",
                    "subject": {"subject_id": SUBJECT[0], "display_name": SUBJECT[1]},
                    "closes_at": closes_at.isoformat(),
                },
            )
            assert created.status_code == 201, created.text
            round_id = created.json()["id"]
            coordinator = bearer("invitation", ["coordinator"])
            person = await to_invitation.put(
                f"/people/{SUBJECT[0]}",
                headers=coordinator,
                json={"display_name": SUBJECT[1], "email": SUBJECT[2], "language": "nl"},
            )
            assert person.status_code == 200, person.text
            described = await to_invitation.put(
                f"/rounds/{round_id}",
                headers=coordinator,
                json={
                    "title": "IFMS 2026",
                    "subject_id": SUBJECT[0],
                    "subject_name": SUBJECT[1],
                    "closes_at": closes_at.isoformat(),
                },
            )
            assert described.status_code == 200, described.text
            for group, name, email, language in NOMINEES:
                added = await to_invitation.post(
                    f"/rounds/{round_id}/nominations",
                    headers=coordinator,
                    json={"group": group, "name": name, "email": email, "language": language},
                )
                assert added.status_code == 201, added.text
            assert catcher.messages() == []  # nothing is sent before the round opens

            opened = await to_survey.post(
                f"/rounds/{round_id}/open", headers=bearer("survey", ["coordinator"])
            )
            assert opened.status_code == 200, opened.text

            messages = await asyncio.to_thread(catcher.wait_for, 4, 60)
            by_address = {m.recipients[0]: m for m in messages}
            assert set(by_address) == {SUBJECT[2], *(n[2] for n in NOMINEES)}

            async def questionnaire(token: str) -> dict[str, Any] | None:
                respondent = bearer("survey", ["respondent"], subject=f"link:{hash_link_token(token)}")
                answer = await to_survey.get(f"/questionnaires/{token}", headers=respondent)
                return dict(answer.json()) if answer.status_code == 200 else None

            expected = {email: (group, language) for group, _, email, language in NOMINEES}
            expected[SUBJECT[2]] = ("self", "nl")
            tokens = {}
            for address, (group, language) in expected.items():
                token = _token(by_address[address])
                tokens[address] = token
                shown = await eventually(
                    lambda t=token: questionnaire(t), what=f"the questionnaire of {address}"
                )
                assert shown["respondent_group"]["code"] == group, address
                assert shown["language"] == language, address
                statement = shown["questionnaire"]["themes"][0]["statements"][0]["text"]
                if group == "self":
                    assert statement.startswith("Ik "), statement  # the self-evaluation's wording
                else:
                    assert not statement.startswith("Ik "), statement
                # The survey service never learns who: no name or address in what it shows.
                assert address not in str(shown) and NOMINEES[0][1] not in str(shown)

            # One colleague answers; the coordinator's progress shows it, the subject sees counts only.
            token = tokens[NOMINEES[0][2]]
            shown = await questionnaire(token)
            assert shown is not None
            submitted = await to_survey.post(
                f"/questionnaires/{token}/submit",
                headers=bearer("survey", ["respondent"], subject=f"link:{hash_link_token(token)}"),
                json=complete_answers(shown["questionnaire"], score=4),
            )
            assert submitted.status_code == 200, submitted.text

            async def colleagues_completed() -> int:
                progress = (
                    await to_invitation.get(f"/rounds/{round_id}/progress", headers=coordinator)
                ).json()
                group = next(g for g in progress["groups"] if g["group"] == "colleagues")
                return int(group["completed"])

            assert (
                await eventually(colleagues_completed, what="the completion in the coordinator's progress")
                == 1
            )
            as_subject = await to_invitation.get(
                f"/rounds/{round_id}/progress",
                headers=bearer("invitation", ["specialist"], subject=SUBJECT[0]),
            )
            assert as_subject.status_code == 200, as_subject.text
            assert NOMINEES[0][2] not in as_subject.text and "people" not in as_subject.json()
    finally:
        catcher.stop()
