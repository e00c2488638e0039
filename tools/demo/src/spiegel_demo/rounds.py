"""Demo rounds for `make run`, made through the gateway's own doors as the demo coordinator.

After the demo people exist (hospital.py), the demo hospital gets:

1. a finished IFMS round about the demo specialist: nominees invited by mail (the
   mail catcher), their answers sent through the respondent endpoints with the
   links from those mails, closed, the report published; a discussion session
   with the demo facilitator (planned in the accreditation service) holds it (so
   the facilitator prepares it and reads it too);
2. an open IFMS round about the same specialist: nominations per group (one
   group deliberately small), opened, invitations in the mail catcher: a
   newcomer opens a respondent link from the catcher's web page;
3. a closed IFMS round (opened and closed at once, nobody nominated) for a few
   other specialists, so "Groepsbesprekingen plannen" has people to plan.

Everything goes through the gateway (sign-in, /api/<service>/..., /e/<token>),
so the demo is made exactly as a person would make it. Idempotent enough for a
restart: when the specialist already has an open round, nothing is added.
"""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from spiegel_demo.people import respondent_names

DEMO = "demo"
CLOSED_FOR_PLANNING = 4  # specialists with a closed IFMS round, for the planning page
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def closing_time(days: int, now: datetime | None = None) -> datetime:
    """`days` from now at 17:00 in Amsterdam: when the pages say rounds close."""
    day = ((now or datetime.now(UTC)) + timedelta(days=days)).astimezone(AMSTERDAM)
    return day.replace(hour=17, minute=0, second=0, microsecond=0)


LINK = re.compile(r"/e/([A-Za-z0-9_\-]{20,})")
COMMENTS = [
    "Neemt altijd de tijd voor overleg, ook als het druk is.",
    "Heldere afspraken en goed bereikbaar.",
    "Terugkoppeling na overleg mag sneller.",
    "Prettige samenwerking op de afdeling.",
]


