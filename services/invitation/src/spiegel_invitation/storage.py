"""The invitation service's collections, and who writes each.

FerretDB v1 (local development) applies an update as read-then-replace without
a lock, so two writers of one document can lose a change; only a unique insert
is atomic there (on MongoDB every single-document write is). The collections
are therefore cut by writer, hot paths use inserts with deterministic ids, and
each document has one writer besides the relay, which only rewrites
`assignments` right after they are inserted:

| collection | id | written by |
| --- | --- | --- |
| tenants | tenant id | gateway events; coordinator settings |
| people | person id | gateway events; coordinator (until the gateway lands) |
| rosters | round id | coordinator / specialist: the round's setup before it opens, the nominations |
| nominees | "<round>:<address>:<n>" | nominations: insert once, an address claimed (n: times withdrawn) |
| rounds | round id | survey events (created / open / extend / close) |
| assignments | assignment id | inserted once, with its event (outbox); later: withdrawn, opted out |
| links | token hash | insert once: token hash -> assignment |
| progress | round id | AssignmentCompleted (one writer) |
| inboxes | "email:<address>" / "person:<id>" | nominations, issuing, reports (the to-do list) |
| mail_queue | mail key | enqueuers insert; the mailer updates and deletes (small) |
| mail_attempts | "<mail key>#<n>" and "...#<n>!" | the mailer: claims and fates, insert only |
| deliveries | mail key | the mailer: what happened to each e-mail |
| reminder_due | round id | rounds with reminders still to come (small) |
| issue_queue | round id | opened rounds whose links are still to be issued (small) |
| imports | import id; "<id>:confirming" | coordinator: previews; a confirm's claim (lapses in 2 min) |
| reports | report id | ReportPublished |
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from spiegel_platform.storage.repository import TenantRepository

Document = dict[str, Any]

TENANTS = "tenants"
PEOPLE = "people"
ROUNDS = "rounds"
ASSIGNMENTS = "assignments"
ROSTERS = "rosters"
NOMINEES = "nominees"
LINKS = "links"
PROGRESS = "progress"
INBOXES = "inboxes"
MAIL_QUEUE = "mail_queue"
MAIL_ATTEMPTS = "mail_attempts"
DELIVERIES = "deliveries"
REMINDER_DUE = "reminder_due"
ISSUE_QUEUE = "issue_queue"
IMPORTS = "imports"
REPORTS = "reports"


class Store:
    """Tenant-scoped repositories of one tenant."""

    def __init__(self, db: AsyncDatabase[Document], tenant_id: str) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self._repos: dict[str, TenantRepository] = {}

    def __getattr__(self, name: str) -> TenantRepository:
        collection = globals().get(name.upper())
        if not isinstance(collection, str):
            raise AttributeError(name)
        repo = self._repos.get(collection)
        if repo is None:
            repo = TenantRepository(self.db[collection], self.tenant_id)
            self._repos[collection] = repo
        return repo

    # Typed accessors (mypy sees these; __getattr__ serves the same names).
    tenants: TenantRepository
    people: TenantRepository
    rounds: TenantRepository
    assignments: TenantRepository
    rosters: TenantRepository
    nominees: TenantRepository
    links: TenantRepository
    progress: TenantRepository
    inboxes: TenantRepository
    mail_queue: TenantRepository
    mail_attempts: TenantRepository
    deliveries: TenantRepository
    reminder_due: TenantRepository
    issue_queue: TenantRepository
    imports: TenantRepository
    reports: TenantRepository


def email_inbox_id(email: str) -> str:
    return "email:" + email.strip().lower()


def person_inbox_id(person_id: str) -> str:
    return "person:" + person_id
