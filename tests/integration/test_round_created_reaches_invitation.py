"""A round created in the survey service reaches the invitation service by its event alone.

Nobody describes the round to the invitation service (no PUT): the survey's
RoundCreated, written with the round in one insert and published by the survey's
relay, gives it what it needs to take nominations before the round opens (title,
kind, subject, the members of a Groepsmonitor, the respondent groups with their
labels, the closing time). Opening the round then invites the nominees and the
members' self-evaluations, over real Kafka, FerretDB and SMTP.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from spiegel_dev.mailcatcher import MailCatcher
from spiegel_dev.waiting import eventually

pytestmark = pytest.mark.integration

MEMBERS = [
    ("spec-a", "Dr. A. Aalders", "a.aalders@umc-rc.example"),
    ("spec-b", "Dr. B. Beek", "b.beek@umc-rc.example"),
]


def moment(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def test_a_new_round_reaches_the_invitation_service_by_its_event(processes, token_issuer, unique):  # type: ignore[no-untyped-def]
    tenant = f"umc-rc-{unique}"
    prefix = f"rc_{unique}"
    namespace = {"KAFKA_TOPIC_PREFIX": f"{prefix}."}
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

        def bearer(audience: str) -> dict[str, str]:
            token = token_issuer.issue(
                audience=audience, subject="coord-1", tenant_id=tenant, roles=["coordinator"]
            )
            return {"authorization": f"Bearer {token}"}

        closes_at = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
        async with (
            httpx.AsyncClient(base_url=survey.url, timeout=30, headers=bearer("survey")) as to_survey,
            httpx.AsyncClient(
                base_url=invitation.url, timeout=30, headers=bearer("invitation")
            ) as to_invitation,
        ):
            batch = await to_survey.post(
                "/rounds/ifms-batch",
                json={
                    "title": "IFMS 2026",
                    "closes_at": closes_at.isoformat(),
                    "specialists": [
                        {"subject_id": "spec-1", "display_name": "Dr. C. Claes", "flex_label_nl": "OK-team"},
                        {"subject_id": "spec-2", "display_name": "Dr. D. Dekker"},
                    ],
                },
            )
            assert batch.status_code == 201, batch.text
            group = await to_survey.post(
                "/rounds",
                json={
                    "kind": "GROUP_MONITOR",
                    "title": "Groepsmonitor Longziekten",
                    "subject": {
                        "subject_id": "group-long",
                        "display_name": "Vakgroep Longziekten",
                        "member_ids": [m[0] for m in MEMBERS],
                    },
                    "closes_at": closes_at.isoformat(),
                    "include_patients": True,
                },
            )
            assert group.status_code == 201, group.text
            rounds = [*batch.json(), group.json()]

            for made in rounds:

                async def known(round_id: str = made["id"]) -> dict[str, Any] | None:
                    found = await to_invitation.get(f"/rounds/{round_id}")
                    return dict(found.json()) if found.status_code == 200 else None

                view = await eventually(known, what=f"round {made['title']} at the invitation service")
                # Everything the page used to PUT, as the survey has it.
                assert view["status"] == "draft"
                assert (view["title"], view["kind"]) == (made["title"], made["kind"])
                assert view["subject_id"] == made["subject"]["subject_id"]
                assert view["subject_name"] == made["subject"]["display_name"]
                assert view["member_ids"] == made["subject"]["member_ids"]
                assert view["groups"] == [
                    {k: g[k] for k in ("code", "label_nl", "label_en", "is_self")}
                    for g in made["respondent_groups"]
                ]
                assert moment(view["closes_at"]) == closes_at
            flex = next(g for g in rounds[0]["respondent_groups"] if g["code"] == "flex")
            assert flex["label_nl"] == "OK-team"

            # Nominations before opening, against the announced groups (patients included).
            round_id = group.json()["id"]
            for person_id, name, email in MEMBERS:
                person = await to_invitation.put(
                    f"/people/{person_id}", json={"display_name": name, "email": email, "language": "nl"}
                )
                assert person.status_code == 200, person.text
            added = await to_invitation.post(
                f"/rounds/{round_id}/nominations",
                json={"group": "patients", "name": "Piet Patiënt", "email": "piet@umc-rc.example"},
            )
            assert added.status_code == 201, added.text
            assert catcher.messages() == []

            opened = await to_survey.post(f"/rounds/{round_id}/open")
            assert opened.status_code == 200, opened.text
            messages = await asyncio.to_thread(catcher.wait_for, 3, 60)
            assert {m.recipients[0] for m in messages} == {"piet@umc-rc.example", *(m[2] for m in MEMBERS)}

            async def open_there() -> bool:
                return bool((await to_invitation.get(f"/rounds/{round_id}")).json()["status"] == "open")

            assert await eventually(open_there, what="the opened round at the invitation service")
    finally:
        catcher.stop()
