"""The authorisation matrix: every route x every role x own and other hospital x own and other object,
against the real gateway with real service processes behind it. 0 leaks.

Table-driven: a route is one `Route(...)` line saying which roles it admits and how it treats
objects; when a service lands, add its routes here. Each case sends one request and checks:
- the status is one the table allows for that cell;
- a refused request carries none of the secret markers of any object it must not see;
- an admitted read of an object returns that object (the test would notice a route that
  "passes" by returning nothing);
- every refusal by the gateway or a service (403) is in the hospital's audit log.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_helpers import PASSWORD, Browser
from gateway_world import open_round, publish_report, respondent_link
from pymongo import AsyncMongoClient
from spiegel_accreditation.storage import Store as AccreditationStore
from spiegel_dev.waiting import eventually
from spiegel_gateway.groups.store import GroupStore
from spiegel_gateway.people.store import PeopleStore
from spiegel_gateway.signin.passwords import hash_password
from spiegel_gateway.storage import Store
from spiegel_gateway.tenants.model import PLATFORM

pytestmark = pytest.mark.integration

STAFF = ("tenant_admin", "coordinator", "specialist", "facilitator")
# The medical staff board (MSB / Coöperatie): signs in, and reads nothing of the hospital today.
BOARD = "board"
PRINCIPALS = ("anonymous", "operator", *STAFF, BOARD, "respondent")
MANAGERS = ("tenant_admin", "coordinator")
# A specialist of each hospital with no secret in their name, added to and removed from groups.
NEUTRAL: dict[str, str] = {}
# The specialist's own IFMS round in each hospital (their POP is started for it).
OWN_ROUND: dict[str, str] = {}
OBJECTS = ("own", "colleague", "foreign")  # mine / someone else's in my hospital / another hospital's
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
SPARE = "mx-spare"  # a hospital the matrix suspends and reactivates (the others stay active)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {object} is replaced by the object's id
    roles: tuple[str, ...]  # who is admitted at all (in their own hospital)
    kind: str = ""  # the kind of object in {object}: round, report, person; "" for none
    # For an admitted role: which objects it may reach ("own", "colleague").
    reach: Callable[[str], tuple[str, ...]] = lambda role: ("own", "colleague")
    ok: tuple[int, ...] = (200,)
    hidden: int = 403  # the answer for an object of one's own hospital that one may not reach
    # A listing: which of the own hospital's objects a role may see in it ("all": everything).
    sees: Callable[[str], tuple[tuple[str, str], ...] | str] = lambda role: ()
    body: Any = None
    host: str = "tenant"  # "platform": served on the platform's host only
    files: Any = None  # a multipart upload instead of a JSON body
    answers_with_object: bool = True  # False: an action whose answer names no part of the object
    # An admitted answer about a group also names its members: (kind, own|colleague) -> their markers.
    members_shown: bool = False
    page: bool = False  # a page: an anonymous caller is sent to the sign-in form (303), not 401
    # The answer to a hospital's staff or board member the route does not admit: 403, or 404 where
    # the service does not say whether the object exists (a POP, or a round to start one for).
    outsiders: int = 403

    @property
    def bare(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def _round_body() -> dict[str, Any]:
    return {
        "kind": "IFMS",
        "title": "Matrix",
        "subject": {"subject_id": "s", "display_name": "Dr. S"},
        "closes_at": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
    }


def group_reach(role: str) -> tuple[str, ...]:
    """A specialist reads the groups they are a member of (the "own" group), managers every group."""
    return ("own",) if role == "specialist" else ("own", "colleague")


def pop_reach(role: str) -> tuple[str, ...]:
    """Only the owner (the specialist, "own") reaches a POP; nobody else, whatever their role."""
    return ("own",) if role == "specialist" else ()


def report_reach(role: str) -> tuple[str, ...]:
    """A specialist reads only their own report; a facilitator none here (they lead no group)."""
    return {"specialist": ("own",), "facilitator": ()}.get(role, ("own", "colleague"))


ROUTES = (
    # survey service (its own role and tenant checks behind the gateway)
    # a specialist reads their own rounds; another's is answered as unknown
    Route(
        "GET",
        "/api/survey/rounds/{object}",
        ("tenant_admin", "coordinator", "specialist"),
        kind="round",
        reach=lambda role: ("own",) if role == "specialist" else ("own", "colleague"),
        hidden=404,
    ),
    Route(
        "POST",
        "/api/survey/rounds/{object}/close",
        ("tenant_admin", "coordinator"),
        kind="round",
        ok=(200, 409),
    ),
    Route("POST", "/api/survey/rounds", ("tenant_admin", "coordinator"), ok=(201,), body=_round_body()),
    Route(
        "GET",
        "/api/survey/rounds",
        ("tenant_admin", "coordinator", "specialist"),
        sees=lambda role: (("report", "own"), ("round", "own")) if role == "specialist" else "all",
    ),
    # aggregation service: a specialist reads only their own report, a facilitator only those of the
    # groups they lead (none here); a report one may not read is answered as unknown (no probing)
    Route(
        "GET",
        "/api/aggregation/reports/{object}",
        ("tenant_admin", "coordinator", "specialist", "facilitator"),
        kind="report",
        reach=report_reach,
        hidden=404,
    ),
    Route(
        "GET",
        "/api/aggregation/reports/{object}/pdf",
        ("tenant_admin", "coordinator", "specialist", "facilitator"),
        kind="report",
        reach=report_reach,
        hidden=404,
    ),
    Route("GET", "/api/aggregation/reports", ("tenant_admin", "coordinator"), sees=lambda role: "all"),
    Route(
        "GET",
        "/api/aggregation/reports/mine",
        STAFF,
        sees=lambda role: (("report", "own"),) if role == "specialist" else (),
    ),
    # invitation service
    Route("GET", "/api/invitation/me/todo", STAFF),
    Route("GET", "/api/invitation/settings", ("tenant_admin", "coordinator")),
    # accreditation service (issue 19): discussion sessions. "own": a session the hospital's
    # specialist takes part in and its facilitator leads; "colleague": the colleague's session, led
    # by someone else. A session one may not reach is unknown (404), except check-in and choosing
    # themes, which say "not a participant" (403) so that a scanned QR code gets a clear answer.
    Route(
        "GET",
        "/api/accreditation/sessions/{object}",
        (*MANAGERS, "specialist", "facilitator"),
        kind="session",
        reach=lambda role: ("own",) if role in ("specialist", "facilitator") else ("own", "colleague"),
        hidden=404,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/checkin",
        ("specialist",),
        kind="session",
        reach=lambda role: ("own",),
    ),
    Route(
        "POST",
        "/api/accreditation/sessions/{object}/checkin",
        ("specialist",),
        kind="session",
        reach=lambda role: ("own",),
        body={"big_number": "123456789", "evaluation": {"answers": {"useful": 4}, "remark": "matrix"}},
        answers_with_object=False,
    ),
    Route(
        "PUT",
        "/api/accreditation/sessions/{object}/attendance/{participant}",
        ("facilitator",),
        kind="session",
        reach=lambda role: ("own",),
        hidden=404,
        body={"status": "partial", "hours": 1, "reason": "matrix"},
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/attendance",
        (*MANAGERS, "facilitator"),
        kind="session",
        reach=lambda role: ("own",) if role == "facilitator" else ("own", "colleague"),
        hidden=404,
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/evaluation",
        (*MANAGERS, "facilitator"),
        kind="session",
        reach=lambda role: ("own",) if role == "facilitator" else ("own", "colleague"),
        hidden=404,
        answers_with_object=False,
    ),
    Route(
        "PUT",
        "/api/accreditation/sessions/{object}/themes",
        ("specialist",),
        kind="session",
        reach=lambda role: ("own",),
        body={"themes": [{"theme_id": "communicatie", "name": "Communicatie"}]},
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/themes",
        ("specialist", "facilitator"),
        kind="session",
        reach=lambda role: ("own",),
        hidden=404,
        answers_with_object=False,
    ),
    # The facilitator's notes (issue 19, point 6): only the participant (their own, once released)
    # and the session's facilitators; everyone else of the hospital, the board included, gets 404
    # (audited), as for a POP. "own": the specialist's session led by the facilitator, its notes
    # released; "colleague": the colleague's, led by someone else.
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/notes",
        ("facilitator",),
        kind="session",
        reach=lambda role: ("own",),
        hidden=404,
        outsiders=404,
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/notes/{participant}",
        ("specialist", "facilitator"),
        kind="session",
        reach=lambda role: ("own",),
        hidden=404,
        outsiders=404,
        answers_with_object=False,
    ),
    Route(
        "PUT",
        "/api/accreditation/sessions/{object}/notes/{participant}",
        ("facilitator",),
        kind="session",
        reach=lambda role: ("own",),
        ok=(409,),  # released notes are final (a draft is saved in the service's own tests)
        hidden=404,
        outsiders=404,
        body={"text": "matrix", "version": 1},
        answers_with_object=False,
    ),
    Route(
        "POST",
        "/api/accreditation/sessions/{object}/notes/{participant}/release",
        ("facilitator",),
        kind="session",
        reach=lambda role: ("own",),
        hidden=404,
        outsiders=404,
        body={},
        answers_with_object=False,
    ),
    Route("GET", "/api/accreditation/notes/mine", (*STAFF, BOARD)),
    # a person's own group discussions and a discussion's calendar file (only one's own: an id
    # one is not in is unknown, as here for everybody)
    Route("GET", "/api/invitation/me/discussions", STAFF),
    Route("GET", "/api/invitation/me/discussions/no-such-session/calendar.ics", STAFF, ok=(404,)),
    # the gateway's own routes
    Route("GET", "/people/{object}", ("tenant_admin", "coordinator"), kind="person"),
    Route("GET", "/people", ("tenant_admin", "coordinator")),
    # the people pages' search, filters and paging; changes of address and profile; the activation
    # mail again; the spreadsheet import (an import is its maker's: "own" is the tenant admin's,
    # "colleague" the coordinator's; another's is answered as unknown)
    Route(
        "GET",
        "/people?q=secret&role=specialist&status=active&offset=0&limit=5",
        ("tenant_admin", "coordinator"),
    ),
    Route(
        "PATCH",
        "/people/{object}",
        ("tenant_admin", "coordinator"),
        kind="person",
        body={"specialism": "Cardiologie", "employment": "employed", "big_number": "123456789"},
    ),
    Route(
        "POST",
        "/people/{object}/verification-mail",
        ("tenant_admin", "coordinator"),
        kind="person",
        ok=(202, 409),  # 409: the same person mailed a moment ago by another role (per-person interval)
        answers_with_object=False,
    ),
    Route("GET", "/people/imports/template?language=en&format=csv", ("tenant_admin", "coordinator")),
    Route(
        "POST",
        "/people/imports",
        ("tenant_admin", "coordinator"),
        ok=(201,),
        files=lambda: {"file": ("mensen.csv", _people_csv("nieuw"), "text/csv")},
    ),
    Route(
        "GET",
        "/people/imports/{object}",
        ("tenant_admin", "coordinator"),
        kind="import",
        reach=lambda role: ("own",) if role == "tenant_admin" else ("colleague",),
        hidden=404,
    ),
    Route(
        "POST",
        "/people/imports/{object}/confirm",
        ("tenant_admin", "coordinator"),
        kind="import",
        reach=lambda role: ("own",) if role == "tenant_admin" else ("colleague",),
        hidden=404,
        body={"rows": [2], "send_activation": False},
        answers_with_object=False,
    ),
    Route(
        "PATCH", "/people/{object}", ("tenant_admin", "coordinator"), kind="person", body={"language": "nl"}
    ),
    Route("GET", "/tenant", STAFF),
    Route("PATCH", "/tenant", ("tenant_admin",), body={"min_group_size": 5}),
    Route("GET", "/audit", ("tenant_admin",)),
    # One's own API tokens: every person who signs in, the board too (the services refuse it anyway).
    Route("GET", "/auth/api-tokens", (*STAFF, BOARD, "operator")),
    # groups (vakgroepen, maatschappen): managed by tenant admins and coordinators; a specialist reads
    # the groups they are in; another hospital's group is unknown (404)
    Route(
        "GET",
        "/groups",
        (*MANAGERS, "specialist"),
        sees=lambda role: (("group", "own"),) if role == "specialist" else "all",
    ),
    # the people pages' choice of group (no members), and a person's groups
    Route(
        "GET",
        "/groups?brief=true",
        (*MANAGERS, "specialist"),
        sees=lambda role: (("group", "own"),) if role == "specialist" else "all",
    ),
    Route("POST", "/groups", MANAGERS, ok=(201,), body=lambda: {"name": f"Matrix {uuid.uuid4().hex[:8]}"}),  # type: ignore[arg-type]
    Route(
        "GET",
        "/groups/{object}",
        (*MANAGERS, "specialist"),
        kind="group",
        reach=group_reach,
        hidden=404,
        members_shown=True,
    ),
    Route(
        "PATCH", "/groups/{object}", MANAGERS, kind="group", body={"specialism": "Matrix"}, members_shown=True
    ),
    Route(
        "POST",
        "/groups/{object}/members",
        MANAGERS,
        kind="group",
        body=lambda: {"person_id": NEUTRAL["A"]},  # type: ignore[arg-type]
        members_shown=True,
    ),
    Route("DELETE", "/groups/{object}/members/{neutral}", MANAGERS, kind="group", members_shown=True),
    Route("GET", "/groups/{object}/history", MANAGERS, kind="group", members_shown=True),
    Route("GET", "/groups/{object}/members", MANAGERS, kind="group", members_shown=True),
    Route("GET", "/respondent/questionnaire", ("respondent",)),
    Route("GET", "/operator/tenants", ("operator",), host="platform"),
    Route(
        "POST",
        "/operator/tenants",
        ("operator",),
        host="platform",
        ok=(201,),
        body=lambda: {"slug": f"m-{uuid.uuid4().hex[:8]}", "name": "Matrix"},
    ),  # type: ignore[arg-type]
    # the operators' console (issue 18): the gateway's operator API and the web service's pages on the
    # platform's host; the survey's round counts answer only the gateway's platform-scoped token
    Route("GET", "/operator/overview", ("operator",), host="platform"),
    Route("GET", "/operator/status", ("operator",), host="platform"),
    Route("POST", f"/operator/tenants/{SPARE}/suspend", ("operator",), host="platform"),
    Route("POST", f"/operator/tenants/{SPARE}/reactivate", ("operator",), host="platform"),
    Route("GET", "/ziekenhuizen", ("operator",), host="platform", page=True),
    Route("GET", "/ziekenhuizen/nieuw", ("operator",), host="platform", page=True),
    Route("GET", "/platformstatus", ("operator",), host="platform", page=True),
    Route("GET", f"/ziekenhuizen/{SPARE}", ("operator",), host="platform", page=True),
    Route("GET", f"/ziekenhuizen/{SPARE}/beheerder", ("operator",), host="platform", page=True),
    Route("GET", "/api/survey/platform/round-counts", ()),
    # action-plan service: a POP is its owner's alone. Every signed-in person of the hospital reaches
    # the service, which answers 404 to all but the owner (a coordinator, admin, facilitator, the
    # board, a colleague), as for a POP that does not exist; the gateway audits those 404s.
    *(
        Route(
            method,
            path,
            (*STAFF, BOARD),
            kind="pop",
            reach=pop_reach,
            hidden=404,
            ok=ok,
            body=body,
            answers_with_object=with_object,
        )
        for method, path, ok, body, with_object in (
            ("GET", "/api/action-plan/pops/{object}", (200,), None, True),
            ("GET", "/api/action-plan/pops/{object}/pdf", (200,), None, False),
            ("GET", "/api/action-plan/pops/{object}/previous", (200,), None, False),
            ("PUT", "/api/action-plan/pops/{object}", (200, 409), lambda: _pop_body("matrix"), False),
            ("PUT", "/api/action-plan/pops/{object}/review", (409,), {"version": 2, "items": []}, False),
            ("POST", "/api/action-plan/pops/{object}/complete", (200, 409), {"version": 3}, False),
        )
    ),
    # Starting one's POP for one's own round (the specialist's): anyone else is told it is unknown.
    Route(
        "POST",
        "/api/action-plan/pops",
        ("specialist",),
        outsiders=404,
        body=lambda: {"round_id": OWN_ROUND["A"]},  # type: ignore[arg-type]
    ),
    Route("GET", "/api/action-plan/pops/mine", ("specialist",)),
    # The coordinator's overview: POP complete yes/no per specialist and round, nothing more.
    Route("GET", "/api/action-plan/completion", MANAGERS, sees=lambda role: ()),
    # Last: erasing one's own POPs (their data key) ends the specialist's POP.
    Route("DELETE", "/api/action-plan/pops/mine", ("specialist",)),
)


def _pop_body(marker: str, version: int = 2) -> dict[str, Any]:
    return {
        "version": version,
        "keep_and_extend": marker,
        "goals": [{"what": f"{marker}: elke week 1 gesprek", "evidence": "minstens 8 gesprekken"}],
    }


async def _pop(deployment: Any, tenant_id: str, owner: str, round_id: str, marker: str) -> str:
    """The owner's POP for their round, with the marker in it (straight at the action-plan service,
    once its consumer has learnt the round from the survey's event)."""
    token = deployment.issuer().issue(
        audience="action-plan", subject=owner, tenant_id=tenant_id, roles=["specialist"]
    )
    async with httpx.AsyncClient(
        base_url=deployment.action_plan.url, headers={"authorization": f"Bearer {token}"}, timeout=30
    ) as service:

        async def started() -> Any:
            answer = await service.post("/pops", json={"round_id": round_id})
            return answer.json() if answer.status_code in (200, 201) else None

        pop = await eventually(started, 60, f"the POP of round {round_id}")
        saved = await service.put(f"/pops/{pop['id']}", json=_pop_body(marker, version=pop["version"]))
        assert saved.status_code == 200, saved.text
        return str(pop["id"])


