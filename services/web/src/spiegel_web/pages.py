"""Every page route of the web service, and the static files."""

from __future__ import annotations

from fastapi import APIRouter
from spiegel_pages.look import static_router

from spiegel_web import (
    board,
    checkin,
    dashboard,
    declarations,
    development_plan,
    discussions,
    gaia,
    group_plans,
    groups,
    imports,
    nominations,
    notes,
    operator,
    people,
    people_import,
    plan_checks,
    planning,
    pop_completion,
    reports,
    respondent,
    rounds,
    settings_page,
)


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)
    # people_import before people: /mensen/importeren is not a person's id.
    modules = (
        respondent,
        dashboard,
        nominations,
        reports,
        discussions,
        planning,  # after discussions: /groepsbesprekingen/mijn is not a session's id
        development_plan,
        pop_completion,
        group_plans,
        rounds,
        groups,
        imports,
        settings_page,
        operator,
        people_import,
        people,
        checkin,
        gaia,
        notes,
        declarations,
        plan_checks,
        board,
    )
    for module in modules:
        api.include_router(module.router())
    api.include_router(static_router())
    return api
