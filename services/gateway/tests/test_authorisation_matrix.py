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

import itertools
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
from spiegel_action_plan.checks.service import Checks as PlanChecks
from spiegel_action_plan.storage import Store as ActionPlanStore
from spiegel_aggregation.storage import Store as AggregationStore
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
# The specialist's own group in each hospital (its action plan is started for it).
OWN_GROUP: dict[str, str] = {}
# The action of every group plan of the matrix (its improvement cycles' routes).
GROUP_PLAN_ACTION = "matrix-action"
# The specialist of each hospital (the own group's member: an action's owner on its plan's form).
OWN_MEMBER: dict[str, str] = {}
# Specialists of each hospital that hold no session of the matrix (a new Groepsmonitor's members).
SPARE_MEMBERS: dict[str, list[str]] = {}
# Days ahead for each extension of a round (each one later than the one before).
LATER = itertools.count(30)
# The group discussions' pages (issue 19): closed IFMS rounds of each hospital that no session holds
# yet (one planned by each successful save of a proposal), one to propose (never saved), and for each
# session the planning pages change, (the participant swapped out, the round of the one swapped in).
PLANNABLE: dict[str, list[tuple[str, str]]] = {}
PROPOSABLE: dict[str, tuple[str, str]] = {}
SWAPS: dict[str, tuple[str, str]] = {}  # the session's marker -> (out person id, incoming round id)
OBJECTS = ("own", "colleague", "foreign")  # mine / someone else's in my hospital / another hospital's
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
# The notes' pages: the accreditation service's 404 there is a refusal, audited (as on the API).
NOTES_PAGES = r"^/(bespreking/[^/]+/verslagen|gespreksverslag/)"
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

    # A page's form (posted with the session's CSRF token): a dict, or a function of the object
    # ({"marker", "email"}) for a form that must name the object as it is.
    form: Any = None
    # An admitted answer may also name these kinds of the own hospital's objects (a person's page
    # names their groups; a group's page offers every specialist to add).
    shows: tuple[str, ...] = ()

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


def plan_reach(role: str) -> tuple[str, ...]:
    """A group plan's checks: the group's members (the specialist, in the "own" group's plan) only."""
    return ("own",) if role == "specialist" else ()


def _check_answer() -> dict[str, Any]:
    return {
        "progress": [{"action_id": "a1", "progress": "on_track", "remark": "matrix"}],
        "still_on_agenda": True,
    }