class Demo:
    def __init__(self, gateway_url: str, mail_url: str, coordinator: tuple[str, str]) -> None:
        self.base = f"{gateway_url.rstrip('/')}/t/{DEMO}"
        self.mail_url = mail_url.rstrip("/")
        self.client = httpx.Client(timeout=30)
        signed_in = self.client.post(
            f"{self.base}/auth/login", json={"email": coordinator[0], "password": coordinator[1]}
        )
        signed_in.raise_for_status()
        self.client.headers["x-csrf-token"] = signed_in.json()["csrf_token"]

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"{self.base}/api/{path.lstrip('/')}", **kwargs)
        if not response.is_success:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def wait(self, what: str, check: Any, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = check()
            except RuntimeError:
                found = None
            if found:
                return found
            time.sleep(0.5)
        raise RuntimeError(f"demo: {what} did not happen within {timeout:.0f}s")

    # -- rounds --------------------------------------------------------------------------
    def create_round(self, specialist: dict[str, Any], title: str, days: int) -> str:
        closes = closing_time(days)
        created = self.api(
            "POST",
            "survey/rounds",
            json={
                "kind": "IFMS",
                "title": title,
                "subject": {"subject_id": specialist["id"], "display_name": specialist["name"]},
                "closes_at": closes.isoformat(),
                "flex_label_nl": "Arts-assistenten",
                "flex_label_en": "Residents",
            },
        )
        # The invitation service learns of the round from the survey's RoundCreated: nominate once it has.
        self.wait(
            "the round at the invitation service",
            lambda: self.api("GET", f"invitation/rounds/{created['id']}"),
        )
        return str(created["id"])

    def nominate(self, round_id: str, plan: dict[str, int], tag: str) -> list[str]:
        addresses = []
        for group, count in plan.items():
            for name, email in respondent_names(count, f"{tag}{group}"):
                self.api(
                    "POST",
                    f"invitation/rounds/{round_id}/nominations",
                    json={"group": group, "name": name, "email": email, "accept_warnings": True},
                )
                addresses.append(email)
        return addresses

    def links(self, addresses: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for summary in httpx.get(f"{self.mail_url}/api/messages", timeout=10).json()["messages"]:
            recipients = [r.lower() for r in summary.get("recipients", [])]
            wanted = [a for a in addresses if a in recipients and a not in found]
            if not wanted:
                continue
            text = httpx.get(f"{self.mail_url}/api/messages/{summary['id']}", timeout=10).json()["text"]
            match = LINK.search(text)
            if match:
                found[wanted[0]] = match.group(1)
        return found

    def answer(self, token: str, rng: random.Random) -> None:
        with httpx.Client(timeout=30) as respondent:
            opened = respondent.get(f"{self.base}/e/{token}", headers={"accept": "application/json"})
            opened.raise_for_status()
            questionnaire = opened.json()["questionnaire"]
            ratings: dict[str, Any] = {}
            for theme in questionnaire["themes"]:
                for statement in theme["statements"]:
                    ratings[statement["id"]] = "nvt" if rng.random() < 0.05 else rng.choice([3, 4, 4, 5, 5])
            for item in questionnaire["global_items"]:
                ratings[item["id"]] = rng.choice([item["max"] - 2, item["max"] - 1])
            comments = {}
            if questionnaire["open_questions"] and rng.random() < 0.7:
                comments[questionnaire["open_questions"][0]["id"]] = rng.choice(COMMENTS)
            respondent.post(
                f"{self.base}/respondent/submit",
                json={"ratings": ratings, "comments": comments},
                headers={"x-csrf-token": opened.headers["x-csrf-token"]},
            ).raise_for_status()


def seed_rounds(
    gateway_url: str, mail_url: str, coordinator: tuple[str, str], emails: dict[str, str]
) -> list[str]:
    """The demo rounds (see the module's docstring); lines to print. emails: role -> e-mail address."""
    demo = Demo(gateway_url, mail_url, coordinator)
    listed = demo.client.get(f"{demo.base}/people")
    listed.raise_for_status()
    by_email = {p["email"]: {"id": p["person_id"], "name": p["display_name"]} for p in listed.json()}
    specialist, facilitator = by_email[emails["specialist"]], by_email[emails["facilitator"]]
    groups = demo.client.get(f"{demo.base}/groups")
    groups.raise_for_status()
    by_id = {p["person_id"]: p for p in listed.json()}
    group = next((g for g in groups.json() if g["name"] == emails.get("group")), None)
    if group is not None:
        group = {
            "group_id": group["group_id"],
            "name": group["name"],
            "members": [m["person_id"] for m in group["members"]],
            "member_people": [by_id[m["person_id"]] for m in group["members"] if m["person_id"] in by_id],
        }
    year = datetime.now(UTC).year
    titles = {
        r["title"]: r
        for r in demo.api("GET", "survey/rounds", params={"subject_id": specialist["id"], "limit": 100})[
            "items"
        ]
    }
    earlier_title = f"IFMS {year - 1} – {specialist['name']}"
    current_title = f"IFMS {year} – {specialist['name']}"
    rng = random.Random(2026)  # noqa: S311 - demo answers
    if current_title in titles:
        return ["  demo rounds exist already"] + (
            [f"  demo: Groepsmonitor {seed_group_monitor(demo, group, rng)}"] if group else []
        )
    # The directory of the invitation service must know the specialist (the self-evaluation mail).
    demo.wait(
        "the specialist in the invitation directory",
        lambda: demo.api("GET", f"invitation/people/{specialist['id']}"),
    )

    if earlier_title in titles:
        earlier = titles[earlier_title]["id"]
    else:
        earlier = made_earlier_round(demo, specialist, facilitator, earlier_title, rng)
    current = demo.create_round(specialist, current_title, days=21)
    addresses = demo.nominate(current, {"colleagues": 6, "staff": 6, "flex": 3}, "nu")
    httpx.delete(f"{mail_url.rstrip('/')}/api/messages", timeout=10)  # only the open round's mail stays
    demo.api("POST", f"survey/rounds/{current}/open")
    demo.wait("the invitations of the open round", lambda: len(demo.links(addresses)) == len(addresses))
    group_round = seed_group_monitor(demo, group, rng) if group else None
    others = sorted(
        (
            p
            for p in listed.json()
            if "specialist" in p.get("roles", []) and p["person_id"] != specialist["id"]
        ),
        key=lambda p: str(p["display_name"]),
    )[:CLOSED_FOR_PLANNING]
    closed = seed_closed_rounds(demo, [{"id": p["person_id"], "name": p["display_name"]} for p in others])
    return [
        f"  demo: a finished IFMS round with its report ({earlier}), and an open one ({current}) whose",
        f"  {len(addresses)} invitations are in the mail catcher: {mail_url}",
        *(
            [f"  demo: an open Groepsmonitor round of {group['name']} ({group_round})"]
            if group and group_round
            else []
        ),
        f"  demo: {len(closed)} more closed IFMS rounds to plan a group discussion for (Groepsbesprekingen)",
    ]


def seed_closed_rounds(demo: Demo, specialists: list[dict[str, Any]]) -> list[str]:
    """An IFMS round for each of `specialists`, opened and closed at once (no report: nobody was
    asked), so the coordinator's planning page has specialists whose rounds have closed."""
    year = datetime.now(UTC).year
    made = []
    for specialist in specialists:
        title = f"IFMS {year} (afgesloten) – {specialist['name']}"
        existing = demo.api("GET", "survey/rounds", params={"subject_id": specialist["id"], "limit": 100})
        if any(r["title"] == title for r in existing["items"]):
            continue
        round_id = demo.create_round(specialist, title, days=14)
        demo.api("POST", f"survey/rounds/{round_id}/open")
        demo.api("POST", f"survey/rounds/{round_id}/close")
        made.append(round_id)
    return made


def seed_group_monitor(demo: Demo, group: dict[str, Any], rng: random.Random) -> str:
    """An open Groepsmonitor round of a group, its members' self-view and most respondents answered,
    so that closing it from the pages gives a report with every part shown."""
    year = datetime.now(UTC).year
    title = f"Groepsmonitor {year} – {group['name']}"
    existing = demo.api("GET", "survey/rounds", params={"group_id": group["group_id"], "limit": 100})["items"]
    if any(r["title"] == title for r in existing):
        return next(r["id"] for r in existing if r["title"] == title)
    closes = (datetime.now(UTC) + timedelta(days=21)).replace(microsecond=0)
    created = demo.api(
        "POST",
        "survey/rounds",
        json={
            "kind": "GROUP_MONITOR",
            "title": title,
            "subject": {
                "subject_id": f"group-{group['group_id']}",
                "display_name": group["name"],
                "member_ids": group["members"],
            },
            "group_id": group["group_id"],
            "closes_at": closes.isoformat(),
        },
    )
    round_id = str(created["id"])
    demo.wait("the round at the invitation service", lambda: demo.api("GET", f"invitation/rounds/{round_id}"))
    addresses = demo.nominate(round_id, {"colleagues": 6, "staff": 6}, "gm")
    demo.api("POST", f"survey/rounds/{round_id}/open")
    members = [m["email"] for m in group["member_people"]]
    for member in group["members"]:  # the self-view mails need the members in the invitation's directory
        path = f"invitation/people/{member}"
        demo.wait("a member in the invitation directory", lambda path=path: demo.api("GET", path))
    links = demo.wait(
        "the invitations of the Groepsmonitor",
        lambda: found if len(found := demo.links(addresses + members)) == len(addresses + members) else None,
    )
    for address in addresses[:5] + addresses[6:10] + members[:5]:
        demo.answer(links[address], rng)
    return round_id


def made_earlier_round(
    demo: Demo, specialist: dict[str, Any], facilitator: dict[str, Any], title: str, rng: random.Random
) -> str:
    """A round answered by most of its respondents, closed, reported, held by a discussion session."""
    earlier = demo.create_round(specialist, title, days=10)
    addresses = demo.nominate(earlier, {"colleagues": 6, "staff": 5, "flex": 2}, "eerder")
    demo.api("POST", f"survey/rounds/{earlier}/open")
    links = demo.wait(
        "the invitations of the earlier round",
        lambda: found if len(found := demo.links(addresses)) == len(addresses) else None,
    )
    for address in addresses[:5] + addresses[6:10] + addresses[11:12]:
        demo.answer(links[address], rng)
    time.sleep(2)  # the survey's consumer counts the completions before the round closes
    demo.api("POST", f"survey/rounds/{earlier}/close")
    # A discussion session with the demo facilitator, planned in the accreditation service once it
    # has learnt that the round closed (so the facilitator prepares it and reads the report).
    starts = (datetime.now(UTC) + timedelta(days=14)).replace(hour=13, minute=0, second=0, microsecond=0)
    demo.wait(
        "a discussion session of the earlier round",
        lambda: demo.api(
            "POST",
            "accreditation/sessions",
            json={
                "kind": "IFMS",
                "participants": [{"person_id": specialist["id"], "round_id": earlier}],
                "facilitator_ids": [facilitator["id"]],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "location": "Vergaderzaal Intervisie",
            },
        ),
        60,
    )
    demo.wait(
        "the report of the earlier round",
        lambda: demo.api("GET", f"aggregation/rounds/{earlier}/reports"),
        120,
    )

    return earlier
