"""Nominations: checking, saving, withdrawing; and how many open requests a person has."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.nominations.validation import (
    Context,
    RowIn,
    RowResult,
    already_nominated,
    group_label,
    group_warnings,
    normalise_email,
)
from spiegel_invitation.rounds.issuing import add_to_inboxes, issue, withdrawn_event
from spiegel_invitation.rounds.model import periods_overlap
from spiegel_invitation.rounds.views import active_entries, merge_view, round_view
from spiegel_invitation.storage import Store, email_inbox_id

Document = dict[str, Any]
DEFAULT_FATIGUE_LIMIT = 8
# A claim on an address whose nomination never reached the roster (the process died in
# between) is taken over after this long; its nomination is then saved under its id.
ABANDONED_CLAIM = timedelta(minutes=1)


class RoundCache:
    """Round views read once per request (fatigue counting touches many rounds)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._views: dict[str, Document | None] = {}
        self._progress: dict[str, Document] = {}

    async def view(self, round_id: str) -> Document | None:
        if round_id not in self._views:
            self._views[round_id] = await round_view(self.store, round_id)
        return self._views[round_id]

    async def completed(self, round_id: str) -> dict[str, Any]:
        if round_id not in self._progress:
            self._progress[round_id] = await self.store.progress.get(round_id) or {}
        return dict(self._progress[round_id].get("completed") or {})


async def fatigue_limit(store: Store) -> int:
    tenant = await store.tenants.get(store.tenant_id) or {}
    return int(tenant.get("fatigue_limit") or DEFAULT_FATIGUE_LIMIT)


async def open_requests(
    store: Store, emails: Sequence[str], period: Document, cache: RoundCache, *, exclude_round: str = ""
) -> dict[str, int]:
    """Per e-mail address: open requests (nominated or invited, not done) in rounds overlapping `period`."""
    semaphore = asyncio.Semaphore(16)
    counts: dict[str, int] = {}
    start, end = period.get("opens_at"), period.get("closes_at")

    wanted = sorted({normalise_email(e) for e in emails if e})
    prefetched: dict[str, Document] | None = None
    if len(wanted) > 100:
        # One pass over the tenant's inboxes beats thousands of reads by id on FerretDB, and
        # matching in Python beats a server-side $in of thousands of values.
        ids = {email_inbox_id(e) for e in wanted}
        found = await store.inboxes.find({}, projection={"items": 1, "id": 1})
        prefetched = {doc["id"]: doc for doc in found if doc.get("id") in ids}

    async def count(email: str) -> None:
        if prefetched is not None:
            inbox = prefetched.get(email_inbox_id(email))
        else:
            async with semaphore:
                inbox = await store.inboxes.get(email_inbox_id(email), projection={"items": 1})
        total = 0
        for assignment_id, item in ((inbox or {}).get("items") or {}).items():
            if item.get("round_id") == exclude_round or item.get("role") == "self":
                continue
            view = await cache.view(item["round_id"])
            if view is None or view["status"] == "closed":
                continue
            entry = view["entries"].get(assignment_id)
            if entry is not None and entry.get("status", "active") != "active":
                continue
            if assignment_id in await cache.completed(item["round_id"]):
                continue
            if periods_overlap(view.get("opens_at"), view.get("closes_at"), start, end):
                total += 1
        if total:
            counts[email] = total

    await asyncio.gather(*(count(e) for e in wanted))
    return counts


async def context_for(store: Store, view: Document, emails: Sequence[str], cache: RoundCache) -> Context:
    subject_emails: set[str] = set()
    subject_names: set[str] = set()
    for person_id in [view.get("subject_id"), *(view.get("member_ids") or [])]:
        if not person_id:
            continue
        person = await store.people.get(person_id) or {}
        if person.get("email"):
            subject_emails.add(normalise_email(person["email"]))
        if person.get("display_name"):
            subject_names.add(" ".join(person["display_name"].lower().replace(".", " ").split()))
    if view.get("subject_name") and view.get("kind") != "GROUP_MONITOR":
        subject_names.add(" ".join(view["subject_name"].lower().replace(".", " ").split()))
    tenant = await store.tenants.get(store.tenant_id) or {}
    existing = {
        normalise_email(e["email"]): (e["group"], e.get("name", ""))
        for e in active_entries(view).values()
        if e.get("email")
    }
    languages = tenant.get("languages") or ["nl"]
    return Context(
        round_id=view["id"],
        round_title=view.get("title", ""),
        groups=view["groups"],
        subject_emails=subject_emails,
        subject_names=subject_names,
        existing=existing,
        known_domains=tenant.get("known_domains") or [],
        default_language=languages[0] if languages[0] in ("nl", "en") else "nl",
        open_requests=await open_requests(store, emails, view, cache, exclude_round=view["id"]),
        fatigue_limit=int(tenant.get("fatigue_limit") or DEFAULT_FATIGUE_LIMIT),
    )


def suggestions_of(results: Sequence[RowResult]) -> list[dict[str, Any]]:
    return [
        {"row": r.row, "column": p.column, "value": p.suggestion}
        for r in results
        for p in r.problems
        if p.suggestion
    ]


