"""Demo data for `make run`: the demo hospital gets an open IFMS round and an open Groepsmonitor
round with some responses, made through the survey API with service tokens signed by the dev key."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
from spiegel_dev.keys import dev_key
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer
from spiegel_platform.links import hash_link_token
from spiegel_survey import times

TENANT = "demo"
SPECIALIST = {"subject_id": "demo-specialist-devries", "display_name": "Dr. A. de Vries"}
GROUP = {
    "subject_id": "demo-group-cardiologie",
    "display_name": "Vakgroep Cardiologie",
    "member_ids": [
        "demo-specialist-devries",
        "demo-specialist-jansen",
        "demo-specialist-bakker",
        "demo-specialist-visser",
    ],
}
COMMENTS = {
    "goes_well": [
        "Neemt altijd de tijd voor overleg.",
        "Heldere afspraken en goed bereikbaar.",
        "Prettige samenwerking op de afdeling.",
    ],
    "could_improve": ["Terugkoppeling na overleg kan sneller.", "Soms lastig bereikbaar tijdens OK-dagen."],
    "suggestions": ["Een vast moment voor overleg per week.", "Meer betrekken bij verbeterprojecten."],
}


def answers_for(questionnaire: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    ratings: dict[str, Any] = {}
    for theme in questionnaire["themes"]:
        for statement in theme["statements"]:
            ratings[statement["id"]] = "nvt" if rng.random() < 0.05 else rng.choice([3, 4, 4, 4, 5, 5])
    for item in questionnaire["global_items"]:
        high = item["max"]
        ratings[item["id"]] = rng.choice([high - 2, high - 1, high - 1]) if high > 5 else rng.choice([4, 5])
    comments = {key: rng.choice(texts) for key, texts in COMMENTS.items() if rng.random() < 0.6}
    return {"ratings": ratings, "comments": comments}


def fill_in(
    base_url: str,
    issuer: Any,
    round_id: str,
    coordinator: dict[str, str],
    plan: dict[str, tuple[int, int]],
    rng: random.Random,
) -> None:
    """Create `invited` links per group, and submit `completed` of them."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for group, (invited, completed) in plan.items():
            made = client.post(
                f"/rounds/{round_id}/assignments",
                headers=coordinator,
                json={"respondent_group": group, "count": invited},
            )
            made.raise_for_status()
            for link in made.json()["assignments"][:completed]:
                token = link["token"]
                headers = {
                    "Authorization": "Bearer "
                    + issuer.issue(
                        audience="survey",
                        subject=f"link:{hash_link_token(token)}",
                        tenant_id=TENANT,
                        roles=["respondent"],
                    )
                }
                questionnaire = client.get(f"/questionnaires/{token}", headers=headers)
                questionnaire.raise_for_status()
                body = answers_for(questionnaire.json()["questionnaire"], rng)
                client.post(f"/questionnaires/{token}/submit", headers=headers, json=body).raise_for_status()


def seed(stack: Any, processes: list[Any]) -> None:
    api = next(p for p in processes if p.service == "survey" and p.process == "api")
    issuer = ServiceTokenIssuer(dev_key())
    coordinator = {
        "Authorization": "Bearer "
        + issuer.issue(audience="survey", subject="demo-coordinator", tenant_id=TENANT, roles=["coordinator"])
    }
    closes_at = (
        (times.now() + timedelta(days=21))
        .astimezone(times.AMSTERDAM)
        .replace(hour=17, minute=0, second=0, microsecond=0)
    )
    rng = random.Random(2026)  # noqa: S311 - demo answers, not secrets
    with httpx.Client(base_url=api.url, timeout=30) as client:
        existing = client.get("/rounds", headers=coordinator, params={"status": "open"})
        existing.raise_for_status()
        if existing.json()["total"] >= 2:
            print("  survey: demo rounds exist already")
            return
        ifms = client.post(
            "/rounds",
            headers=coordinator,
            json={
                "kind": "IFMS",
                "title": f"IFMS {closes_at.year} – {SPECIALIST['display_name']}",
                "subject": SPECIALIST,
                "closes_at": closes_at.isoformat(),
                "flex_label_nl": "Arts-assistenten",
                "flex_label_en": "Residents",
                "open": True,
            },
        )
        ifms.raise_for_status()
        group = client.post(
            "/rounds",
            headers=coordinator,
            json={
                "kind": "GROUP_MONITOR",
                "title": f"Groepsmonitor {closes_at.year} – Cardiologie",
                "subject": GROUP,
                "closes_at": closes_at.isoformat(),
                "open": True,
            },
        )
        group.raise_for_status()
    fill_in(
        api.url,
        issuer,
        ifms.json()["id"],
        coordinator,
        {"self": (1, 1), "colleagues": (8, 5), "staff": (8, 4), "flex": (6, 2)},
        rng,
    )
    fill_in(
        api.url,
        issuer,
        group.json()["id"],
        coordinator,
        {"members": (4, 4), "colleagues": (8, 5), "staff": (8, 4), "managers": (3, 1)},
        rng,
    )
    print(
        f"  survey: IFMS round {ifms.json()['id']} and Groepsmonitor round {group.json()['id']} "
        "open, with responses"
    )
