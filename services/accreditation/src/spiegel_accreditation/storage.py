"""The service's collections. Every read and write goes through a tenant's TenantRepository.

- `sessions` (id: a uuid): a discussion session: kind, participants with their rounds,
  facilitators, times, place, state, version; the outbox of SessionPlanned / Changed /
  Cancelled. Written by the api.
- `seats` (id: `<round id>/<person id>`): the one session a participant takes part in for a
  round (a unique insert: the claim, sessions/seats.py). Written by the api.
- `rounds` (id: the round id): what the survey announced about a round: kind, subject,
  members, closed. Written by the consumer (the survey's round events).
- `attendance` (id: `<session id>/<person id>`): a participant's attendance of a session:
  status, minutes present, source (check-in or facilitator), the facilitator's reason, when
  they checked in, whether they gave an evaluation (not which); version; the outbox of
  AttendanceRecorded. Written by the api (attendance/).
- `big_numbers` (id: the person id): a person's BIG number (11 digits as text), remembered
  for their next check-in. Never in an event. Written by the api (attendance/).
- `evaluations` (id: a random uuid): one evaluation of a meeting: the session id, the answers
  and the remark; no person id and no time (nothing links it to a check-in). Written by the
  api (attendance/).
- `themes` (id: `<session id>/<person id>`): the themes of their own report a participant
  wants to discuss. Written by the api (themes/).
- `accreditations` (id: `session/<session id>` or `series/<series id>`): the GAIA accreditation a
  session or a series refers to: activity number, points, association, period, deadline days.
  Written by the api (gaia/).
- `associations` (id: `gaia.model.association_key(name)`, a hash of the name in lower case and
  single spaces): the hospital's associations (wetenschappelijke verenigingen) with their
  registration deadline in days. Written by the api (gaia/).
- `registrations` (id: `<session id>/<person id>`): whether a participant's attendance is entered
  in GAIA: to register, registered (date), refused (reason). Written by the api (gaia/).
- `gaia_reminders` (id: `<session id>/<deadline>`, and `<session id>/<deadline>/last` for the one
  on the deadline day): the reminders of a session's deadline (each a unique insert, with its
  GaiaRegistrationDue in the same document's outbox). Written by the
  consumer process's periodic job (gaia/reminders.py).
- `checkin_followups` (id: the session id): that the follow-up of a session was decided once,
  with CheckInFollowUpDue (the participants not checked in) in its outbox when there were any (a
  unique insert: one follow-up per session). Written by the consumer's background job
  (attendance/followups.py).
- `checkin_links` (id: the hash of a personal check-in link's token): the session and the
  participant the link checks in, from the invitation service's CheckInLinkIssued. Written by
  the consumer (attendance/handlers.py).

- `notes` (id: `<session id>/<person id>`): the facilitator's notes for one participant: the
  text, its version, who saved it and when, released (when, by whom); the outbox of
  NotesReleased. Never in an event. Written by the api (notes/).
- `notes_reminders` (id: the session id): that the notes' due date was checked once it had
  passed, with NotesOverdue in its outbox when some were not released (a unique insert:
  reminded once). Written by the consumer's background job (notes/reminders.py).
- `people` (id: the person id): the gateway's PersonRegistered as the declarations need it: name,
  roles, language, specialism, employment (employed / self_employed), revision. Never the e-mail
  address or BIG number. Written by the consumer (people/handlers.py).
- `hospitals` (id: the tenant id): the gateway's TenantConfigured: slug (the verification address)
  and name (on the declaration). Written by the consumer (people/handlers.py).
- `declarations` (id: `<session id>/<person id>`): a signed RGS declaration as it was signed: form,
  name, BIG number, specialism, hospital, day, evaluation system, facilitator, when, the
  verification code; the outbox of DeclarationSigned (ids only). Written by the api (declarations/).
- `declaration_codes` (id: SHA-256 of a verification code): which declaration it verifies (a
  unique insert). Written by the api (declarations/).
- `confirmations` (id: the gateway's confirmation id): a fresh password confirmation used up by a
  signing (a unique insert: single use). Written by the api (declarations/).
"""

from __future__ import annotations

from typing import Any

from spiegel_platform.storage.stores import Collection, TenantStores

Document = dict[str, Any]


class Store(TenantStores):
    """One tenant's collections; `Store.on(db)` in the wiring keeps them."""

    sessions = Collection()
    seats = Collection()
    rounds = Collection()
    attendance = Collection()
    big_numbers = Collection()
    evaluations = Collection()
    themes = Collection()
    accreditations = Collection()
    associations = Collection()
    registrations = Collection()
    gaia_reminders = Collection()
    checkin_followups = Collection()
    checkin_links = Collection()

    notes = Collection()
    notes_reminders = Collection()

    people = Collection()
    hospitals = Collection()
    declarations = Collection()
    declaration_codes = Collection()
    confirmations = Collection()


def seat_id(round_id: str, person_id: str) -> str:
    return f"{round_id}/{person_id}"


def participant_key(session_id: str, person_id: str) -> str:
    return f"{session_id}/{person_id}"
