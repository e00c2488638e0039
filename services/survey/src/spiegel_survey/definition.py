"""What the survey service stores, publishes, consumes and serves: declared here, built in wiring.py."""

from __future__ import annotations

from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ConsumerSpec, ServiceDefinition

from spiegel_survey.assignments import api as assignments_api
from spiegel_survey.assignments import handlers as assignment_handlers
from spiegel_survey.instruments import api as instruments_api
from spiegel_survey.platform import api as platform_api
from spiegel_survey.responses import api as questionnaires_api
from spiegel_survey.responses.submission import repair_job
from spiegel_survey.rounds import api as rounds_api
from spiegel_survey.rounds import schedule
from spiegel_survey.settings import SurveySettings
from spiegel_survey.storage import OUTBOX_COLLECTIONS
from spiegel_survey.tenants import handlers as tenant_handlers

PRODUCED = (
    "spiegel.survey.v1.RoundCreated",
    "spiegel.survey.v1.RoundOpened",
    "spiegel.survey.v1.RoundExtended",
    "spiegel.survey.v1.RoundClosed",
    "spiegel.survey.v1.AssignmentCompleted",
    "spiegel.survey.v1.ResponseRecorded",
    "spiegel.survey.v1.InstrumentPublished",
)

DEFINITION = ServiceDefinition(
    name="survey",
    title="Spiegel survey service",
    description=(
        "Instruments (versioned questionnaires), evaluation rounds (IFMS and Groepsmonitor) and responses "
        "by personal link. Identity and answers never travel together: AssignmentCompleted says which "
        "assignment finished, ResponseRecorded carries the answers with the respondent group only."
    ),
    settings_class=SurveySettings,
    outbox_collections=list(OUTBOX_COLLECTIONS),
    indexes={},
    routers=lambda runtime: [
        instruments_api.router(runtime),
        rounds_api.router(runtime),
        assignments_api.router(runtime),
        questionnaires_api.router(runtime),
        platform_api.router(runtime),
    ],
    consumers=[
        ConsumerSpec(
            group_id="survey.assignments",
            handlers=assignment_handlers.handlers,
            topics=topics_of("spiegel.invitation.v1.AssignmentIssued"),
        ),
        ConsumerSpec(
            group_id="survey.tenants",
            handlers=tenant_handlers.handlers,
            topics=topics_of("spiegel.gateway.v1.TenantConfigured"),
        ),
        # The service's own round and completion events: the closing schedule and progress.
        ConsumerSpec(
            group_id="survey.schedule",
            handlers=schedule.handlers,
            topics=topics_of("spiegel.survey.v1.RoundOpened", "spiegel.survey.v1.AssignmentCompleted"),
        ),
    ],
    produces_topics=topics_of(*PRODUCED),
    background=[schedule.closing_job, repair_job],
    openapi_tags=[
        {"name": "instruments", "description": "Versioned questionnaires: built-in and the tenant's own."},
        {"name": "rounds", "description": "IFMS and Groepsmonitor rounds: draft → open → closed."},
        {
            "name": "assignments",
            "description": "Links for tests and demos (normally: the invitation service).",
        },
        {"name": "questionnaires", "description": "The respondent's questionnaire by personal link."},
        {
            "name": "platform",
            "description": "Numbers across hospitals for operators (no hospital data).",
        },
    ],
)
