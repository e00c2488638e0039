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
| reminder_claims | "<assignment>#<n>" | scheduler and chases: reminder n of a person (insert only) |
| issue_queue | round id | opened rounds whose links are still to be issued (small) |
| imports | import id; "<id>:confirming" | coordinator: previews; a confirm's claim (lapses in 2 min) |
| reports | report id | ReportPublished |
| discussions | session id | session events of the accreditation service: who is invited, when |
| checkin_links | `<session>/<person>` | a follow-up mail's check-in link: hash, sealed token; outbox |
"""

from __future__ import annotations

from typing import Any

from spiegel_platform.storage.stores import Collection, TenantStores

Document = dict[str, Any]


class Store(TenantStores):
    """One tenant's collections (see the table above); `Store.on(db)` in the wiring keeps them."""

    tenants = Collection()
    people = Collection()
    rounds = Collection()
    assignments = Collection()
    rosters = Collection()
    nominees = Collection()
    links = Collection()
    progress = Collection()
    inboxes = Collection()
    mail_queue = Collection()
    mail_attempts = Collection()
    deliveries = Collection()
    reminder_due = Collection()
    reminder_claims = Collection()
    issue_queue = Collection()
    imports = Collection()
    reports = Collection()
    discussions = Collection()
    checkin_links = Collection()


def email_inbox_id(email: str) -> str:
    return "email:" + email.strip().lower()


def person_inbox_id(person_id: str) -> str:
    return "person:" + person_id
