"""A signed-in person's dashboard ("te doen", "mijn rapportages en evaluaties") and the opt-out link.

Matching: the person id of the service token (the self-evaluation, reports)
and the e-mail address in its claims or in the directory (requests to evaluate
others, which were addressed by e-mail). Links in the to-do list are the same
personal links as in the e-mails, opened from their sealed copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_invitation.access import Respondent, SignedIn
from spiegel_invitation.mail.tokens import optout_path, questionnaire_path
from spiegel_invitation.nominations.service import RoundCache
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store, email_inbox_id, person_inbox_id
from spiegel_invitation.wiring import Invitation

Document = dict[str, Any]


async def _inbox(store: Store, principal: Principal) -> tuple[dict[str, Document], dict[str, Document]]:
    ids = [person_inbox_id(principal.subject)]
    emails = {str(principal.claims.get("email") or "").strip().lower()}
    person = await store.people.get(principal.subject)
    if person and person.get("email"):
        emails.add(person["email"].strip().lower())
    ids += [email_inbox_id(e) for e in emails if e]
    items: dict[str, Document] = {}
    reports: dict[str, Document] = {}
    for inbox_id in ids:
        inbox = await store.inboxes.get(inbox_id) or {}
        items.update(inbox.get("items") or {})
        reports.update(inbox.get("reports") or {})
    return items, reports


def router(runtime: InvitationRuntime) -> APIRouter:
    api = APIRouter(tags=["to-do"])
    wiring = Invitation.of(runtime)
    stores, tokens = wiring.stores, wiring.link_tokens

    async def entries(principal: Principal) -> tuple[list[Document], list[Document], list[Document]]:
        store = stores.tenant(principal.tenant_id)
        items, reports = await _inbox(store, principal)
        cache = RoundCache(store)
        todo, past = [], []
        now = datetime.now(UTC)
        for aid, item in items.items():
            view = await cache.view(item["round_id"])
            if view is None:
                continue
            entry = view["entries"].get(aid)
            if entry is not None and entry.get("status", "active") != "active":
                continue
            assignment = await store.assignments.get(aid)
            done = aid in await cache.completed(item["round_id"])
            closes_at = view.get("closes_at")
            row = {
                "assignment_id": aid,
                "round_id": item["round_id"],
                "round_title": view.get("title", ""),
                "subject_name": view.get("subject_name", ""),
                "kind": "self" if item.get("role") == "self" else "respondent",
                "group": item.get("group"),
                "closes_at": closes_at,
            }
            is_open = view["status"] == "open" and (closes_at is None or closes_at > now)
            if assignment is not None and not assignment.get("withdrawn_at") and is_open and not done:
                token = tokens.open(assignment["token_sealed"], assignment["token_hash"])
                todo.append({**row, "link_path": questionnaire_path(token)})
            elif done or view["status"] == "closed":
                past.append({**row, "completed": done})
        todo.sort(key=lambda r: (r["kind"] != "self", r["closes_at"] or now))
        published = sorted(reports.values(), key=lambda r: r.get("published_at") or now, reverse=True)
        return todo, past, published

    @api.get("/me/todo")
    async def my_todo(principal: SignedIn) -> Document:
        """ "Te doen": the own self-evaluation first, then every open request to evaluate others."""
        todo, _, _ = await entries(principal)
        return {"items": todo}

    @api.get("/me/history")
    async def my_history(principal: SignedIn) -> Document:
        """ "Mijn rapportages en evaluaties": reports published for me, and past evaluations."""
        _, past, published = await entries(principal)
        return {"reports": published, "evaluations": past}

    async def link_assignment(principal: Principal) -> tuple[Store, Document]:
        if not principal.subject.startswith("link:"):
            raise ApiError(403, "personal_link_only")
        store = stores.tenant(principal.tenant_id)
        link = await store.links.get(principal.subject.removeprefix("link:"))
        assignment = await store.assignments.get(link["assignment_id"]) if link else None
        if assignment is None:
            raise ApiError(404, "link_unknown")
        return store, assignment

    async def optout_state(store: Store, assignment: Document) -> Document:
        view = await RoundCache(store).view(assignment["round_id"]) or {}
        return {
            "round_title": view.get("title", ""),
            "subject_name": view.get("subject_name", ""),
            "opted_out": bool(assignment.get("opted_out_at")),
            "opted_out_at": assignment.get("opted_out_at"),
            "path": optout_path("{token}"),
        }

    @api.get("/optout")
    async def get_optout(principal: Respondent) -> Document:
        """For the page behind {base}/e/{token}/afmelden (the gateway calls with role respondent)."""
        store, assignment = await link_assignment(principal)
        return await optout_state(store, assignment)

    @api.post("/optout")
    async def post_optout(principal: Respondent) -> Document:
        """One click, no login: no more reminders for this round (the link itself keeps working)."""
        store, assignment = await link_assignment(principal)
        if not assignment.get("opted_out_at"):
            await store.assignments.update(assignment["id"], {"$set": {"opted_out_at": datetime.now(UTC)}})
            assignment = await store.assignments.get(assignment["id"]) or assignment
        return await optout_state(store, assignment)

    return api