def _people_csv(label: str) -> bytes:
    """A people spreadsheet of one row (row 2) with a new address each time."""
    row = f"Dr. Matrix {label};m-{uuid.uuid4().hex[:8]}@matrix-test.nl;specialist"
    return f"Naam;E-mailadres;Rol\n{row}\n".encode()


@dataclass
class Hospital:
    slug: str
    tenant_id: str
    sessions: dict[str, Browser] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)  # role -> person id
    objects: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, own|colleague) -> id
    markers: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, own|colleague) -> secret text
    participants: dict[str, str] = field(default_factory=dict)  # own|colleague -> its session's participant


async def _person(db: Any, tenant_id: str, role: str, name: str) -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:6]}@matrix-test.nl"
    person = await PeopleStore(Store.on(db)).create(
        tenant_id,
        display_name=name,
        email=email,
        roles=[role],
        language="nl",
        password_hash=hash_password(PASSWORD),
        email_verified=True,
    )
    return person.person_id, email


async def _hospital(deployment, db, operator: Browser, label: str) -> Hospital:  # type: ignore[no-untyped-def]
    slug = f"mx-{label.lower()}-{uuid.uuid4().hex[:5]}"
    created = await operator.post("/operator/tenants", json={"slug": slug, "name": f"Ziekenhuis {label}"})
    assert created.status_code == 201, created.text
    hospital = Hospital(slug, created.json()["tenant_id"])
    for role in (*STAFF, BOARD):
        person_id, email = await _person(db, hospital.tenant_id, role, f"SECRET-{label}-{role}")
        hospital.people[role] = person_id
        browser = Browser(deployment.url, slug=slug)
        assert (await browser.login(email)).status_code == 200
        hospital.sessions[role] = browser
    colleague_id, _ = await _person(db, hospital.tenant_id, "specialist", f"SECRET-{label}-colleague")
    issuer = deployment.issuer()

    def bearer(audience: str) -> dict[str, str]:
        token = issuer.issue(
            audience=audience, subject="setup", tenant_id=hospital.tenant_id, roles=["coordinator"]
        )
        return {"authorization": f"Bearer {token}"}

    for which in ("own", "colleague"):
        marker = f"SECRET-{label}-round-{which}-{uuid.uuid4().hex[:6]}"
        subject = hospital.people["specialist"] if which == "own" else colleague_id
        hospital.objects[("round", which)] = await open_round(
            deployment, hospital.tenant_id, title=marker, subject_id=subject
        )
        hospital.markers[("round", which)] = marker
        marker = f"SECRET-{label}-report-{which}-{uuid.uuid4().hex[:6]}"
        hospital.objects[("report", which)] = await publish_report(
            deployment, hospital.tenant_id, subject_id=subject, marker=marker
        )
        hospital.markers[("report", which)] = marker
    hospital.objects[("person", "own")] = hospital.people["specialist"]
    hospital.markers[("person", "own")] = f"SECRET-{label}-specialist"
    hospital.objects[("person", "colleague")] = colleague_id
    hospital.markers[("person", "colleague")] = f"SECRET-{label}-colleague"
    # POPs: the specialist's own and the colleague's, each for their own IFMS round.
    OWN_ROUND[label] = hospital.objects[("round", "own")]
    for which, owner in (("own", hospital.people["specialist"]), ("colleague", colleague_id)):
        marker = f"SECRET-{label}-pop-{which}-{uuid.uuid4().hex[:6]}"
        hospital.objects[("pop", which)] = await _pop(
            deployment, hospital.tenant_id, owner, hospital.objects[("round", which)], marker
        )
        hospital.markers[("pop", which)] = marker
    # People imports: the tenant admin's ("own") and the coordinator's ("colleague"); the file's
    # name is the marker (an import's check answers with it).
    for which, role in (("own", "tenant_admin"), ("colleague", "coordinator")):
        marker = f"SECRET-{label}-import-{which}-{uuid.uuid4().hex[:6]}"
        uploaded = await hospital.sessions[role].post(
            "/people/imports", files={"file": (f"{marker}.csv", _people_csv(marker[-6:]), "text/csv")}
        )
        assert uploaded.status_code == 201, uploaded.text
        hospital.objects[("import", which)] = uploaded.json()["import_id"]
        hospital.markers[("import", which)] = marker
    # Groups: the specialist's own, and a colleague's that the specialist is not in.
    NEUTRAL[label], _ = await _person(db, hospital.tenant_id, "specialist", f"Matrix {label} lid")
    groups = GroupStore(Store.on(db))
    for which, member in (("own", hospital.people["specialist"]), ("colleague", colleague_id)):
        marker = f"SECRET-{label}-group-{which}-{uuid.uuid4().hex[:6]}"
        group = await groups.create(hospital.tenant_id, name=marker, members=[member], by="setup")
        hospital.objects[("group", which)] = group.group_id
        hospital.markers[("group", which)] = marker
    # Discussion sessions (accreditation): under way (check-in open, themes still to choose), the
    # specialist's led by the hospital's facilitator, the colleague's by someone else; the place is
    # the marker.
    sessions = AccreditationStore.on(db.client[f"{deployment.prefix}_accreditation"]).tenant(
        hospital.tenant_id
    )
    for which, member, leader in (
        ("own", hospital.people["specialist"], hospital.people["facilitator"]),
        ("colleague", colleague_id, f"other-facilitator-{label}"),
    ):
        marker = f"SECRET-{label}-session-{which}-{uuid.uuid4().hex[:6]}"
        session_id = str(uuid.uuid4())
        start = datetime.now(UTC) - timedelta(hours=1)
        await sessions.sessions.insert(
            {
                "id": session_id,
                "kind": "IFMS",
                "participants": [{"person_id": member, "round_id": f"r-{session_id[:8]}"}],
                "participant_ids": [member],
                "facilitator_ids": [leader],
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "location": marker,
                "online_url": "",
                "group_id": "",
                "series_id": "",
                "state": "planned",
                "version": 1,
            }
        )
        # The notes of the session's participant, released (no marker: the routes answer with
        # them only to the participant and the facilitators, which the statuses check).
        await sessions.notes.insert(
            {
                "id": f"{session_id}/{member}",
                "session_id": session_id,
                "person_id": member,
                "text": "Besproken (matrix)",
                "version": 1,
                "updated_at": start,
                "released_at": start + timedelta(hours=4),
            }
        )
        hospital.objects[("session", which)] = session_id
        hospital.markers[("session", which)] = marker
        hospital.participants[which] = member
    # A respondent with an open link session.
    token, _ = await respondent_link(deployment, hospital.tenant_id, title=f"SECRET-{label}-questionnaire")
    respondent = Browser(deployment.url, slug=slug)
    assert (await respondent.get(f"/e/{token}")).status_code == 200
    hospital.sessions["respondent"] = respondent
    hospital.sessions["anonymous"] = Browser(deployment.url, slug=slug)
    return hospital


