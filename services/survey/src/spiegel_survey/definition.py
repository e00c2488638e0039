"""The survey service's wiring: what it stores, publishes, consumes and serves."""

from __future__ import annotations

from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ServiceDefinition
from spiegel_platform.storage.repository import IndexSpec

from spiegel_survey.rounds import api as rounds_api
from spiegel_survey.settings import SurveySettings

DEFINITION = ServiceDefinition(
    name="survey",
    title="Spiegel survey service",
    description="Instruments, evaluation rounds (IFMS and Groepsmonitor) and responses.",
    settings_class=SurveySettings,
    outbox_collections=["rounds"],
    indexes={"rounds": [IndexSpec([("status", 1)])]},
    routers=lambda runtime: [rounds_api.router(runtime)],
    produces_topics=topics_of(
        "spiegel.survey.v1.RoundOpened",
        "spiegel.survey.v1.AssignmentCompleted",
        "spiegel.survey.v1.ResponseRecorded",
    ),
)
