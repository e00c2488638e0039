""" "Ontwikkelplannen": the coordinator's yes/no per specialist and IFMS round, whether the POP is
complete (the IFMS is finished when it is).

The action-plan service's `GET /completion` answers that and nothing else (no content, not even
whether a POP was started); this page adds the people's names (the gateway's `/people`) and the
rounds' titles (the survey's `/rounds`). Coordinators and tenant admins only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, page_of


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/ontwikkelplannen")
    async def overview(request: Request) -> Response:
        page = await page_of(request)
        page.require(*COORDINATING)
        rows: list[dict[str, Any]] = await page.data("action-plan", "GET", "/completion")
        people = {p["person_id"]: p for p in await page.data("gateway", "GET", "/people")}
        found = await page.data("survey", "GET", "/rounds", query={"limit": 200})
        rounds = {r["id"]: r for r in (found or {}).get("items", [])}
        shown = []
        for row in rows:
            r = rounds.get(row["round_id"], {})
            person = people.get(row["person_id"], {})
            name = person.get("display_name") or (r.get("subject") or {}).get("display_name") or ""
            shown.append(
                {
                    "name": str(name) or row["person_id"],
                    "round_id": row["round_id"],
                    "title": str(r.get("title") or row["round_id"]),
                    "state": str(r.get("state") or ""),
                    "complete": bool(row["pop_complete"]),
                }
            )
        shown.sort(key=lambda s: (s["complete"], s["name"].lower(), s["title"].lower()))
        done = sum(1 for s in shown if s["complete"])
        return page.render("pop_completion.html", rows=shown, done=done)

    return api
