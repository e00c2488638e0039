"""From a round in the survey service to a report in the aggregation service, over the real broker.

Respondents answer through their links; the coordinator closes the round; the
aggregation service (which learns the instrument from the survey's
InstrumentPublished) publishes a report in which the group under the threshold
is not shown at all.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from spiegel_demo.answers import complete_answers
from spiegel_platform.links import hash_link_token

pytestmark = pytest.mark.integration
TENANT = "hospital-flow"


async def test_closed_round_becomes_a_report_that_hides_the_small_group(processes, token_issuer, unique):  # type: ignore[no-untyped-def]
    prefix = f"r2r_{unique}"
    survey = processes.start("survey", "api", prefix)
    processes.start("survey", "relay", prefix)
    processes.start("survey", "consumer", prefix)
    processes.start("aggregation", "consumer", prefix)
    processes.start("aggregation", "relay", prefix)
    aggregation = processes.start("aggregation", "api", prefix)

    def headers(audience: str, roles: list[str], subject: str = "coord-1") -> dict[str, str]:
        token = token_issuer.issue(audience=audience, subject=subject, tenant_id=TENANT, roles=roles)
        return {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(base_url=survey.url, timeout=30) as client:
        created = await client.post(
            "/rounds",
            headers=headers("survey", ["coordinator"]),
            json={
                "kind": "IFMS",
                "title": "IFMS 2026",
                "open": True,
                "subject": {"subject_id": "spec-1", "display_name": "Dr. A. de Vries"},
                "closes_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                "flex_label_nl": "Arts-assistenten",
                "flex_label_en": "Residents",
            },
        )
        assert created.status_code == 201, created.text
        round_id = created.json()["id"]
        groups = {"self": 1, "colleagues": 5, "staff": 4, "flex": 3}
        tokens: dict[str, list[str]] = {}
        for group, count in groups.items():
            issued = await client.post(
                f"/rounds/{round_id}/assignments",
                headers=headers("survey", ["coordinator"]),
                json={"respondent_group": group, "count": count},
            )
            assert issued.status_code == 201, issued.text
            tokens[group] = [a["token"] for a in issued.json()["assignments"]]

        for group, links in tokens.items():
            for index, link in enumerate(links):
                respondent = headers("survey", ["respondent"], subject=f"link:{hash_link_token(link)}")
                questionnaire = (await client.get(f"/questionnaires/{link}", headers=respondent)).json()[
                    "questionnaire"
                ]
                score = 5 if group == "self" else 3 + index % 2
                body = complete_answers(questionnaire, score=score, comment=f"{group}-comment-{index}")
                submitted = await client.post(f"/questionnaires/{link}/submit", headers=respondent, json=body)
                assert submitted.status_code == 200, submitted.text

        closed = await client.post(f"/rounds/{round_id}/close", headers=headers("survey", ["coordinator"]))
        assert closed.status_code == 200, closed.text

    subject = headers("aggregation", ["specialist"], subject="spec-1")
    async with httpx.AsyncClient(base_url=aggregation.url, timeout=30) as client:
        report = await _wait_for_report(client, round_id, subject)
        text = str(report)
        visible = {
            g["code"]
            for g in report.get("groups", report.get("respondent_groups", []))
            if g.get("visible", True)
        }
        assert "flex-comment" not in text  # 3 < 4: no comment of the flex group, anywhere
        assert "colleagues-comment-0" in text
        assert "flex" not in visible
        colleague = headers("aggregation", ["specialist"], subject="spec-2")
        other = await client.get(f"/rounds/{round_id}/reports", headers=colleague)
        assert other.status_code in (403, 404)  # a colleague never reads it
        pdf = await client.get(f"/reports/{report['report_id']}/pdf", headers=subject)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def _wait_for_report(
    client: httpx.AsyncClient, round_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = await client.get(f"/rounds/{round_id}/reports", headers=headers)
        if listed.status_code == 200 and listed.json():
            versions = listed.json()
            first = versions[0] if isinstance(versions, list) else versions["reports"][0]
            report = await client.get(f"/reports/{first['report_id']}", headers=headers)
            assert report.status_code == 200, report.text
            return dict(report.json())
        await asyncio.sleep(1)
    raise AssertionError("no report was published within 120 s of closing")
