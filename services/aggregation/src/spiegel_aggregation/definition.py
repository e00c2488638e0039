"""The aggregation service's wiring."""

from __future__ import annotations

from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ConsumerSpec, ServiceDefinition

from spiegel_aggregation.rounds import handlers as round_handlers
from spiegel_aggregation.settings import AggregationSettings

DEFINITION = ServiceDefinition(
    name="aggregation",
    title="Spiegel aggregation service",
    description="Anonymous projections of responses per round and respondent group, and the reports.",
    settings_class=AggregationSettings,
    consumers=[
        ConsumerSpec(
            group_id="aggregation.rounds",
            handlers=round_handlers.handlers,
            topics=topics_of("spiegel.survey.v1.RoundOpened"),
        )
    ],
)
