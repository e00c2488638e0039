"""The service's collections. Every read and write goes through TenantRepository.

Hot paths read and write by id only (FerretDB: the one filter that uses an
index): a round's metadata, a round's responses, a report version, a person's
list of reports, a tenant's settings, an instrument version, a norm set.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from bson import Binary
from spiegel_platform.storage.stores import Collection, TenantStores


class Store(TenantStores):
    """One tenant's collections; `Store.on(db)` in the wiring keeps them."""

    rounds = Collection()  # one per round: metadata, invited assignments, closing
    responses = Collection()  # one per round: every response under its id, comments per group/question
    reports = Collection()  # one per published version ("<round id>.v<n>"); outbox of ReportPublished
    pending = Collection("pending_reports")  # closed rounds whose first version waits for responses in flight
    tenants = Collection()  # "config": the tenant's threshold (from the gateway); "norms": sharing opt-in
    instruments = Collection()  # "<instrument id>@<version>"
    readers = Collection()  # one per person: the reports they may read as subject or member
    norms = Collection()  # one per instrument version: contributions per report, the norm snapshot
    # One per discussion session (from the accreditation's events): participants' rounds,
    # facilitators, state, version. Planned in the accreditation service, never here.
    sessions = Collection()
    # Platform-wide: which tenants share norms (one document), under PLATFORM_SCOPE only.
    norm_sharing = Collection()


# The platform-wide registry of tenants that opted in to cross-tenant norms lives in its own
# collection under this pseudo-tenant (`stores.tenant(PLATFORM_SCOPE).norm_sharing`); no
# tenant's data is ever stored there.
PLATFORM_SCOPE = "platform"

Document = dict[str, Any]


def report_id(round_id: str, version: int) -> str:
    return f"{round_id}.v{version}"


def pack_json(value: Any) -> Binary:
    """A large value (a report's body or cells) as zlib-compressed JSON.

    One opaque field instead of thousands: ids of groups and items never become
    field names, the document decodes in one piece, and FerretDB stores and
    rewrites (the relay's mark-sent) about a sixth of the bytes. Deterministic:
    the same value gives the same bytes.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Binary(zlib.compress(text.encode(), 6))


def unpack_json(stored: Any) -> Any:
    """The value of `pack_json`; also reads the plain JSON text of earlier versions."""
    if isinstance(stored, str):
        return json.loads(stored)
    return json.loads(zlib.decompress(bytes(stored)))