def expected(route: Route, principal: str, side: str, obj: str) -> tuple[int, ...]:
    """The statuses this cell may answer with. side: "own" (the principal's home host) or "other"."""
    if principal == "anonymous":
        if route.page:  # the sign-in form on the platform's host; in a hospital no such page at all
            return (303,) if side == "own" else (404,)
        return (401,)
    home_is_platform = principal == "operator"
    if side == "other":
        return (403,)  # a credential of another hospital (or of the platform) is refused, and audited
    # The principal's own host: a hospital's, or the platform's for the operator.
    if route.host == "platform" and not home_is_platform:
        return (403,)  # a hospital's credential on the platform's host is a foreign one
    if home_is_platform and route.host != "platform":
        if route.path.startswith("/api/"):
            return (403,)
        if route.path == "/respondent/questionnaire":
            return (401,)
        if route.path == "/auth/api-tokens":
            return route.ok
        return (403,)
    if principal not in route.roles:
        if route.path.startswith("/respondent"):
            return (401,)
        return (route.outsiders,) if principal in (*STAFF, BOARD) else (403,)
    if not route.kind:
        return route.ok
    if obj == "foreign":
        return (404,)
    return route.ok if obj in route.reach(principal) else (route.hidden,)


@pytest.fixture(scope="module")
async def world(deployment, stack):  # type: ignore[no-untyped-def]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url)
    db = client[f"{deployment.prefix}_gateway"]
    operator = Browser(deployment.url)
    email = f"op-{uuid.uuid4().hex[:6]}@matrix-test.nl"
    await PeopleStore(Store.on(db)).create(
        PLATFORM,
        display_name="SECRET-operator",
        email=email,
        roles=["operator"],
        language="nl",
        password_hash=hash_password(PASSWORD),
        email_verified=True,
    )
    assert (await operator.login(email)).status_code == 200
    spare = await operator.post("/operator/tenants", json={"slug": SPARE, "name": "Reserve"})
    assert spare.status_code == 201, spare.text
    a = await _hospital(deployment, db, operator, "A")
    b = await _hospital(deployment, db, operator, "B")
    yield {"A": a, "B": b, "operator": operator, "db": db}
    for hospital in (a, b):
        for browser in hospital.sessions.values():
            await browser.aclose()
    await operator.aclose()
    await client.close()


