"""Builds the parts of one accreditation process, in one place; nothing connects at import.

Routers and handlers take their parts from `Accreditation.of(runtime)`. A test replaces a part
by wiring the runtime first: `Accreditation(runtime, stores=...)`.
"""

from __future__ import annotations

from spiegel_platform.storage.stores import Stores
from spiegel_platform.wiring import Wiring

from spiegel_accreditation.attendance.service import Attendance
from spiegel_accreditation.declarations.service import Declarations
from spiegel_accreditation.gaia.service import Gaia
from spiegel_accreditation.notes.service import Notes
from spiegel_accreditation.sessions.service import Sessions
from spiegel_accreditation.settings import AccreditationRuntime, AccreditationSettings
from spiegel_accreditation.storage import Store


class Accreditation(Wiring[AccreditationSettings]):
    def __init__(
        self,
        runtime: AccreditationRuntime,
        *,
        stores: Stores[Store] | None = None,
        sessions: Sessions | None = None,
        attendance: Attendance | None = None,
        gaia: Gaia | None = None,
        notes: Notes | None = None,
        declarations: Declarations | None = None,
    ) -> None:
        super().__init__(runtime)
        # Each tenant's collections, made once per process.
        self.stores = stores if stores is not None else Store.on(runtime.db)
        # The steps on discussion sessions (rules, seats, events), for every tenant.
        self.sessions = sessions if sessions is not None else Sessions(self.stores, self.settings)
        # Check-in, attendance and the meeting's evaluation.
        self.attendance = attendance if attendance is not None else Attendance(self.stores, self.settings)
        # Accreditation in GAIA: the activity, the exports, the registration status.
        self.gaia = gaia if gaia is not None else Gaia(self.stores, self.settings)

        # The facilitator's notes per participant: drafts, release, the due date.
        self.notes = notes if notes is not None else Notes(self.stores, self.settings)
        # RGS declarations: what each participant gets, signing, the PDF, verification by code.
        self.declarations = (
            declarations if declarations is not None else Declarations(self.stores, self.settings)
        )
