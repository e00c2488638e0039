"""Real objects behind the gateway, made through the services' own APIs (no stand-ins).

- a round and a respondent link: the survey service's `POST /rounds` and
  `POST /rounds/{id}/assignments` (its coordinator API for tests and demos; in
  production the invitation service's AssignmentIssued event makes them);
- a report: a round whose respondents answer through their links, closed by the
  coordinator, turned into a report by the aggregation service from the survey's
  events over the real broker.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from spiegel_demo.answers import complete_answers
from spiegel_platform.links import hash_link_token


def _bearer(deployment: Any, tenant_id: str, audience: str, roles: list[str], subject: str = "setup") -> dict:  # type: ignore[type-arg]
    token = deployment.issuer().issue(audience=audience, subject=subject, tenant_id=tenant_id, roles=roles)
    return {"authorization": f"Bearer {token}"}


async def open_round(
    deployment: Any, tenant_id: str, *, title: str, subject_id: str = "subject-1", subject_name: str = "Dr. S"
) -> str:
    """An open IFMS round in the survey service; its id."""
    async with httpx.AsyncClient(base_url=deployment.survey.url, timeout=30) as survey:
        made = await survey.post(
            "/rounds",
            headers=_bearer(deployment, tenant_id, "survey", ["coordinator"]),
            json={
                "kind": "IFMS",
                "title": title,
                "open": True,
                "subject": {"subject_id": subject_id, "display_name": subject_name},
                "closes_at": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
            },
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


async def links(deployment: Any, tenant_id: str, round_id: str, group: str, count: int) -> list[str]:
    """Fresh respondent links for a group of an open round."""
    async with httpx.AsyncClient(base_url=deployment.survey.url, timeout=30) as survey:
        issued = await survey.post(
            f"/rounds/{round_id}/assignments",
            headers=_bearer(deployment, tenant_id, "survey", ["coordinator"]),
            json={"respondent_group": group, "count": count},
        )
        assert issued.status_code == 201, issued.text
        return [a["token"] for a in issued.json()["assignments"]]


async def respondent_link(deployment: Any, tenant_id: str, *, title: str = "IFMS Dr. A") -> tuple[str, str]:
    """(link token, round id): one colleague's link in a fresh open round."""
    round_id = await open_round(deployment, tenant_id, title=title)
    return (await links(deployment, tenant_id, round_id, "colleagues", 1))[0], round_id


async def close_round(deployment: Any, tenant_id: str, round_id: str) -> None:
    async with httpx.AsyncClient(base_url=deployment.survey.url, timeout=30) as survey:
        closed = await survey.post(
            f"/rounds/{round_id}/close", headers=_bearer(deployment, tenant_id, "survey", ["coordinator"])
        )
        assert closed.status_code == 200, closed.text


async def answer(deployment: Any, tenant_id: str, token: str, score: int, comment: str) -> None:
    """Fill in and submit a questionnaire through its link (the survey service directly)."""
    respondent = _bearer(
        deployment, tenant_id, "survey", ["respondent"], subject=f"link:{hash_link_token(token)}"
    )
    async with httpx.AsyncClient(base_url=deployment.survey.url, timeout=30) as survey:
        opened = await survey.get(f"/questionnaires/{token}", headers=respondent)
        assert opened.status_code == 200, opened.text
        body = complete_answers(opened.json()["questionnaire"], score=score, comment=comment)
        submitted = await survey.post(f"/questionnaires/{token}/submit", headers=respondent, json=body)
        assert submitted.status_code == 200, submitted.text


async def publish_report(
    deployment: Any, tenant_id: str, *, subject_id: str, marker: str, title: str = "IFMS"
) -> str:
    """A published report of `subject_id` whose colleagues' comments carry `marker`; its id."""
    round_id = await open_round(deployment, tenant_id, title=f"{title} {marker}", subject_id=subject_id)
    own = await links(deployment, tenant_id, round_id, "self", 1)
    colleagues = await links(deployment, tenant_id, round_id, "colleagues", 4)
    await asyncio.gather(
        answer(deployment, tenant_id, own[0], 5, "zelf"),
        *(answer(deployment, tenant_id, t, 3 + i % 2, marker) for i, t in enumerate(colleagues)),
    )
    await close_round(deployment, tenant_id, round_id)
    reader = _bearer(deployment, tenant_id, "aggregation", ["coordinator"])
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(base_url=deployment.aggregation.url, timeout=30) as aggregation:
        while time.monotonic() < deadline:
            listed = await aggregation.get(f"/rounds/{round_id}/reports", headers=reader)
            if listed.status_code == 200 and listed.json():
                return str(listed.json()[0]["report_id"])
            await asyncio.sleep(0.5)
    raise AssertionError(f"no report for round {round_id} within 120 s of closing")
