"""What the action-plan service stores, consumes, publishes and serves: declared here, built in
wiring.py."""

from __future__ import annotations

from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ConsumerSpec, ServiceDefinition
from spiegel_platform.storage.repository import IndexSpec

from spiegel_action_plan.board import api as board_api
from spiegel_action_plan.checks import api as checks_api
from spiegel_action_plan.checks import handlers as check_handlers
from spiegel_action_plan.checks import scheduler as check_scheduler
from spiegel_action_plan.group_plans import api as group_plans_api
from spiegel_action_plan.groups import handlers as group_handlers
from spiegel_action_plan.people import handlers as people_handlers
from spiegel_action_plan.pops import api as pops_api
from spiegel_action_plan.pops import rotation
from spiegel_action_plan.rounds import api as rounds_api
from spiegel_action_plan.rounds import handlers as round_handlers
from spiegel_action_plan.sessions import handlers as session_handlers
from spiegel_action_plan.settings import ActionPlanSettings
from spiegel_action_plan.storage import Store

PRODUCED = [
    "spiegel.action_plan.v1.PersonalPlanStarted",
    "spiegel.action_plan.v1.PersonalPlanCompleted",
    "spiegel.action_plan.v1.GroupPlanChanged",
    "spiegel.action_plan.v1.GroupPlanAdopted",
    "spiegel.action_plan.v1.GroupPlanClosed",
    "spiegel.action_plan.v1.GroupPlanCheckDue",
    "spiegel.action_plan.v1.GroupPlanCheckCompleted",
    "spiegel.action_plan.v1.BoardProgressOverviewDue",
]

DEFINITION = ServiceDefinition(
    name="action-plan",
    title="Spiegel action-plan service",
    description=(
        "Personal development plans (POP): encrypted at rest, for their owner only; the groups' action"
        " plans (plan van aanpak) after a Groepsmonitor, for the group's members."
    ),
    settings_class=ActionPlanSettings,
    outbox_collections=[
        Store.pops.name,
        Store.group_plans.name,
        Store.plan_checks.name,
        Store.board_overviews.name,
    ],
    indexes={
        Store.pops.name: [IndexSpec([("owner_id", 1)]), IndexSpec([("state", 1)])],
        Store.data_keys.name: [IndexSpec([("kek_id", 1)])],
        Store.group_plans.name: [
            IndexSpec([("group_id", 1)]),
            IndexSpec([("status", 1)]),
            IndexSpec([("status", 1), ("next_check_at", 1)]),
        ],
        Store.plan_checks.name: [
            IndexSpec([("plan_id", 1)]),
            IndexSpec([("state", 1), ("next_reminder_at", 1)]),
        ],
        Store.sessions.name: [IndexSpec([("group_id", 1)])],
    },
    routers=lambda runtime: [
        pops_api.router(runtime),
        rounds_api.router(runtime),
        group_plans_api.router(runtime),
        checks_api.router(runtime),
        checks_api.settings_router(runtime),
        board_api.router(runtime),
    ],
    consumers=[
        # The survey's round events: which IFMS rounds exist and whose they are.
        ConsumerSpec(
            group_id="action-plan.rounds",
            handlers=round_handlers.handlers,
            topics=topics_of(*round_handlers.EVENTS),
        ),
        # The gateway's groups: who may read and edit a group's action plan.
        ConsumerSpec(
            group_id="action-plan.groups",
            handlers=group_handlers.handlers,
            topics=topics_of(*group_handlers.EVENTS),
        ),
        # The gateway's hospital settings: the time zone of the checks' local due moments.
        ConsumerSpec(
            group_id="action-plan.tenants",
            handlers=check_handlers.handlers,
            topics=topics_of(*check_handlers.EVENTS),
        ),
        # The accreditation's Groepsmonitor sessions: which facilitator may edit a group's plan, when.
        ConsumerSpec(
            group_id="action-plan.sessions",
            handlers=session_handlers.handlers,
            topics=topics_of(*session_handlers.EVENTS),
        ),
        # The gateway's people: the display names shown with a group plan to those who may read it.
        ConsumerSpec(
            group_id="action-plan.people",
            handlers=people_handlers.handlers,
            topics=topics_of(*people_handlers.EVENTS),
        ),
    ],
    produces_topics=topics_of(*PRODUCED),
    background=[rotation.rewrap_periodically, check_scheduler.run],
    openapi_tags=[
        {"name": "pops", "description": "Persoonlijk ontwikkelplan (POP): alleen voor de eigenaar"},
        {
            "name": "group-plans",
            "description": "Plan van aanpak van een groep na de Groepsmonitor: voor de leden",
        },
        {"name": "completion", "description": "POP afgerond ja/nee per specialist en ronde (coördinator)"},
        {
            "name": "checks",
            "description": "De controle van een groepsplan na 6 maanden (de leden van de groep)",
        },
    ],
)