async def test_authorisation_matrix(deployment, world):  # type: ignore[no-untyped-def]
    a, b, db = world["A"], world["B"], world["db"]
    rows, mismatches, leaks = [], [], []
    refused_ids: dict[str, list[str]] = {a.tenant_id: [], b.tenant_id: []}
    all_markers = {m for h in (a, b) for m in h.markers.values()}
    for route in ROUTES:
        for principal in PRINCIPALS:
            for side in ("own", "other"):
                for obj in OBJECTS if route.kind else ("-",):
                    browser = world["operator"] if principal == "operator" else a.sessions[principal]
                    # Which host: the principal's home (A, or the platform), or the other hospital (B).
                    host_hospital = b if side == "other" else (None if principal == "operator" else a)
                    if route.host == "platform" and side == "own" and principal != "operator":
                        host_hospital = None  # staff trying the operator API on the platform host
                    if principal == "operator" and side == "other":
                        host_hospital = a
                    prefix = f"/t/{host_hospital.slug}" if host_hospital else ""
                    path = route.path
                    if route.kind:
                        source = b if obj == "foreign" else a
                        key = (route.kind, "colleague" if obj == "colleague" else "own")
                        path = path.replace("{object}", source.objects[key])
                        path = path.replace("{neutral}", NEUTRAL["B" if source is b else "A"])
                        path = path.replace("{participant}", source.participants.get(key[1], ""))
                        target_marker = source.markers[key]
                    correlation = f"mx-{uuid.uuid4().hex}"
                    headers = {"x-correlation-id": correlation}
                    if browser.cookie:
                        headers["cookie"] = f"spiegel_session={browser.cookie}"
                    if browser.csrf:
                        headers["x-csrf-token"] = browser.csrf
                    body = route.body() if callable(route.body) else route.body
                    if route.files is not None:
                        response = await browser.client.request(
                            route.method, prefix + path, headers=headers, files=route.files()
                        )
                    else:
                        response = await browser.client.request(
                            route.method, prefix + path, headers=headers, json=body
                        )
                    want = expected(route, principal, side, obj)
                    admitted = response.status_code < 400
                    allowed_markers = {f"SECRET-A-{principal}"}  # one's own name (e.g. in the token's claims)
                    if route.kind and admitted:
                        allowed_markers.add(target_marker)
                        if route.members_shown:  # the group's member: the specialist, or the colleague
                            allowed_markers.add(source.markers[("person", key[1])])
                        if route.answers_with_object and target_marker not in response.text:
                            mismatches.append(
                                f"{route.name} {principal} {side} {obj}: admitted without the object"
                            )
                    if admitted and not route.kind:
                        visible = route.sees(principal)
                        if visible == "all":
                            allowed_markers |= set(a.markers.values())
                        else:
                            allowed_markers |= {a.markers[key] for key in visible}
                    if route.bare in ("/people", "/audit") and admitted:
                        allowed_markers = {m for m in a.markers.values()} | {
                            f"SECRET-A-{r}" for r in (*STAFF, BOARD)
                        }
                    leaked = {m for m in all_markers if m in response.text} - allowed_markers
                    if route.bare == "/people" and admitted:
                        leaked = {m for m in leaked if "-B-" in m}
                    if leaked or (
                        admitted and 200 <= response.status_code < 300 and response.status_code not in want
                    ):
                        leaks.append(
                            f"{route.name} {principal} {side} {obj}: {response.status_code} {sorted(leaked)}"
                        )
                    if response.status_code not in want:
                        mismatches.append(
                            f"{route.name} {principal} {side} {obj}: {response.status_code} (want {want}) "
                            f"{response.text[:120]}"
                        )
                    refused = response.status_code == 403 or (
                        response.status_code == 404
                        and (
                            route.bare.startswith("/api/action-plan/pops/")
                            or re.match(r"^/api/accreditation/sessions/[^/]+/notes", route.bare) is not None
                        )
                    )
                    if refused and host_hospital is not None:
                        refused_ids[host_hospital.tenant_id].append(correlation)
                    rows.append((route.name, principal, side, obj, response.status_code, want))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "authorisation-matrix.txt").write_text(
        "\n".join(f"{r[0]:<45} {r[1]:<13} {r[2]:<6} {r[3]:<10} {r[4]}  want {r[5]}" for r in rows) + "\n"
    )
    assert len(rows) >= 200, len(rows)
    assert not leaks, "LEAKS:\n" + "\n".join(leaks)
    assert not mismatches, f"{len(mismatches)} of {len(rows)} cells differ:\n" + "\n".join(mismatches)
    # Every refusal is in the audit log of the hospital whose host was called.
    for tenant_id, correlations in refused_ids.items():
        logged = {
            doc["correlation_id"]
            async for doc in db["audit_log"].find({"tenant_id": tenant_id, "action": "authorisation.failed"})
        }
        missing = [c for c in correlations if c not in logged]
        assert not missing, f"{len(missing)} of {len(correlations)} refusals in {tenant_id} are not audited"
    print(json.dumps({"cases": len(rows), "refusals_audited": sum(len(c) for c in refused_ids.values())}))
