"""Display names of the people a group plan names, for those who may read the plan.

Called only after the caller was let in to the plan (or its check): the names are of the people
the plan itself shows by id, so a reader learns nobody new, only how the ids read. One lookup by
id each (FerretDB's fast path; a query with `$in` reads every document of the collection), at
most `MAX_NAMES`. A person the gateway has not announced (yet) keeps their id: the page shows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from spiegel_action_plan.storage import Document, Store

# A group plan names its members, contact person, actions' owners and history's authors: a
# group of specialists is far smaller. Beyond this many, the rest are shown by id.
MAX_NAMES = 200


def named_in(plan: Document, group: Document) -> list[str]:
    """Every person id the plan shows: the group's current members and contact person, its
    actions' owners, its history's authors and the owners its history names (`plan` with its
    `history` where it is shown)."""
    ids = set(group.get("member_person_ids") or ())
    ids.add(str(group.get("contact_person_id") or ""))
    ids.update(str(a.get("owner_person_id") or "") for a in plan.get("actions") or ())
    for entry in plan.get("history") or ():
        ids.add(str(entry.get("by") or ""))
        for change in entry.get("fields") or ():
            if change.get("field") == "owner_person_id":  # an action handed on: both owners
                ids.update(str(change.get(side) or "") for side in ("old", "new"))
    ids.discard("")
    return sorted(ids)


async def display_names(store: Store, person_ids: Iterable[str]) -> dict[str, str]:
    """{person id: display name} of those known here (the gateway's PersonRegistered)."""
    wanted = sorted(set(person_ids))[:MAX_NAMES]
    found = await asyncio.gather(*(store.people.get(p, projection={"display_name": 1}) for p in wanted))
    return {
        person_id: str(doc["display_name"])
        for person_id, doc in zip(wanted, found, strict=True)
        if doc and doc.get("display_name")
    }
