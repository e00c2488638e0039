"""The service's collections. Every read and write goes through a tenant's TenantRepository.

- `sessions` (id: a uuid): a discussion session: kind, participants with their rounds,
  facilitators, times, place, state, version; the outbox of SessionPlanned / Changed /
  Cancelled. Written by the api.
- `seats` (id: `<round id>/<person id>`): the one session a participant takes part in for a
  round (a unique insert: the claim, sessions/seats.py). Written by the api.
- `rounds` (id: the round id): what the survey announced about a round: kind, subject,
  members, closed. Written by the consumer (the survey's round events).
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


def seat_id(round_id: str, person_id: str) -> str:
    return f"{round_id}/{person_id}"