def report_reach(role: str) -> tuple[str, ...]:
    """A specialist reads only their own report; a facilitator the report of the participant of the
    session they lead (the "own" one: the aggregation service follows the accreditation's sessions),
    not the colleague's."""
    return {"specialist": ("own",), "facilitator": ("own",)}.get(role, ("own", "colleague"))


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
        sees=lambda role: (("report", "own"),) if role in ("specialist", "facilitator") else (),
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
    # accreditation in GAIA (issue 19 point 5): the hospital's coordinators and tenant admins only;
    # the exports answer 409 until an accreditation is set (or, for a certificate, when the person
    # did not attend partly), the registration status 409 until the session has ended.
    Route(
        "PUT",
        "/api/accreditation/sessions/{object}/accreditation",
        MANAGERS,
        kind="session",
        body=lambda: {
            "activity_number": "456789",
            "points": 2,
            "association": "NVvH",
            "valid_from": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
            "valid_until": (datetime.now(UTC) + timedelta(days=300)).date().isoformat(),
        },  # type: ignore[arg-type]
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/accreditation",
        MANAGERS,
        kind="session",
        answers_with_object=False,
    ),
    *(
        Route(
            "GET",
            f"/api/accreditation/sessions/{{object}}/gaia/{export}",
            MANAGERS,
            kind="session",
            ok=(200, 409),
            answers_with_object=False,
        )
        for export in ("big-numbers.txt", "attendance.csv", "attendance.xlsx", "attendance.xml")
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/gaia/certificates/{participant}.pdf",
        MANAGERS,
        kind="session",
        ok=(200, 409),  # 200 once the facilitator's mark above made the participant partly present
        answers_with_object=False,
    ),
    Route(
        "PUT",
        "/api/accreditation/sessions/{object}/gaia/registrations",
        MANAGERS,
        kind="session",
        ok=(200, 409),
        body={"status": "registered"},
        answers_with_object=False,
    ),
    Route("GET", "/api/accreditation/gaia/pending", MANAGERS),
    # The hospital's registration deadline per association (issue 19, point 5): the same people.
    Route("GET", "/api/accreditation/gaia/associations", MANAGERS),
    Route(
        "PUT",
        "/api/accreditation/gaia/associations",
        MANAGERS,
        body={"name": "Matrixvereniging", "deadline_days": 28},
        answers_with_object=False,
    ),
    Route("DELETE", "/api/accreditation/gaia/associations/matrix0000", MANAGERS, answers_with_object=False),
    Route("GET", "/verenigingen", MANAGERS, page=True),
    Route(
        "POST",
        "/verenigingen",
        MANAGERS,
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={"name": "Matrixvereniging", "deadline_days": "28"},
    ),
    Route(
        "POST",
        "/verenigingen/verwijderen",
        MANAGERS,
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={"association_id": "matrix0000"},
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
    # RGS declarations (issue 19, point 7): the session's facilitators list and sign (everyone else
    # of the hospital: unknown, 404); the matrix's sessions are under way, so signing is refused
    # (409, not ended) before any password is asked, and no declaration exists to download (404 for
    # the participant and the facilitator too). Signing itself: test_declaration_signing.py.
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/declarations",
        ("facilitator",),
        kind="session",
        reach=lambda role: ("own",),
        hidden=404,
        outsiders=404,
        answers_with_object=False,
    ),
    Route(
        "POST",
        "/api/accreditation/sessions/{object}/declarations/{participant}/sign",
        ("facilitator",),
        kind="session",
        reach=lambda role: ("own",),
        ok=(409,),
        hidden=404,
        body={"password": "not-checked-before-the-rules"},
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/api/accreditation/sessions/{object}/declarations/{participant}.pdf",
        ("specialist", "facilitator"),
        kind="session",
        reach=lambda role: ("own",),
        ok=(404,),
        hidden=404,
        outsiders=404,
        answers_with_object=False,
    ),
    Route("GET", "/api/accreditation/declarations/mine", (*STAFF, BOARD)),
    Route("GET", "/api/accreditation/declarations/verify/{unknown}", (*STAFF, BOARD), ok=(404,)),
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
    # -- issue 18 --------------------------------------------------------------------------------
    # Adding a person (the gateway's API behind "Persoon toevoegen" and the import).
    Route(
        "POST",
        "/people",
        MANAGERS,
        ok=(201,),
        body=lambda: {"display_name": "Dr. Matrix", "email": _new_address(), "roles": ["specialist"]},  # type: ignore[arg-type]
    ),
    # The operators' console: a hospital read and changed, its first administrator invited.
    Route("GET", f"/operator/tenants/{SPARE}", ("operator",), host="platform"),
    Route("PATCH", f"/operator/tenants/{SPARE}", ("operator",), host="platform", body={"min_group_size": 6}),
    Route(
        "POST",
        f"/operator/tenants/{SPARE}/people",
        ("operator",),
        host="platform",
        ok=(201,),
        body=lambda: {"display_name": "Matrix Beheer", "email": _new_address(), "roles": ["tenant_admin"]},  # type: ignore[arg-type]
    ),
    Route("GET", "/operator/audit", ("operator",), host="platform"),
    # The console's pages that change something (a hospital, its administrator, suspend, reactivate).
    Route(
        "POST",
        "/ziekenhuizen/nieuw",
        ("operator",),
        host="platform",
        page=True,
        ok=(303,),
        form=lambda obj: {
            "name": "Matrix",
            "slug": f"mp-{uuid.uuid4().hex[:8]}",
            "min_group_size": "5",
            "default_language": "nl",
            "admin_name": "Matrix Beheer",
            "admin_email": _new_address(),
        },
    ),
    Route(
        "POST",
        f"/ziekenhuizen/{SPARE}/beheerder",
        ("operator",),
        host="platform",
        page=True,
        ok=(303,),
        form=lambda obj: {"admin_name": "Matrix Beheer", "admin_email": _new_address()},
    ),
    Route(
        "POST",
        f"/ziekenhuizen/{SPARE}/opschorten",
        ("operator",),
        host="platform",
        page=True,
        ok=(303,),
        form={},
    ),
    Route(
        "POST",
        f"/ziekenhuizen/{SPARE}/heractiveren",
        ("operator",),
        host="platform",
        page=True,
        ok=(303,),
        form={},
    ),
    # The pages every signed-in person starts from, and the coordinators' rounds and settings.
    Route(
        "GET",
        "/start",
        (*STAFF, BOARD),
        page=True,
        sees=lambda role: (
            (("report", "own"), ("round", "own"), ("group", "own")) if role == "specialist" else "all"
        ),
    ),
    Route("GET", "/rondes", MANAGERS, page=True, sees=lambda role: "all"),
    Route("GET", "/rondes/nieuw", MANAGERS, page=True, sees=lambda role: "all"),
    Route("GET", "/instellingen", MANAGERS, page=True),
    # The people pages (tenant admins and coordinators). A person switched off and on, or changed, is
    # an "account": a specialist of the hospital who holds no session of the matrix.
    Route(
        "GET",
        "/mensen?zoek=SECRET&rol=specialist&status=active",
        MANAGERS,
        page=True,
        sees=lambda role: "all",
    ),
    Route("GET", "/mensen/nieuw", MANAGERS, page=True),
    Route(
        "POST",
        "/mensen/nieuw",
        MANAGERS,
        page=True,
        ok=(303,),
        form=lambda obj: {"display_name": "Dr. Matrix", "email": _new_address(), "roles": "specialist"},
    ),
    Route("GET", "/mensen/{object}", MANAGERS, kind="person", page=True, shows=("group",)),
    Route(
        "POST",
        "/mensen/{object}",
        MANAGERS,
        kind="account",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {
            "display_name": obj["marker"],
            "email": obj["email"],
            "roles": "specialist",
            "specialism": "Matrix",
            "language": "nl",
        },
    ),
    Route(
        "POST",
        "/mensen/{object}/deactiveren",
        MANAGERS,
        kind="account",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={},
    ),
    Route(
        "POST",
        "/mensen/{object}/activeren",
        MANAGERS,
        kind="account",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={},
    ),
    # 409: the same person mailed a moment ago by the other manager (the per-person interval): the
    # person's page again with the reason.
    Route(
        "POST",
        "/mensen/{object}/activatiemail",
        MANAGERS,
        kind="account",
        page=True,
        ok=(303, 409),
        answers_with_object=False,
        form={},
    ),
    # The people import's pages: an import is its maker's (as on the API).
    Route("GET", "/mensen/importeren", MANAGERS, page=True),
    Route("GET", "/mensen/sjabloon.xlsx?taal=en", MANAGERS, page=True),
    Route(
        "POST",
        "/mensen/importeren",
        MANAGERS,
        page=True,
        files=lambda: {"file": ("mensen.csv", _people_csv("pagina"), "text/csv")},
        form={},
    ),
    Route(
        "GET",
        "/mensen/importeren/{object}",
        MANAGERS,
        kind="import",
        page=True,
        reach=lambda role: ("own",) if role == "tenant_admin" else ("colleague",),
        hidden=404,
        # confirmed by the API's line above: the page says what was saved, not the file's name
        answers_with_object=False,
    ),
    Route(
        "POST",
        "/mensen/importeren/{object}/bevestigen",
        MANAGERS,
        kind="import",
        page=True,
        reach=lambda role: ("own",) if role == "tenant_admin" else ("colleague",),
        hidden=404,
        answers_with_object=False,
        form={},
    ),
    # The group pages (tenant admins and coordinators; a specialist reads their groups on the API).
    Route("GET", "/groepen", MANAGERS, page=True, sees=lambda role: "all"),
    Route(
        "POST",
        "/groepen",
        MANAGERS,
        page=True,
        ok=(303,),
        form=lambda obj: {"name": f"Matrix {uuid.uuid4().hex[:8]}"},
    ),
    Route(
        "GET",
        "/groepen/{object}",
        MANAGERS,
        kind="group",
        page=True,
        members_shown=True,
        shows=("person", "account"),
    ),
    Route(
        "POST",
        "/groepen/{object}",
        MANAGERS,
        kind="group",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {"name": obj["marker"], "kind": "maatschap", "specialism": "Matrix"},
    ),
    Route(
        "POST",
        "/groepen/{object}/leden",
        MANAGERS,
        kind="group",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {"person_id": NEUTRAL["A"]},
    ),
    Route(
        "POST",
        "/groepen/{object}/leden/{neutral}/verwijderen",
        MANAGERS,
        kind="group",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={},
    ),
    # -- the POP's pages (issue 20): its owner's alone; anyone else is told it is unknown (404),
    # audited, as on the API. Before the API's lines, which change the POP's text.
    Route(
        "GET",
        "/mijn-ontwikkelplan",
        ("specialist",),
        page=True,
        outsiders=404,
        sees=lambda role: (("pop", "own"), ("round", "own"), ("report", "own")),
    ),
    Route(
        "POST",
        "/mijn-ontwikkelplan",
        ("specialist",),
        page=True,
        outsiders=404,
        ok=(303,),
        form=lambda obj: {"round_id": OWN_ROUND["A"]},
    ),
    *(
        Route(
            method,
            path,
            (*STAFF, BOARD),
            kind="pop",
            page=True,
            reach=pop_reach,
            hidden=404,
            ok=ok,
            answers_with_object=with_object,
            form=form,
        )
        for method, path, ok, form, with_object in (
            ("GET", "/mijn-ontwikkelplan/{object}", (200,), None, True),
            ("GET", "/mijn-ontwikkelplan/{object}/pdf", (200,), None, False),
            # a stale version (1; saved since): the form again with what was typed and the reason
            (
                "POST",
                "/mijn-ontwikkelplan/{object}",
                (409,),
                lambda obj: {"version": "1", "keep_and_extend": obj["marker"], "goal-0-what": "matrix"},
                False,
            ),
            ("POST", "/mijn-ontwikkelplan/{object}/terugblik", (422,), {}, False),
            ("POST", "/mijn-ontwikkelplan/{object}/afronden", (303,), {}, False),
        )
    ),
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
    # (Anyone but a specialist is stopped at the gateway already: a POP is a specialist's own.)
    Route("GET", "/api/action-plan/pops/mine", ("specialist",), outsiders=404),
    # The coordinator's overview: POP complete yes/no per specialist and round, nothing more.
    Route("GET", "/api/action-plan/completion", MANAGERS, sees=lambda role: ()),
    # The coordinator's page of the same: names and rounds, never a POP's content.
    Route(
        "GET",
        "/ontwikkelplannen",
        MANAGERS,
        page=True,
        sees=lambda role: tuple(
            (kind, which)
            for kind in ("round", "report", "person", "account", "spare", "nomination", "nomimport")
            for which in ("own", "colleague")
        ),
    ),
    # A group's action plan (plan van aanpak, issue 20 point 4): only the group's current members
    # ("own": the specialist's group's plan; "colleague": a group the specialist is not in). To
    # everyone else of the hospital, the coordinator and the board included, a plan is unknown (404,
    # audited), as a POP; the coordinators see the status per group (no actions).
    Route(
        "GET",
        "/groepsplannen",
        (*MANAGERS, "specialist"),
        page=True,
        outsiders=404,  # a facilitator or board member in no group: nothing to show
    ),
    Route(
        "POST",
        "/groepsplannen",
        ("specialist",),
        page=True,
        outsiders=404,
        ok=(303,),
        form=lambda obj: {"group_id": OWN_GROUP["A"]},
    ),
    *(
        Route(
            method,
            path,
            (*STAFF, BOARD),
            kind="gplan",
            page=True,
            reach=pop_reach,
            hidden=404,
            outsiders=404,
            ok=ok,
            answers_with_object=with_object,
            form=form,
        )
        for method, path, ok, form, with_object in (
            ("GET", "/groepsplannen/{object}", (200,), None, True),
            ("GET", "/groepsplannen/{object}/geschiedenis", (200,), None, False),
            # a stale version (1; saved since): the form again with what was typed and the reason
            (
                "POST",
                "/groepsplannen/{object}",
                (409,),
                lambda obj: {
                    "version": "1",
                    "action-0-description": obj["marker"],
                    "action-0-owner_person_id": OWN_MEMBER["A"],
                    "action-0-due": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
                },
                False,
            ),
            ("GET", "/groepsplannen/{object}/acties/{action}", (200,), None, True),
            # improvement cycles: a stale version (1) is refused with what was typed
            (
                "POST",
                "/groepsplannen/{object}/acties/{action}",
                (409,),
                lambda obj: {"version": "1", "cycle-0-change": obj["marker"]},
                False,
            ),
            ("POST", "/groepsplannen/{object}/vaststellen", (303, 409), {}, False),
            ("POST", "/groepsplannen/{object}/afsluiten", (303,), {}, False),
        )
    ),
    Route("GET", "/api/action-plan/group-plans/mine", (*STAFF, BOARD)),
    Route("GET", "/api/action-plan/group-plans/status", MANAGERS),
    Route(
        "POST",
        "/api/action-plan/group-plans",
        ("specialist",),
        outsiders=404,
        body=lambda: {"group_id": OWN_GROUP["A"]},  # type: ignore[arg-type]
    ),
    *(
        Route(
            method,
            path,
            (*STAFF, BOARD),
            kind="gplan",
            reach=pop_reach,
            hidden=404,
            outsiders=404,
            ok=ok,
            body=body,
            answers_with_object=with_object,
        )
        for method, path, ok, body, with_object in (
            ("GET", "/api/action-plan/group-plans/{object}", (200,), None, True),
            ("GET", "/api/action-plan/group-plans/{object}/history", (200,), None, False),
            ("GET", "/api/action-plan/group-plans/{object}/actions/{action}/cycles", (200,), None, True),
            (
                "PUT",
                "/api/action-plan/group-plans/{object}/actions/{action}/cycles",
                (409,),
                {"version": 1, "cycles": [], "measurements": []},
                False,
            ),
            ("PUT", "/api/action-plan/group-plans/{object}", (409,), {"version": 1, "actions": []}, False),
            ("POST", "/api/action-plan/group-plans/{object}/adopt", (200, 409), {"version": 2}, False),
            ("POST", "/api/action-plan/group-plans/{object}/close", (200, 409), {"version": 99}, False),
        )
    ),
    # A group plan's check (issue 20, point 5): every signed-in person of the hospital reaches the
    # service, which answers 404 to all but the members of the plan's group (audited as refusals).
    # The pages first (the API's answer, after them, completes the check).
    *(
        Route(
            method,
            path,
            (*STAFF, BOARD),
            kind="gcheck",
            page=True,
            reach=plan_reach,
            hidden=404,
            ok=ok,
            answers_with_object=with_object,
            form=form,
        )
        for method, path, ok, form, with_object in (
            ("GET", "/groepsplannen/{object}/controles", (200,), None, False),
            ("GET", "/groepsplannen/{object}/controles/{check}", (200,), None, True),
            (
                "POST",
                "/groepsplannen/{object}/controles/{check}",
                (303, 409),
                {"progress-a1": "on_track", "still_on_agenda": "yes"},
                False,
            ),
        )
    ),
    *(
        Route(
            method,
            path,
            (*STAFF, BOARD),
            kind="gcheck",
            reach=plan_reach,
            hidden=404,
            ok=ok,
            body=body,
            answers_with_object=with_object,
        )
        for method, path, ok, body, with_object in (
            ("GET", "/api/action-plan/group-plans/{object}/checks", (200,), None, False),
            ("GET", "/api/action-plan/group-plans/{object}/checks/{check}", (200,), None, True),
            (
                "POST",
                "/api/action-plan/group-plans/{object}/checks/{check}/answer",
                (409,),
                _check_answer,
                False,
            ),
        )
    ),
    # The medical staff board's view (issue 20, point 6; the hospital's setting is on in the matrix):
    # every group's plan, its actions and last check; nobody else.
    Route(
        "GET",
        "/api/action-plan/board/group-plans",
        (BOARD,),
        sees=lambda role: (
            ("gcheck", "own"),
            ("gcheck", "colleague"),
            ("gplan", "own"),
            ("gplan", "colleague"),
        ),
    ),
    Route(
        "GET",
        "/bestuur/groepsplannen",
        (BOARD,),
        page=True,
        sees=lambda role: (
            ("gcheck", "own"),
            ("gcheck", "colleague"),
            ("gplan", "own"),
            ("gplan", "colleague"),
        ),
    ),
    Route("GET", "/api/action-plan/board/group-plans.pdf", (BOARD,)),
    Route("GET", "/bestuur/groepsplannen.pdf", (BOARD,), page=True),
    # The hospital's settings for the checks (interval, recipients; the board's yearly progress).
    Route("GET", "/api/action-plan/group-plan-settings", MANAGERS, sees=lambda role: ()),
    Route(
        "PUT",
        "/api/action-plan/group-plan-settings",
        MANAGERS,
        sees=lambda role: (),
        body={"group_plan_check_interval_months": 6, "group_plan_check_recipients": "members"},
    ),
    # -- the pages of the rounds, nominations, reports and settings (before issue 18) ---------------
    # A round's page and what a coordinator does with it; "spare": a round of each hospital (a draft
    # at first, about no one of the matrix) that the pages open, extend and close (closed last).
    Route("GET", "/rondes/{object}", MANAGERS, kind="round", page=True),
    Route(
        "POST",
        "/rondes/nieuw/ifms",
        MANAGERS,
        page=True,
        ok=(303,),
        form=lambda obj: {
            "title": "Matrix IFMS",
            "closes_on": (datetime.now(UTC) + timedelta(days=20)).date().isoformat(),
            "specialists": SPARE_MEMBERS["A"][0],
        },
    ),
    Route(
        "POST",
        "/rondes/nieuw/groepsmonitor",
        MANAGERS,
        page=True,
        ok=(303,),
        form=lambda obj: {
            "title": "Matrix Groepsmonitor",
            "group_name": "Matrix groep",
            "closes_on": (datetime.now(UTC) + timedelta(days=20)).date().isoformat(),
            "members": SPARE_MEMBERS["A"],
        },
    ),
    # Opening a draft: the first manager opens it, the second is told it is open already (409).
    Route(
        "POST",
        "/rondes/{object}/openen",
        MANAGERS,
        kind="spare",
        page=True,
        ok=(303, 409),
        answers_with_object=False,
        form={"accept_few": "1"},
    ),
    Route(
        "POST",
        "/rondes/{object}/verlengen",
        MANAGERS,
        kind="spare",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {"closes_on": (datetime.now(UTC) + timedelta(days=next(LATER))).date().isoformat()},
    ),
    # Reminders: the invitation service here knows the rounds as being prepared (no consumer: see
    # _nominations), so it says they are not open for reminders (409) to those it admits.
    Route(
        "POST",
        "/rondes/{object}/herinneren",
        MANAGERS,
        kind="round",
        page=True,
        ok=(409,),
        answers_with_object=False,
        form={},
    ),
    # Nominations: the specialist nominates for their own round (another's is unknown), coordinators
    # for every round.
    Route(
        "GET",
        "/rondes/{object}/nominaties",
        ("specialist", *MANAGERS),
        kind="round",
        page=True,
        reach=lambda role: ("own",) if role == "specialist" else ("own", "colleague"),
        hidden=404,
    ),
    Route(
        "POST",
        "/rondes/{object}/nominaties",
        ("specialist", *MANAGERS),
        kind="round",
        page=True,
        reach=lambda role: ("own",) if role == "specialist" else ("own", "colleague"),
        hidden=404,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {
            "group": "colleagues",
            "name": "Matrix Genomineerde",
            "email": _new_address(),
            "accept_warnings": "1",
        },
    ),
    Route(
        "GET",
        "/rondes/{object}/sjabloon.xlsx",
        ("specialist", *MANAGERS),
        kind="round",
        page=True,
        reach=lambda role: ("own",) if role == "specialist" else ("own", "colleague"),
        hidden=404,
        answers_with_object=False,
    ),
    Route(
        "POST",
        "/rondes/{object}/import",
        MANAGERS,
        kind="round",
        page=True,
        answers_with_object=False,
        files=lambda: {"file": ("genomineerden.csv", _nominees_csv(), "text/csv")},
        form={},
    ),
    # A nominations import confirmed (a second confirm saves nothing more).
    Route(
        "POST",
        "/rondes/{round}/import/{object}/bevestigen",
        MANAGERS,
        kind="nomimport",
        page=True,
        answers_with_object=False,
        form={"ok_rows": "2"},
    ),
    # Withdrawing a nomination: the first who may withdraws it; withdrawing it again changes nothing.
    Route(
        "POST",
        "/rondes/{round}/nominaties/{object}/intrekken",
        ("specialist", *MANAGERS),
        kind="nomination",
        page=True,
        reach=lambda role: ("own",) if role == "specialist" else ("own", "colleague"),
        hidden=404,
        ok=(303,),
        answers_with_object=False,
        form={},
    ),
    # Closing (the API's and the page's) comes after every line that needs the rounds open.
    Route(
        "POST",
        "/api/survey/rounds/{object}/close",
        ("tenant_admin", "coordinator"),
        kind="round",
        ok=(200, 409),
    ),
    Route(
        "POST",
        "/rondes/{object}/sluiten",
        MANAGERS,
        kind="spare",
        page=True,
        ok=(303, 409),
        answers_with_object=False,
        form={"confirm": "1"},
    ),
    # Reports: as on the API (a specialist their own, the board none).
    Route(
        "GET",
        "/rapportages/{object}",
        ("tenant_admin", "coordinator", "specialist", "facilitator"),
        kind="report",
        page=True,
        reach=report_reach,
        hidden=404,
    ),
    Route(
        "GET",
        "/rapportages/{object}/pdf",
        ("tenant_admin", "coordinator", "specialist", "facilitator"),
        kind="report",
        page=True,
        reach=report_reach,
        hidden=404,
        answers_with_object=False,
    ),
    # A facilitator's preparation of a discussion session (the aggregation service, which follows
    # the accreditation's sessions): the session's facilitator and the coordinators; another
    # facilitator's session is unknown. It holds the participant's report ("preparation": the
    # report's marker); the page adds the session's place (a "session" marker) and, for the
    # session's facilitator, the chosen themes (the accreditation service's).
    Route(
        "GET",
        "/api/aggregation/sessions/{object}/preparation",
        ("facilitator", *MANAGERS),
        kind="preparation",
        reach=lambda role: ("own",) if role == "facilitator" else ("own", "colleague"),
        hidden=404,
    ),
    Route(
        "GET",
        "/bespreking/{object}/voorbereiding",
        ("facilitator", *MANAGERS),
        kind="preparation",
        page=True,
        reach=lambda role: ("own",) if role == "facilitator" else ("own", "colleague"),
        hidden=404,
        shows=("session",),
    ),
    # The settings: the hospital's (tenant admins), the reminders' (coordinators too).
    Route(
        "POST",
        "/instellingen/ziekenhuis",
        ("tenant_admin",),
        page=True,
        ok=(303,),
        form={"name": "Ziekenhuis A", "min_group_size": "5", "lang_nl": "1", "lang_en": "1"},
    ),
    Route(
        "POST",
        "/instellingen/herinneringen",
        MANAGERS,
        page=True,
        ok=(303,),
        form={
            "max_reminders": "3",
            "interval_days": "7",
            "quiet_days": "2",
            "fatigue_limit": "20",
            "min_interval_hours": "24",
        },
    ),
    # -- the group discussions' pages (issue 19) -------------------------------------------------
    # Check-in: any signed-in person may open the page; the accreditation service admits only the
    # session's participants (403, "not a participant", for everybody else).
    Route(
        "GET",
        "/aanmelden/{object}",
        ("specialist",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        answers_with_object=False,
    ),
    Route(
        "POST",
        "/aanmelden/{object}",
        ("specialist",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        answers_with_object=False,
        form={"big_number": "123456789", "s_useful": "4", "remark": "matrix"},
    ),
    # The facilitator's pages of the session they lead (another's is unknown).
    Route(
        "GET",
        "/bespreking/{object}",
        ("facilitator",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        shows=("person",),
    ),
    Route(
        "GET",
        "/bespreking/{object}/qr",
        ("facilitator",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        answers_with_object=False,  # the code and the check-in address
    ),
    Route(
        "POST",
        "/bespreking/{object}/aanwezigheid",
        ("facilitator",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {
            "person_id": obj["participant"],
            "status": "partial",
            "hours": "1,5",
            "reason": "matrix",
        },
    ),
    # RGS declarations: the facilitator's list and signing (refused: the session is not over), the
    # PDF (none signed: 404), the participant's own list.
    Route(
        "GET",
        "/bespreking/{object}/verklaringen",
        ("facilitator",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        shows=("person",),
    ),
    Route(
        "POST",
        "/bespreking/{object}/verklaringen/{participant}/ondertekenen",
        ("facilitator",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        ok=(409,),
        answers_with_object=False,
        form={"password": "not-checked-before-the-rules"},
    ),
    Route(
        "GET",
        "/bespreking/{object}/verklaringen/{participant}.pdf",
        ("facilitator", "specialist"),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        ok=(404,),
        answers_with_object=False,
    ),
    Route("GET", "/mijn-verklaringen", ("specialist",), page=True),
    # The participant's themes.
    Route(
        "GET",
        "/bespreking/{object}/themas",
        ("specialist",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
    ),
    Route(
        "POST",
        "/bespreking/{object}/themas",
        ("specialist",),
        kind="session",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        ok=(303,),
        answers_with_object=False,
        form={},
    ),
    # "Mijn groepsbesprekingen": one's own sessions (the accreditation's, `mine`), whatever one's
    # roles: a coordinator or administrator in none sees none of the hospital's.
    Route(
        "GET",
        "/mijn-besprekingen",
        ("specialist", "facilitator", *MANAGERS),
        page=True,
        sees=lambda role: (("session", "own"),) if role in ("specialist", "facilitator") else (),
    ),
    # Its former address (old links and bookmarks) answers 303 to it; the calendar file (the
    # invitation service's, which learns sessions from events: the matrix's sessions, made in the
    # accreditation database, are not among them): only one's own; an id one is not in is
    # unknown, as here for everybody.
    Route("GET", "/groepsbesprekingen/mijn", ("specialist", "facilitator", *MANAGERS), page=True, ok=(303,)),
    Route(
        "GET",
        "/groepsbesprekingen/{unknown}/agenda.ics",
        ("specialist", "facilitator", *MANAGERS),
        page=True,
        ok=(404,),
    ),
    # The facilitator's notes (issue 19, point 6) in the pages: the session's facilitator writes,
    # saves and releases them; their participant reads them once released. The facilitator's pages
    # refuse every other role (403, whichever session), the participant's every role but a
    # specialist; within those roles the accreditation service answers for anyone but the
    # facilitators and the participant that there are no notes (404, audited). The text is the
    # "notes" marker, in no other answer (the colleague's notes are released from the start).
    Route(
        "GET",
        "/bespreking/{object}/verslagen",
        ("facilitator",),
        kind="notes",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        answers_with_object=False,  # who and in what state, not the text
    ),
    Route(
        "POST",
        "/bespreking/{object}/verslagen/{participant}",
        ("facilitator",),
        kind="notes",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {"text": f"{obj['marker']}: besproken", "version": "0"},
    ),
    # A draft is not yet the participant's: unknown to them too.
    Route(
        "GET",
        "/gespreksverslag/{object}",
        ("specialist",),
        kind="notes",
        page=True,
        reach=lambda role: (),
        hidden=404,
    ),
    Route(
        "GET",
        "/bespreking/{object}/verslagen/{participant}",
        ("facilitator",),
        kind="notes",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
    ),
    Route(
        "POST",
        "/bespreking/{object}/verslagen/{participant}/vrijgeven",
        ("facilitator",),
        kind="notes",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
        ok=(303,),
        answers_with_object=False,
        form={},
    ),
    Route("GET", "/gespreksverslag", ("specialist",), page=True),  # when, never the text
    Route(
        "GET",
        "/gespreksverslag/{object}",
        ("specialist",),
        kind="notes",
        page=True,
        reach=lambda role: ("own",),
        hidden=404,
    ),
    # The coordinator's GAIA pages (issue 19, point 5): coordinators and tenant admins, for every
    # session of the hospital. The accreditation is set first (its association is the "ended"
    # session's marker, so its page shows the session's own); the status last (every attendee
    # registered); the certificate of the specialist, whom the facilitator marked partly present
    # above (the colleague was not: 409).
    Route(
        "POST",
        "/bespreking/{object}/accreditatie",
        MANAGERS,
        kind="ended",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {
            "activity_number": "456789",
            "points": "2",
            "association": obj["marker"],
            "valid_from": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
            "valid_until": (datetime.now(UTC) + timedelta(days=300)).date().isoformat(),
        },
    ),
    Route("GET", "/bespreking/{object}/accreditatie", MANAGERS, kind="ended", page=True),
    *(
        Route(
            "GET",
            f"/bespreking/{{object}}/accreditatie/{{={export}}}",
            MANAGERS,
            kind="ended",
            page=True,
            answers_with_object=False,
        )
        for export in ("big-numbers.txt", "attendance.xlsx")
    ),
    Route(
        "GET",
        "/bespreking/{object}/accreditatie/bewijs/{participant}.pdf",
        MANAGERS,
        kind="session",
        page=True,
        ok=(200, 409),
        answers_with_object=False,
    ),
    Route(
        "GET",
        "/nog-te-registreren",
        MANAGERS,
        page=True,
        sees=lambda role: (("ended", "own"), ("ended", "colleague")),
    ),
    Route(
        "POST",
        "/bespreking/{object}/accreditatie/status",
        MANAGERS,
        kind="ended",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={"status": "registered", "everyone": "1"},
    ),
    # The coordinator's planning (issue 19, point 1): coordinators and tenant admins, for every
    # session of the hospital ("plan": sessions ahead, about no one of the matrix). A proposal saves
    # nothing; saving one plans a session of a round of PLANNABLE.
    Route(
        "GET",
        "/groepsbesprekingen",
        MANAGERS,
        page=True,
        sees=lambda role: tuple(
            (kind, which) for kind in ("session", "plan", "ended", "person") for which in ("own", "colleague")
        ),
    ),
    Route("GET", "/groepsbesprekingen/plannen", MANAGERS, page=True),
    Route(
        "POST",
        "/groepsbesprekingen/plannen",
        MANAGERS,
        page=True,
        form=lambda obj: {
            "rounds": PROPOSABLE["A"][1],
            "mode": "separate_dates",
            "date": (datetime.now(UTC) + timedelta(days=14)).date().isoformat(),
            "starts": "10:00",
            "interval_days": "7",
            "location": "Matrix zaal",
            "facilitator": "matrix-leider",
        },
    ),
    Route(
        "POST",
        "/groepsbesprekingen/plannen",
        MANAGERS,
        page=True,
        ok=(303,),
        form=lambda obj: _plan_form(*PLANNABLE["A"].pop()),
    ),
    Route("GET", "/groepsbesprekingen/{object}", MANAGERS, kind="plan", page=True),
    Route(
        "POST",
        "/groepsbesprekingen/{object}/verzetten",
        MANAGERS,
        kind="plan",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {
            "date": (datetime.now(UTC) + timedelta(days=21)).date().isoformat(),
            "starts": "14:00",
            "ends": "16:30",
        },
    ),
    Route(
        "POST",
        "/groepsbesprekingen/{object}/plaats",
        MANAGERS,
        kind="plan",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form=lambda obj: {"location": obj["marker"], "online_url": "https://meet.example.nl/matrix"},
    ),
    Route(
        "POST",
        "/groepsbesprekingen/{object}/gespreksleiders",
        MANAGERS,
        kind="plan",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={"facilitator": ["matrix-leider", "matrix-tweede"]},
    ),
    # The first manager swaps the participant; the second is told that person no longer takes part
    # (the session's page again with the reason, 422).
    Route(
        "POST",
        "/groepsbesprekingen/{object}/vervangen",
        MANAGERS,
        kind="plan",
        page=True,
        ok=(303, 422),
        answers_with_object=False,
        form=lambda obj: dict(
            zip(("out_person_id", "incoming_round"), SWAPS.get(obj["marker"], ("", "")), strict=True)
        ),
    ),
    Route("GET", "/groepsbesprekingen/{object}/annuleren", MANAGERS, kind="plan", page=True),
    # Cancelled twice: the same answer.
    Route(
        "POST",
        "/groepsbesprekingen/{object}/annuleren",
        MANAGERS,
        kind="plan",
        page=True,
        ok=(303,),
        answers_with_object=False,
        form={"confirm": "yes"},
    ),
    # Last: erasing one's own POPs (their data key) ends the specialist's POP.
    Route("DELETE", "/api/action-plan/pops/mine", ("specialist",), outsiders=404),
)


def _plan_form(person_id: str, round_id: str) -> dict[str, Any]:
    """The planning's second step saved: one person of a closed round in one group, two weeks ahead."""
    return {
        "step": "proposal",
        "action": "save",
        "kind": "IFMS",
        "mode": "separate_dates",
        "groups": "1",
        "person": f"{person_id}/{round_id}",
        f"to_{person_id}": "1",
        "g1_date": (datetime.now(UTC) + timedelta(days=14)).date().isoformat(),
        "g1_starts": "10:00",
        "g1_ends": "12:00",
        "g1_location": "Matrix zaal",
        "g1_facilitator": "matrix-leider",
    }


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


async def _group_plan(deployment: Any, tenant_id: str, member: str, group_id: str, marker: str) -> str:
    """The group's action plan with one action holding the marker (straight at the action-plan
    service, as the member)."""
    token = deployment.issuer().issue(
        audience="action-plan", subject=member, tenant_id=tenant_id, roles=["specialist"]
    )
    async with httpx.AsyncClient(
        base_url=deployment.action_plan.url, headers={"authorization": f"Bearer {token}"}, timeout=30
    ) as service:
        started = await service.post("/group-plans", json={"group_id": group_id})
        assert started.status_code == 201, started.text
        plan_id = str(started.json()["plan_id"])
        action = {
            "action_id": GROUP_PLAN_ACTION,
            "description": f"{marker}: de overdracht elke maand evalueren",
            "owner_person_id": member,
            "due": (datetime.now(UTC) + timedelta(days=60)).date().isoformat(),
            "measure": "10 evaluaties",
            "embedding": {"kind": "standing_agenda_item", "text": "vast agendapunt"},
        }
        saved = await service.put(f"/group-plans/{plan_id}", json={"version": 1, "actions": [action]})
        assert saved.status_code == 200, saved.text
        return plan_id


def _new_address() -> str:
    return f"m-{uuid.uuid4().hex[:10]}@matrix-test.nl"


def _nominees_csv() -> bytes:
    """A nominations spreadsheet of one row (row 2) with a new address each time."""
    row = f"colleagues;Matrix Genomineerde;{_new_address()};nl"
    return f"Respondentgroep;Naam;E-mailadres;Taal\r\n{row}\r\n".encode()


async def _draft_round(deployment: Any, tenant_id: str, title: str) -> str:
    """A draft IFMS round about no one of the matrix (the round pages open, extend and close it)."""
    token = deployment.issuer().issue(
        audience="survey", subject="setup", tenant_id=tenant_id, roles=["coordinator"]
    )
    async with httpx.AsyncClient(base_url=deployment.survey.url, timeout=30) as survey:
        made = await survey.post(
            "/rounds",
            headers={"authorization": f"Bearer {token}"},
            json={
                **_round_body(),
                "title": title,
                "subject": {"subject_id": "spare", "display_name": "Dr. Reserve"},
            },
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


async def _nominations(deployment: Any, hospital: Hospital, which: str, subject_id: str) -> None:
    """A nomination and a checked nominations import on a round. The deployment runs the invitation
    service's API without its consumer, so the round is described to it as the survey's RoundCreated
    would (`PUT /rounds/{id}`): a round still being prepared there (its nominations open)."""
    round_id = hospital.objects[("round", which)]
    token = deployment.issuer().issue(
        audience="invitation", subject="setup", tenant_id=hospital.tenant_id, roles=["coordinator"]
    )
    async with httpx.AsyncClient(
        base_url=deployment.invitation.url, headers={"authorization": f"Bearer {token}"}, timeout=30
    ) as invitation:
        described = await invitation.put(
            f"/rounds/{round_id}",
            json={
                "title": hospital.markers[("round", which)],
                "subject_id": subject_id,
                "subject_name": "Dr. S",
                "closes_at": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
            },
        )
        assert described.status_code == 200, described.text
        nominated = await invitation.post(
            f"/rounds/{round_id}/nominations",
            json={
                "group": "colleagues",
                "name": "Matrix Genomineerde",
                "email": _new_address(),
                "accept_warnings": True,
            },
        )
        assert nominated.status_code == 201, nominated.text
        hospital.objects[("nomination", which)] = nominated.json()["assignment_id"]
        hospital.markers[("nomination", which)] = hospital.markers[("round", which)]
        checked = await invitation.post(
            f"/rounds/{round_id}/imports", files={"file": ("l.csv", _nominees_csv(), "text/csv")}
        )
        assert checked.status_code in (200, 201), checked.text
        hospital.objects[("nomimport", which)] = str(checked.json()["import_id"])
        hospital.markers[("nomimport", which)] = hospital.markers[("round", which)]


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

    emails: dict[tuple[str, str], str] = field(default_factory=dict)  # (account, own|colleague) -> address


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

    # Accounts: specialists the people pages switch off and on, change and mail (no session here).
    for which in ("own", "colleague"):
        marker = f"SECRET-{label}-account-{which}"
        person_id, email = await _person(db, hospital.tenant_id, "specialist", marker)
        hospital.objects[("account", which)] = person_id
        hospital.markers[("account", which)] = marker
        hospital.emails[("account", which)] = email
    SPARE_MEMBERS[label] = [hospital.objects[("account", "own")], hospital.objects[("account", "colleague")]]
    # Spare rounds (drafts, about no one of the matrix), and nominations on the rounds.
    for which in ("own", "colleague"):
        marker = f"SECRET-{label}-spare-{which}-{uuid.uuid4().hex[:6]}"
        hospital.objects[("spare", which)] = await _draft_round(deployment, hospital.tenant_id, marker)
        hospital.markers[("spare", which)] = marker
        subject = hospital.people["specialist"] if which == "own" else colleague_id
        await _nominations(deployment, hospital, which, subject)
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
    # Group plans with a check made (issue 20, point 5): the specialist's group's, and a colleague's
    # group's; an action's description is the marker. Written as the group-plan contract shapes them.
    plan_stores = ActionPlanStore.on(db.client[f"{deployment.prefix}_action_plan"])
    await plan_stores.tenant(hospital.tenant_id).hospitals.update(
        "settings", {"$set": {"board_progress": True}}, upsert=True
    )
    for which, member in (("own", hospital.people["specialist"]), ("colleague", colleague_id)):
        marker = f"SECRET-{label}-plan-{which}-{uuid.uuid4().hex[:6]}"
        plan_id, group_id = str(uuid.uuid4()), f"matrix-group-{which}"
        store = plan_stores.tenant(hospital.tenant_id)
        await store.groups.insert(
            {
                "id": group_id,
                "group_id": group_id,
                "name": group_id,
                "member_person_ids": [member],
                "contact_person_id": member,
                "revision": 1,
            }
        )
        await store.group_plans.insert(
            {
                "id": plan_id,
                "plan_id": plan_id,
                "group_id": group_id,
                "round_id": "",
                "status": "adopted",
                "created_at": datetime.now(UTC) - timedelta(days=210),
                "updated_at": datetime.now(UTC) - timedelta(days=200),
                "adopted_at": datetime.now(UTC) - timedelta(days=200),
                "version": 1,
                "history": [],
                "next_check_at": datetime.now(UTC) - timedelta(days=1),
                "actions": [
                    {
                        "action_id": "a1",
                        "description": marker,
                        "owner_person_id": member,
                        "due": "2026-01-01",
                        "measure": "",
                        "embedding": {"kind": "other", "text": ""},
                        "status": "open",
                    }
                ],
            }
        )
        await PlanChecks(plan_stores).make_due(datetime.now(UTC))
        check = await store.plan_checks.find_one({"plan_id": plan_id})
        assert check is not None
        hospital.objects[("gcheck", which)] = plan_id
        hospital.objects[("check", which)] = check["check_id"]
        hospital.markers[("gcheck", which)] = marker
    # Groups: the specialist's own, and a colleague's that the specialist is not in.
    NEUTRAL[label], _ = await _person(db, hospital.tenant_id, "specialist", f"Matrix {label} lid")
    groups = GroupStore(Store.on(db))
    for which, member in (("own", hospital.people["specialist"]), ("colleague", colleague_id)):
        marker = f"SECRET-{label}-group-{which}-{uuid.uuid4().hex[:6]}"
        group = await groups.create(hospital.tenant_id, name=marker, members=[member], by="setup")
        hospital.objects[("group", which)] = group.group_id
        hospital.markers[("group", which)] = marker
    # Group action plans (action-plan): the service's copy of the two groups (written as its consumer of
    # the gateway's GroupChanged would: the matrix runs no gateway relay), each plan started by its
    # member with the marker in its action.
    plans = ActionPlanStore.on(db.client[f"{deployment.prefix}_action_plan"]).tenant(hospital.tenant_id)
    for which, member in (("own", hospital.people["specialist"]), ("colleague", colleague_id)):
        group_id = hospital.objects[("group", which)]
        await plans.groups.insert(
            {
                "id": group_id,
                "group_id": group_id,
                "name": "Matrix groep",
                "member_person_ids": [member],
                "contact_person_id": member,
                "revision": 1,
            }
        )
        marker = f"SECRET-{label}-gplan-{which}-{uuid.uuid4().hex[:6]}"
        hospital.objects[("gplan", which)] = await _group_plan(
            deployment, hospital.tenant_id, member, group_id, marker
        )
        hospital.markers[("gplan", which)] = marker
    OWN_GROUP[label] = hospital.objects[("group", "own")]
    OWN_MEMBER[label] = hospital.people["specialist"]
    # Discussion sessions (accreditation): under way (check-in open, themes still to choose), the
    # specialist's led by the hospital's facilitator, the colleague's by someone else; the place is
    # the marker.
    sessions = AccreditationStore.on(db.client[f"{deployment.prefix}_accreditation"]).tenant(
        hospital.tenant_id
    )
    preparations = AggregationStore.on(db.client[f"{deployment.prefix}_aggregation"]).tenant(
        hospital.tenant_id
    )
    report_rounds = {w: hospital.objects[("report", w)].rsplit(".v", 1)[0] for w in ("own", "colleague")}
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
        # The same session as the aggregation service keeps it from the accreditation's events
        # (written directly, as above): it holds the round of the participant's report, so its
        # preparation names that report (its round's title carries the report's marker).
        await preparations.sessions.insert(
            {
                "id": session_id,
                "version": 1,
                "kind": "IFMS",
                "participants": [{"person_id": member, "round_id": report_rounds[which]}],
                "round_ids": [report_rounds[which]],
                "facilitator_ids": [leader],
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "state": "planned",
            }
        )
        hospital.objects[("preparation", which)] = session_id
        hospital.markers[("preparation", which)] = hospital.markers[("report", which)]
    await _discussion_pages_objects(db, hospital, label, sessions, colleague_id)
    # A respondent with an open link session.
    token, _ = await respondent_link(deployment, hospital.tenant_id, title=f"SECRET-{label}-questionnaire")
    respondent = Browser(deployment.url, slug=slug)
    assert (await respondent.get(f"/e/{token}")).status_code == 200
    hospital.sessions["respondent"] = respondent
    hospital.sessions["anonymous"] = Browser(deployment.url, slug=slug)
    return hospital


def _session_doc(session_id: str, member: str, leader: str, start: datetime, location: str) -> dict[str, Any]:
    """A planned IFMS session of three hours, as the accreditation service stores it."""
    return {
        "id": session_id,
        "kind": "IFMS",
        "participants": [{"person_id": member, "round_id": f"r-{session_id[:8]}"}],
        "participant_ids": [member],
        "facilitator_ids": [leader],
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "location": location,
        "online_url": "",
        "group_id": "",
        "series_id": "",
        "state": "planned",
        "version": 1,
    }


async def _discussion_pages_objects(
    db: Any, hospital: Hospital, label: str, sessions: Any, colleague_id: str
) -> None:
    """The objects of the group discussions' pages (issue 19), none of them with anyone of the matrix
    but in "notes":
    - "plan": a session planned some days ahead that the coordinator's planning pages reschedule,
      move, give other facilitators, swap a participant of and cancel (a neutral person; the place is
      the marker); "own" and "colleague" are both the hospital's (managers reach every session);
    - "ended": a session that ended two days ago with a whole-session attendee whose BIG number is
      known, for the GAIA pages (the place and, once set by the page, the association are the marker);
    - "notes": under way, the specialist's led by the hospital's facilitator (no notes yet: the
      facilitator writes and releases them with the pages), the colleague's led by someone else with
      released notes; the notes' text is the marker (the place is not: the sessions' lists show it).
    Also closed IFMS rounds of a neutral person, as the survey's events describe them to the
    accreditation service, for the planning pages to propose and plan."""
    now = datetime.now(UTC)
    planned, _ = await _person(db, hospital.tenant_id, "specialist", f"Matrix {label} gepland")
    incoming, _ = await _person(db, hospital.tenant_id, "specialist", f"Matrix {label} invaller")
    present, _ = await _person(db, hospital.tenant_id, "specialist", f"Matrix {label} aanwezig")

    async def closed_round(subject: str) -> str:
        round_id = f"mx-{uuid.uuid4().hex[:12]}"
        await sessions.rounds.insert(
            {
                "id": round_id,
                "kind": "IFMS",
                "subject_id": subject,
                "subject_name": f"Matrix {label}",
                "member_ids": [],
                "title": f"Matrix {label} IFMS",
                "closed": True,
                "closed_at": now - timedelta(days=3),
            }
        )
        return round_id

    # One round for each cell of the saving line (18), though only the managers' two save.
    PLANNABLE[label] = [(planned, await closed_round(planned)) for _ in range(2 * len(PRINCIPALS) + 2)]
    PROPOSABLE[label] = (planned, await closed_round(planned))
    starts = now + timedelta(days=10)
    for which in ("own", "colleague"):
        marker = f"SECRET-{label}-plan-{which}-{uuid.uuid4().hex[:6]}"
        made = await hospital.sessions["coordinator"].post(
            "/api/accreditation/sessions",
            json={
                "kind": "IFMS",
                "participants": [{"person_id": planned, "round_id": await closed_round(planned)}],
                "facilitator_ids": ["matrix-leider"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "location": marker,
            },
        )
        assert made.status_code == 201, made.text
        hospital.objects[("plan", which)] = made.json()["id"]
        hospital.markers[("plan", which)] = marker
        SWAPS[marker] = (planned, await closed_round(incoming))
    await sessions.big_numbers.insert({"id": present, "big_number": "01234567890", "updated_at": now})
    for which in ("own", "colleague"):
        marker = f"SECRET-{label}-ended-{which}-{uuid.uuid4().hex[:6]}"
        session_id = str(uuid.uuid4())
        start = now - timedelta(days=2)
        await sessions.sessions.insert(
            _session_doc(session_id, present, f"other-facilitator-{label}", start, marker)
        )
        await sessions.attendance.insert(
            {
                "id": f"{session_id}/{present}",
                "session_id": session_id,
                "person_id": present,
                "status": "present",
                "minutes": 180,
                "source": "check_in",
                "reason": "",
                "checked_in_at": start + timedelta(hours=3),
                "evaluated": False,
                "version": 1,
            }
        )
        hospital.objects[("ended", which)] = session_id
        hospital.markers[("ended", which)] = marker
    for which, member, leader in (
        ("own", hospital.people["specialist"], hospital.people["facilitator"]),
        ("colleague", colleague_id, f"other-facilitator-{label}"),
    ):
        marker = f"SECRET-{label}-notes-{which}-{uuid.uuid4().hex[:6]}"
        session_id = str(uuid.uuid4())
        start = now - timedelta(hours=1)
        await sessions.sessions.insert(_session_doc(session_id, member, leader, start, "Matrix notities"))
        if which == "colleague":
            await sessions.notes.insert(
                {
                    "id": f"{session_id}/{member}",
                    "session_id": session_id,
                    "person_id": member,
                    "text": f"{marker}: besproken",
                    "version": 1,
                    "updated_at": start,
                    "released_at": start + timedelta(minutes=30),
                }
            )
        hospital.objects[("notes", which)] = session_id
        hospital.markers[("notes", which)] = marker


def expected(route: Route, principal: str, side: str, obj: str) -> tuple[int, ...]:
    """The statuses this cell may answer with. side: "own" (the principal's home host) or "other"."""
    if principal == "anonymous":
        if route.page and route.host == "platform":
            # the sign-in form on the platform's host; in a hospital no such page at all
            return (303,) if side == "own" else (404,)
        if route.page:  # a hospital's page: the sign-in form
            return (303,)
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
        if route.page:  # the platform's address has no such page: a hospital's pages are in hospitals
            return (404,)
        return (403,)
    if principal == "respondent" and route.page:
        return (303,)  # a questionnaire's link signs no one in: the sign-in form, as for anyone
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
    cells: dict[str, str] = {}  # correlation id -> the cell, for the audit's failure message
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
                    path = route.path.replace("{unknown}", "no-such-object")
                    path = re.sub(r"\{=([^}]*)\}", r"\1", path)  # {=name}: a parameter, sent as name
                    path = path.replace("{action}", GROUP_PLAN_ACTION)
                    if route.kind:
                        source = b if obj == "foreign" else a
                        key = (route.kind, "colleague" if obj == "colleague" else "own")
                        path = path.replace("{object}", source.objects[key])
                        path = path.replace("{neutral}", NEUTRAL["B" if source is b else "A"])
                        path = path.replace("{participant}", source.participants.get(key[1], ""))
                        path = path.replace("{round}", source.objects[("round", key[1])])
                        path = path.replace("{check}", source.objects.get(("check", key[1]), ""))
                        target_marker = source.markers[key]
                    correlation = f"mx-{uuid.uuid4().hex}"
                    headers = {"x-correlation-id": correlation}
                    if browser.cookie:
                        headers["cookie"] = f"spiegel_session={browser.cookie}"
                    if browser.csrf:
                        headers["x-csrf-token"] = browser.csrf
                    body = route.body() if callable(route.body) else route.body
                    form = None
                    if route.form is not None:
                        described = {"marker": "", "email": ""}
                        if route.kind:
                            described = {
                                "marker": target_marker,
                                "email": source.emails.get(key, ""),
                                "participant": source.participants.get(key[1], ""),
                            }
                        form = route.form(described) if callable(route.form) else dict(route.form)
                        form["csrf_token"] = browser.csrf or ""
                    if route.form is not None and route.files is not None:
                        response = await browser.client.request(
                            route.method, prefix + path, headers=headers, data=form, files=route.files()
                        )
                    elif route.form is not None:
                        response = await browser.client.request(
                            route.method, prefix + path, headers=headers, data=form
                        )
                    elif route.files is not None:
                        response = await browser.client.request(
                            route.method, prefix + path, headers=headers, files=route.files()
                        )
                    else:
                        response = await browser.client.request(
                            route.method, prefix + path, headers=headers, json=body
                        )
                    want = expected(route, principal, side, obj)
                    # The sign-in form (a page's answer to one who is not signed in) admits no one.
                    to_signin = response.status_code == 303 and "/inloggen" in response.headers.get(
                        "location", ""
                    )
                    admitted = response.status_code < 400 and not to_signin
                    allowed_markers = {f"SECRET-A-{principal}"}  # one's own name (e.g. in the token's claims)
                    # An admitted role's conflict (409: already done) may show the object it is about.
                    conflict = (
                        response.status_code >= 400 and want == route.ok and response.status_code in want
                    )
                    if route.kind and conflict and obj != "foreign":
                        allowed_markers.add(target_marker)
                    if route.kind and admitted:
                        allowed_markers.add(target_marker)
                        if route.members_shown:  # the group's member: the specialist, or the colleague
                            allowed_markers.add(source.markers[("person", key[1])])
                        allowed_markers |= {m for (kind, _), m in a.markers.items() if kind in route.shows}
                        if route.answers_with_object and target_marker not in response.text:
                            mismatches.append(
                                f"{route.name} {principal} {side} {obj}: admitted without the object"
                            )
                    if admitted and not route.kind:
                        visible = route.sees(principal)
                        if visible == "all":
                            allowed_markers |= set(a.markers.values())
                        else:
                            allowed_markers |= {a.markers[key] for key in visible if key in a.markers}
                    if route.bare in ("/people", "/audit", "/mensen") and admitted:
                        allowed_markers = {m for m in a.markers.values()} | {
                            f"SECRET-A-{r}" for r in (*STAFF, BOARD)
                        }
                    leaked = {m for m in all_markers if m in response.text} - allowed_markers
                    if route.bare in ("/people", "/mensen") and admitted:
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
                            route.bare.startswith(
                                (
                                    "/api/action-plan/pops/",
                                    "/mijn-ontwikkelplan",
                                    "/api/action-plan/group-plans/{object}",
                                    "/groepsplannen/{object}",
                                )
                            )
                            or re.match(r"^/api/accreditation/sessions/[^/]+/notes", route.bare) is not None
                            or re.match(NOTES_PAGES, route.bare) is not None
                            or re.match(r"^/api/action-plan/group-plans/[^/]+/checks", route.bare) is not None
                        )
                    )
                    if refused and host_hospital is not None:
                        refused_ids[host_hospital.tenant_id].append(correlation)
                        cells[correlation] = f"{route.name} {principal} {side} {obj}"
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
        missing = [cells[c] for c in correlations if c not in logged]
        assert not missing, (
            f"{len(missing)} of {len(correlations)} refusals in {tenant_id} are not audited:\n"
            + ("\n".join(missing[:40]))
        )
    print(json.dumps({"cases": len(rows), "refusals_audited": sum(len(c) for c in refused_ids.values())}))


# -- every route is in the matrix, or said here why not ----------------------------------------------

# Routes anyone may call, or whose rules are tested where they live; each with its reason. A route
# neither in ROUTES nor here fails `test_every_route_is_in_the_matrix`.
NOT_IN_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "public document",
    ("GET", "/healthz"): "probe, no data",
    ("GET", "/readyz"): "probe, no data",
    ("GET", "/metrics"): "probe, no tenant data (the network policy admits Prometheus only)",
    ("GET", "/.well-known/jwks.json"): "public keys",
    ("GET", "/verklaring/{}"): (
        "a declaration's public verification: anyone, signed in or not, by its code only (no role, no"
        " object of the hospital's): test_declaration_signing.py (name, day and facilitator only,"
        " 404 page, guessing limited)"
    ),
    ("GET", "/static/{}"): "the stylesheet and script",
    ("GET", "/"): "the start address: a redirect to the sign-in form or the start page",
    ("GET", "/taal"): "the language switch (a cookie)",
    ("GET", "/inloggen"): "sign-in form (test_signin.py)",
    ("POST", "/inloggen"): "sign-in (test_signin.py)",
    ("POST", "/uitloggen"): "sign-out of one's own session (test_signin.py)",
    ("POST", "/auth/login"): "sign-in (test_signin.py)",
    ("POST", "/auth/logout"): "one's own session (test_signin.py)",
    ("POST", "/auth/logout-everywhere"): "one's own sessions (test_signin.py)",
    ("GET", "/auth/session"): "one's own session (test_signin.py)",
    ("PUT", "/auth/language"): "one's own language (test_signin.py)",
    ("POST", "/auth/api-tokens"): "one's own API tokens (test_signin.py)",
    ("DELETE", "/auth/api-tokens/{}"): "one's own API tokens (test_signin.py)",
    ("POST", "/auth/email-verification"): "a token from the mail (test_signin.py)",
    ("POST", "/auth/password-reset"): "anyone, answers the same for every address (test_signin.py)",
    ("POST", "/auth/password-reset/confirm"): "a token from the mail (test_signin.py)",
    ("GET", "/auth/oidc/login"): "the identity provider's sign-in (test_oidc.py)",
    ("GET", "/auth/oidc/callback"): "the identity provider's answer (test_oidc.py)",
    ("POST", "/auth/oidc/sign"): (
        "starts a re-authentication at the hospital's identity provider to sign a declaration (the"
        " matrix's hospitals have none: 404 for everyone); who may start it (only a facilitator signed"
        " in by the provider, with the CSRF token; not a specialist, a password session, nobody or"
        " another hospital's session) and its return: test_oidc_signing.py; the signing itself is the"
        " accreditation service's sign route, in the matrix"
    ),
    ("GET", "/account/verifieren"): "a token from the mail (test_web_pages.py)",
    ("POST", "/account/verifieren"): "a token from the mail (test_web_pages.py)",
    ("GET", "/account/nieuw-wachtwoord"): "a token from the mail (test_web_pages.py)",
    ("POST", "/account/nieuw-wachtwoord"): "a token from the mail (test_web_pages.py)",
    ("GET", "/account/wachtwoord-vergeten"): "anyone (test_web_pages.py)",
    ("POST", "/account/wachtwoord-vergeten"): "anyone, answers the same for every address",
    ("GET", "/e/{}"): "a respondent's link (test_respondents.py: guessing, expiry, rate limits)",
    ("GET", "/e/{}/afmelden"): "a respondent's link (test_respondents.py)",
    ("POST", "/e/{}/afmelden"): "a respondent's link (test_respondents.py)",
    ("PUT", "/respondent/draft"): "the link session's own answers (test_respondents.py)",
    ("POST", "/respondent/submit"): "the link session's own answers (test_respondents.py)",
    ("GET", "/vragenlijst"): "the link session's own questionnaire (test_web_ifms.py)",
    ("POST", "/vragenlijst"): "the link session's own questionnaire (test_web_ifms.py)",
    ("GET", "/bedankt"): "the link session's thank-you page",
    (
        "GET",
        "/a/{}",
    ): "a discussion's personal check-in link (test_checkin_links.py: own person and session only)",
    ("POST", "/respondent/checkin"): "the check-in link session's own check-in (test_checkin_links.py)",
    ("GET", "/aanmelden-met-link"): "the check-in link session's own page (test_checkin_links.py)",
    ("POST", "/aanmelden-met-link"): "the check-in link session's own check-in (test_checkin_links.py)",
}
# The forwarding to the domain services: one representative route per service is in ROUTES (the
# services' own rules are tested in their suites).
FORWARDED = ("/api/{}/{}",)
# Routes not yet in the matrix, each with the reason. This list may only shrink.
KNOWN_GAPS = {
    # Sending a nominee's invitation again needs an invitation: the deployment runs the invitation
    # service's API without its consumer, so no round is opened there and no nominee invited (its
    # rules are tested in services/invitation/tests/test_reminders_and_progress.py).
    ("POST", "/rondes/{}/uitnodigingen/{}/opnieuw"),
}


def _shape(path: str) -> str:
    """A path with every parameter (and the spare hospital's id) as {}, without its query."""
    path = path.split("?", 1)[0].replace(SPARE, "{}")
    return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))


def _served(routes: Any, prefix: str = "") -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # an included router (FastAPI keeps it whole)
            found |= _served(inner.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            found |= {(m, _shape(prefix + route.path)) for m in route.methods - {"HEAD"}}
    return found


def test_every_route_is_in_the_matrix(tmp_path: Path) -> None:
    """Every route the gateway and the web pages serve is a line of ROUTES, or named above with the
    reason it is not: a new route left out of the matrix fails here (no servers needed)."""
    from spiegel_gateway.definition import DEFINITION
    from spiegel_gateway.settings import GatewaySettings
    from spiegel_platform.auth.service_tokens import SigningKey
    from spiegel_platform.service import Runtime, build_api
    from spiegel_web import pages

    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(SigningKey.generate().private_pem)
    settings = GatewaySettings(
        mongodb_url="mongodb://x",
        kafka_bootstrap_servers="x:1",
        spiegel_env="test",
        service_token_signing_key_file=str(key_file),
    )
    served = _served(build_api(Runtime(DEFINITION, settings)).router.routes) | _served(pages.router().routes)
    # "/mensen/sjabloon.{kind}": a parameter inside a segment
    served = {(m, p.replace("sjabloon.{kind}", "sjabloon.xlsx")) for m, p in served}
    in_matrix = {(r.method, _shape(r.path)) for r in ROUTES}
    missing = sorted(
        (m, p)
        for m, p in served - in_matrix
        if (m, p) not in NOT_IN_MATRIX and (m, p) not in KNOWN_GAPS and p not in FORWARDED
    )
    assert not missing, "routes in no line of the matrix (add a Route, or say why not):\n" + "\n".join(
        f"{m} {p}" for m, p in missing
    )
    stale = sorted((set(NOT_IN_MATRIX) | KNOWN_GAPS) - served)
    assert not stale, f"named but no longer served: {stale}"
    covered_gaps = sorted(KNOWN_GAPS & in_matrix)
    assert not covered_gaps, f"in the matrix now: take them out of KNOWN_GAPS: {covered_gaps}"
