"""The service's collections. Every read and write goes through a tenant's TenantRepository.

- `pops` (id: a uuid derived from owner and round): a personal development plan: owner, round,
  state (draft, complete), version, dates, the previous POP it reviews, the id of the data key
  and `sealed`: its content (keep-and-extend text, goals, the review of the previous POP) as
  AES-GCM ciphertext. Nothing readable but ids, states and dates. The outbox of
  PersonalPlanStarted / Completed. Written by the api.
- `data_keys` (id: the owner's person id): the owner's data key, wrapped by a KEK of the
  settings (`kek_id`, `wrapped`). Deleting it erases the owner's POPs (crypto-erasure). Written
  by the api (made on first use, erased by the owner) and re-wrapped by the rotation.
- `rounds` (id: the round id): what the survey announced about an IFMS round: its subject (the
  specialist whose POP it is), title, closed. Written by the consumer.
- `groups` (id: the gateway's group id): a group (vakgroep, maatschap) as the gateway's
  GroupChanged announced it: name, `member_person_ids`, `contact_person_id`, `revision` (the latest
  wins). Who may read and edit a group's action plan. Written by the consumer.
- `group_plans` (id: the plan id, a uuid derived from tenant, group and Groepsmonitor round): a
  group's action plan (plan van aanpak): group, round, status (draft, adopted, closed), version,
  dates (`adopted_at`, `next_check_at`, `closed_at`), `actions` and `history` (who, when, what
  changed: append-only, in the same write as the change). The outbox of GroupPlanChanged /
  Adopted / Closed. Written by the api (group_plans/); the
  checks (checks/) move `next_check_at` on, set `open_check_id` and append the actions a check adds.
- `plan_checks` (id: a uuid derived from plan and due moment): a plan's periodic check: due
  moment, recipients, state (open, completed), reminders sent, the answer (the plan's history
  of checks). The outbox of GroupPlanCheckDue / GroupPlanCheckCompleted. Written by the
  consumer's check scheduler (made, reminded) and the api (answered).
- `hospitals` (id: "settings"): the hospital's settings here: the group plans' check interval
  and recipients, the board's yearly progress; its time zone from the gateway's
  TenantConfigured (per revision, the highest wins). Written by the api and the consumer.
- `board_overviews` (id: the year): the board's yearly overview by e-mail, made once per year
  (`overview_id`, `year`, `due_at`); its unique insert is the claim. The outbox of
  BoardProgressOverviewDue. Written by the consumer's scheduler (board/yearly.py).
- `sessions` (id: the accreditation's session id): a Groepsmonitor session as the accreditation's
  session events announced it: `group_id`, `facilitator_ids`, `starts_at`, `ends_at`, `state`
  (planned, cancelled), `version` (the latest wins). Which facilitator may edit which group's
  plan, and when (sessions/). Written by the consumer.
- `people` (id: the gateway's person id): a person's display name as the gateway's
  PersonRegistered announced it (`display_name`, `revision`: the latest wins; nothing else of
  the event, never the e-mail address). Shown, with a group plan or its check, to whoever may
  read that plan (people/). Written by the consumer.
"""

from __future__ import annotations

from typing import Any

from spiegel_platform.storage.stores import Collection, TenantStores

Document = dict[str, Any]


class Store(TenantStores):
    """One tenant's collections; `Store.on(db)` in the wiring keeps them."""

    pops = Collection()
    data_keys = Collection()
    rounds = Collection()
    groups = Collection()
    group_plans = Collection()
    plan_checks = Collection()
    hospitals = Collection()
    board_overviews = Collection()
    sessions = Collection()
    people = Collection()