def apply_choices(
    rows: Sequence[RowIn], offered: Sequence[dict[str, Any]], chosen: Sequence[tuple[int, str]]
) -> list[RowIn]:
    """The rows with the suggestions the coordinator chose applied (and only those)."""
    wanted = set(chosen)
    fixes = {(o["row"], o["column"]): o["value"] for o in offered if (o["row"], o["column"]) in wanted}
    changed = []
    for row in rows:
        values = RowIn(row.row, row.group, row.name, row.email, row.language, row.round)
        for (number, column), value in fixes.items():
            if number == row.row:
                setattr(values, column, value)
        changed.append(values)
    return changed


def counts_per_group(view: Document, extra: Sequence[RowResult] = ()) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in active_entries(view).values():
        counts[entry["group"]] = counts.get(entry["group"], 0) + 1
    for result in extra:
        counts[result.group] = counts.get(result.group, 0) + 1
    return counts


def preview(view: Document, results: Sequence[RowResult]) -> Document:
    clean = [r for r in results if r.status == "ok"]
    return {
        "rows": [r.as_dict() for r in results],
        "summary": {
            "rows": len(results),
            "ok": len(clean),
            "warnings": sum(1 for r in results if r.status == "warning"),
            "errors": sum(1 for r in results if r.status == "error"),
        },
        "group_warnings": group_warnings(counts_per_group(view, clean), view["groups"]),
    }


async def save_nominations(
    store: Store,
    tokens: LinkTokens,
    round_id: str,
    results: Sequence[RowResult],
    *,
    actor: str,
    source: str,
    groups: Sequence[dict[str, Any]] = (),
    correlation_id: str | None = None,
) -> tuple[list[Document], list[RowResult]]:
    """Add checked rows to the round; invite them at once when the round is open.

    Returns the nominations saved and the rows refused because their address was
    nominated meanwhile (a request at the same time, or an earlier row): those get the
    problem "already_nominated". Each address is claimed in the round first by a unique
    insert (the one atomic write on FerretDB), so of concurrent nominations one wins.
    """
    if not results:
        return [], []
    now = datetime.now(UTC)
    roster = await store.rosters.get(round_id, projection={"entries": 1}) or {}
    current = roster.get("entries") or {}
    withdrawn: dict[str, int] = {}  # a withdrawn nominee may be nominated again: a new claim
    for entry in current.values():
        if entry.get("status", "active") != "active" and entry.get("email"):
            address = normalise_email(entry["email"])
            withdrawn[address] = withdrawn.get(address, 0) + 1
    claims: list[dict[str, Any]] = []
    for r in results:
        address = normalise_email(r.email)
        claim_id = f"{round_id}:{address}:{withdrawn.get(address, 0)}"
        claims.append({"id": claim_id, "assignment_id": str(uuid.uuid4()), "group": r.group, "at": now})
    won = set(await store.nominees.insert_many(claims))
    chosen: list[tuple[str, RowResult]] = []
    refused: list[RowResult] = []
    for r, claim in zip(results, claims, strict=True):
        if claim["id"] not in won:
            held = await store.nominees.get(claim["id"]) or claim
            if held["assignment_id"] in current or held["at"] > now - ABANDONED_CLAIM:
                already_nominated(r, group_label(held["group"], groups))
                refused.append(r)
                continue
            claim = held
        chosen.append((claim["assignment_id"], r))
    if not chosen:
        return [], refused
    entries: dict[str, dict[str, Any]] = {
        aid: {
            "group": r.group,
            "name": r.name,
            "email": r.email,
            "language": r.language,
            "status": "active",
            "source": source,
            "added_by": actor,
            "added_at": now,
        }
        for aid, r in chosen
    }
    await store.rosters.update(
        round_id, {"$set": {f"entries.{aid}": e for aid, e in entries.items()}}, upsert=True
    )
    saved = [{"id": aid, **e} for aid, e in entries.items()]
    await add_to_inboxes(store, round_id, saved, role="respondent")
    domains = sorted({e["email"].rpartition("@")[2].lower() for e in saved})
    await store.tenants.update(
        store.tenant_id, {"$addToSet": {"known_domains": {"$each": domains}}}, upsert=True
    )
    # The round may have opened meanwhile: then these are invited now (the
    # open handler looks again after issuing, so one of the two catches them).
    view = await round_view(store, round_id)
    if view is not None and view["status"] == "open":
        await issue(store, tokens, view, saved, correlation_id=correlation_id)
    return saved, refused


async def withdraw(store: Store, round_id: str, assignment_id: str, *, correlation_id: str | None) -> str:
    """Remove a nominee; returns "withdrawn", "completed" (refused) or "unknown"."""
    roster = await store.rosters.get(round_id) or {}
    entry = (roster.get("entries") or {}).get(assignment_id)
    if entry is None:
        return "unknown"
    progress = await store.progress.get(round_id) or {}
    if assignment_id in (progress.get("completed") or {}):
        return "completed"
    now = datetime.now(UTC)
    assignment = await store.assignments.get(assignment_id, projection={"withdrawn_at": 1})
    if assignment is not None and not assignment.get("withdrawn_at"):
        await store.assignments.update(
            assignment_id,
            {"$set": {"withdrawn_at": now}},
            [withdrawn_event(store, assignment_id, round_id, correlation_id)],
        )
    await store.rosters.update(
        round_id,
        {
            "$set": {
                f"entries.{assignment_id}.status": "withdrawn",
                f"entries.{assignment_id}.withdrawn_at": now,
            }
        },
    )
    await store.mail_queue.delete_many_by_id([f"{assignment_id}:invitation"])
    return "withdrawn"


def view_from(facts: Document | None, roster: Document | None, round_id: str) -> Document | None:
    return merge_view(round_id, facts, roster)
