"""What the invitation service stores, publishes, consumes, serves and runs in the background.

Declared here; the parts (stores, link-token codec, mailer) are built in wiring.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel_platform.events import Handler
from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ConsumerSpec, ServiceDefinition

from spiegel_invitation.discussions import api as discussions_api
from spiegel_invitation.discussions import followup as checkin_followup
from spiegel_invitation.discussions import handlers as discussion_handlers
from spiegel_invitation.discussions import scheduler as discussion_scheduler
from spiegel_invitation.gaia import handlers as gaia_handlers
from spiegel_invitation.mail import sending
from spiegel_invitation.nominations import api as nominations_api
from spiegel_invitation.notes import handlers as notes_handlers
from spiegel_invitation.people import api as people_api
from spiegel_invitation.people import directory
from spiegel_invitation.plan_checks import handlers as plan_check_handlers
from spiegel_invitation.reminders import scheduler
from spiegel_invitation.reports import handlers as report_handlers
from spiegel_invitation.rounds import api as rounds_api
from spiegel_invitation.rounds import handlers as round_handlers
from spiegel_invitation.rounds import issuer
from spiegel_invitation.settings import InvitationRuntime, InvitationSettings
from spiegel_invitation.storage import Store
from spiegel_invitation.todo import api as todo_api


def _directory(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    return directory.handlers(runtime)


DEFINITION = ServiceDefinition(
    name="invitation",
    title="Spiegel invitation service",
    description=(
        "Who is asked: nominations and spreadsheet imports, personal links (announced without identity), "
        "every e-mail the platform sends (invitations, reminders, report ready, group discussions with "
        "their calendar files, a facilitator's notes released or due, GAIA registration due), "
        "progress and to-do lists."
    ),
    settings_class=InvitationSettings,
    outbox_collections=[Store.assignments.name, Store.checkin_links.name],
    routers=lambda runtime: [
        rounds_api.router(runtime),
        nominations_api.router(runtime),
        people_api.router(runtime),
        todo_api.router(runtime),
        discussions_api.router(runtime),
    ],
    consumers=[
        ConsumerSpec(
            group_id="invitation.rounds",
            handlers=round_handlers.handlers,
            topics=topics_of("spiegel.survey.v1.RoundOpened", "spiegel.survey.v1.AssignmentCompleted"),
        ),
        ConsumerSpec(
            group_id="invitation.reports",
            handlers=report_handlers.handlers,
            topics=topics_of("spiegel.aggregation.v1.ReportPublished"),
        ),
        ConsumerSpec(
            group_id="invitation.discussions",
            handlers=discussion_handlers.handlers,
            topics=topics_of(*discussion_handlers.EVENTS),
        ),
        ConsumerSpec(
            group_id="invitation.notes",
            handlers=notes_handlers.handlers,
            topics=topics_of(*notes_handlers.EVENTS),
        ),
        # A group action plan's check due or still open: a mail to each recipient.
        ConsumerSpec(
            group_id="invitation.plan_checks",
            handlers=plan_check_handlers.handlers,
            topics=topics_of(*plan_check_handlers.EVENTS),
        ),
        ConsumerSpec(
            group_id="invitation.gaia",
            handlers=gaia_handlers.handlers,
            topics=topics_of(*gaia_handlers.EVENTS),
        ),
        ConsumerSpec(
            group_id="invitation.checkin",
            handlers=checkin_followup.handlers,
            topics=topics_of(*checkin_followup.EVENTS),
        ),
        ConsumerSpec(
            group_id="invitation.directory",
            handlers=_directory,
            topics=topics_of("spiegel.gateway.v1.PersonRegistered", "spiegel.gateway.v1.TenantConfigured"),
        ),
    ],
    produces_topics=topics_of(
        "spiegel.invitation.v1.AssignmentIssued", "spiegel.invitation.v1.CheckInLinkIssued"
    ),
    background=[issuer.run, sending.run, scheduler.run, discussion_scheduler.run],
    openapi_tags=[
        {"name": "rounds", "description": "Round setup, progress, reminders, rater fatigue"},
        {"name": "nominations", "description": "Nominations, spreadsheet template and import"},
        {"name": "people", "description": "The directory of people; tenant settings"},
        {"name": "to-do", "description": "A person's dashboard; the reminder opt-out link"},
    ],
)
