"""What the accreditation service stores, consumes, publishes and serves: declared here, built in
wiring.py."""

from __future__ import annotations

from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ConsumerSpec, ServiceDefinition
from spiegel_platform.storage.repository import IndexSpec

from spiegel_accreditation.attendance import api as attendance_api
from spiegel_accreditation.attendance import followups as checkin_followups
from spiegel_accreditation.attendance import handlers as checkin_link_handlers
from spiegel_accreditation.declarations import api as declarations_api
from spiegel_accreditation.gaia import api as gaia_api
from spiegel_accreditation.gaia import reminders as gaia_reminders
from spiegel_accreditation.notes import api as notes_api
from spiegel_accreditation.notes import reminders as notes_reminders
from spiegel_accreditation.people import handlers as people_handlers
from spiegel_accreditation.rounds import api as rounds_api
from spiegel_accreditation.rounds import handlers as round_handlers
from spiegel_accreditation.sessions import api as sessions_api
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Store
from spiegel_accreditation.themes import api as themes_api

PRODUCED = [
    "spiegel.accreditation.v1.SessionPlanned",
    "spiegel.accreditation.v1.SessionChanged",
    "spiegel.accreditation.v1.SessionCancelled",
    "spiegel.accreditation.v1.AttendanceRecorded",
    "spiegel.accreditation.v1.CheckInFollowUpDue",
    "spiegel.accreditation.v1.GaiaRegistrationDue",
    "spiegel.accreditation.v1.NotesReleased",
    "spiegel.accreditation.v1.NotesOverdue",
    "spiegel.accreditation.v1.DeclarationSigned",
]

DEFINITION = ServiceDefinition(
    name="accreditation",
    title="Spiegel accreditation service",
    description=(
        "Group discussions (groepsbesprekingen): planning, splitting, participants and facilitators;"
        " check-in with the BIG number, attendance and the meeting's evaluation; themes chosen beforehand;"
        " accreditation in GAIA (attendance exports, registration status, deadlines);"
        " the facilitator's notes per participant; RGS declarations, signed and verifiable."
    ),
    settings_class=AccreditationSettings,
    outbox_collections=[
        Store.sessions.name,
        Store.attendance.name,
        Store.gaia_reminders.name,
        Store.checkin_followups.name,
        Store.notes.name,
        Store.notes_reminders.name,
        Store.declarations.name,
    ],
    indexes={
        Store.sessions.name: [
            IndexSpec([("facilitator_ids", 1)]),
            IndexSpec([("participant_ids", 1)]),
        ],
        Store.evaluations.name: [IndexSpec([("session_id", 1)])],
        Store.notes.name: [IndexSpec([("person_id", 1)])],
        Store.declarations.name: [IndexSpec([("person_id", 1)])],
    },
    routers=lambda runtime: [
        sessions_api.router(runtime),
        attendance_api.router(runtime),
        attendance_api.links_router(runtime),
        themes_api.router(runtime),
        gaia_api.router(runtime),
        notes_api.router(runtime),
        declarations_api.router(runtime),
        rounds_api.router(runtime),
    ],
    consumers=[
        # The survey's round events: which rounds exist and which have closed.
        ConsumerSpec(
            group_id="accreditation.rounds",
            handlers=round_handlers.handlers,
            topics=topics_of(*round_handlers.EVENTS),
        ),
        # The gateway's people and hospitals: names, specialism, employment, the hospital's slug.
        ConsumerSpec(
            group_id="accreditation.people",
            handlers=people_handlers.handlers,
            topics=topics_of(*people_handlers.EVENTS),
        ),
        # The invitation service's personal check-in links (their hashes) of the follow-up mail.
        ConsumerSpec(
            group_id="accreditation.checkin-links",
            handlers=checkin_link_handlers.handlers,
            topics=topics_of(*checkin_link_handlers.EVENTS),
        ),
    ],
    produces_topics=topics_of(*PRODUCED),
    # The reminder before a session's GAIA deadline (once per session and deadline), and notes past
    # their due date: NotesOverdue once per session (the facilitators are reminded).
    # After a session: one CheckInFollowUpDue for those who did not check in (a link by mail).
    background=[gaia_reminders.remind_loop, notes_reminders.run, checkin_followups.run],
    openapi_tags=[
        {"name": "sessions", "description": "Groepsbesprekingen: plannen, splitsen, wijzigen, annuleren"},
        {"name": "attendance", "description": "Aanmelden met het BIG-nummer, aanwezigheid, evaluatie"},
        {
            "name": "gaia",
            "description": "Accreditatie in GAIA: activiteit, presentie-exports, registratiestatus",
        },
        {"name": "themes", "description": "Thema's die een deelnemer vooraf kiest"},
        {"name": "notes", "description": "Gespreksverslagen per deelnemer: concept, vrijgeven, lezen"},
        {"name": "declarations", "description": "RGS-verklaringen: ondertekenen, pdf, controleren"},
        {"name": "rounds", "description": "Gesloten rondes die in een groepsbespreking kunnen"},
    ],
)
