"""What the aggregation service stores, consumes, publishes and serves: declared here, built in wiring.py."""

from __future__ import annotations

from collections.abc import Mapping

from spiegel_platform.events import Handler
from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ConsumerSpec, ServiceDefinition
from spiegel_platform.storage.repository import IndexSpec

from spiegel_aggregation.discussions import api as discussions_api
from spiegel_aggregation.discussions import handlers as session_handlers
from spiegel_aggregation.instruments import handlers as instrument_handlers
from spiegel_aggregation.instruments.adapter import EVENT_TYPE as INSTRUMENT_EVENT
from spiegel_aggregation.norms import api as norms_api
from spiegel_aggregation.reports import api as reports_api
from spiegel_aggregation.reports import readers
from spiegel_aggregation.reports.overdue import overdue_loop
from spiegel_aggregation.responses import handlers as response_handlers
from spiegel_aggregation.rounds import handlers as round_handlers
from spiegel_aggregation.settings import AggregationRuntime, AggregationSettings
from spiegel_aggregation.storage import Store
from spiegel_aggregation.tenants import handlers as tenant_handlers

INPUT_EVENTS = [
    "spiegel.survey.v1.RoundOpened",
    "spiegel.survey.v1.RoundExtended",
    "spiegel.survey.v1.RoundClosed",
    "spiegel.survey.v1.ResponseRecorded",
    "spiegel.invitation.v1.AssignmentIssued",
    "spiegel.invitation.v1.AssignmentWithdrawn",
    "spiegel.gateway.v1.TenantConfigured",
]
# The survey's instrument event is consumed as soon as its contract exists (see instruments/adapter.py).
if instrument_handlers.instrument_event_available():
    INPUT_EVENTS.append(INSTRUMENT_EVENT)


def input_handlers(runtime: AggregationRuntime) -> Mapping[str, Handler]:
    found: dict[str, Handler] = {}
    found.update(round_handlers.handlers(runtime))
    found.update(tenant_handlers.handlers(runtime))
    if INSTRUMENT_EVENT in INPUT_EVENTS:
        found.update(instrument_handlers.handlers(runtime))
    return found


DEFINITION = ServiceDefinition(
    name="aggregation",
    title="Spiegel aggregation service",
    description="Anonymous projections of responses per round and respondent group, and the reports.",
    settings_class=AggregationSettings,
    outbox_collections=[Store.reports.name],
    indexes={
        Store.sessions.name: [IndexSpec([("facilitator_ids", 1)])],
        Store.pending.name: [IndexSpec([("due_at", 1)])],
    },
    routers=lambda runtime: [
        reports_api.router(runtime),
        discussions_api.router(runtime),
        norms_api.router(runtime),
    ],
    consumers=[
        # One group for everything that feeds projections: a round's events (same key) stay in
        # order per topic; responses are applied a run at a time (one write per round).
        ConsumerSpec(
            group_id="aggregation.projections",
            handlers=input_handlers,
            batch_handlers=lambda runtime: {
                **response_handlers.batch_handlers(runtime),
                **round_handlers.batch_handlers(runtime),
            },
            topics=topics_of(*INPUT_EVENTS),
        ),
        # Our own ReportPublished: "mijn rapportages" and norm contributions.
        ConsumerSpec(
            group_id="aggregation.readers",
            batch_handlers=readers.batch_handlers,
            topics=topics_of(readers.EVENT_TYPE),
        ),
        # The accreditation's sessions: which rounds a facilitator prepares (the latest version).
        ConsumerSpec(
            group_id="aggregation.sessions",
            handlers=session_handlers.handlers,
            topics=topics_of(*session_handlers.EVENTS),
        ),
    ],
    produces_topics=topics_of("spiegel.aggregation.v1.ReportPublished"),
    background=[overdue_loop],
    openapi_tags=[
        {"name": "reports", "description": "Rapportages: JSON, pagina, PDF, versies, mijn rapportages"},
        {
            "name": "discussion sessions",
            "description": "Voorbereiding van een groepsbespreking voor de gespreksleider",
        },
        {"name": "norms", "description": "Normen delen tussen ziekenhuizen"},
    ],
)
